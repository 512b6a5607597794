/* intmix in S-mode under Sv32 paging: see smode.h. */
#define SATP_ON 1
#include "smode.h"
