/* intmix in S-mode with satp = 0 (bare): the paging-off twin of intmix_sv32.S; see smode.h. */
#define SATP_ON 0
#include "smode.h"
