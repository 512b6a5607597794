/* Memory sweep: per iteration write every word of an 8 MiB buffer (unrolled by four),
 * each time with other values: the worst case for history, which keeps the pages
 * written between two snapshots (bench/reverse.py), with little else to do. */
#include "harness.h"

#define BUF_BYTES (8 << 20)

    .text
/* work(a0 = iterations) -> a0 = the last value written */
work:
    mv a5, a0
    li a0, 0
1:  la t0, buf
    li t6, BUF_BYTES
    add t6, t0, t6
2:  sw a0, 0(t0)
    sw a0, 4(t0)
    sw a0, 8(t0)
    sw a0, 12(t0)
    addi a0, a0, 1
    addi t0, t0, 16
    bltu t0, t6, 2b
    addi a5, a5, -1
    bnez a5, 1b
    ret

    .bss
    .balign 16
buf:
    .space BUF_BYTES
