/* intmix's loop on hart 0 while every other hart parks in wfi with its interrupts off:
 * the same ELF runs with -smp 1 and -smp 4 (bench/board.py). */
#define PARK_OTHER_HARTS
#include "intmix.S"
