/* Every 16-bit instruction word, none of them run (live test only: too many lines to
 * record).  `j` after each ends QEMU's translation block, so that resuming after a skip
 * does not translate the rest again. */
#include "harness.h"

main:
    .option rvc
    .set h, 0
    .rept 0x10000
    .if (h & 3) != 3
    NOT_RUN .half h
    j 1f
1:
    .endif
    .set h, h + 1
    .endr
    .option norvc
    EXIT
