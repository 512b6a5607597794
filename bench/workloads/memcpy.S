/* Memory copy and checksum: per iteration copy a 1 KiB buffer word by word (unrolled
 * by four), checksum the copy with a rotate-and-add, and change one source word so no
 * two iterations see the same data. */
#include "harness.h"

#define BUF_WORDS 256

    .text
/* work(a0 = iterations) -> a0 = checksum of every copy */
work:
    mv a5, a0
    la a3, src
    la a4, dst
    li t0, 0                    /* src[i] = i * 0x9e3779b9 */
    li t1, 0x9e3779b9
    li t2, 0
    mv t3, a3
1:  sw t2, 0(t3)
    add t2, t2, t1
    addi t3, t3, 4
    addi t0, t0, 1
    li t4, BUF_WORDS
    bltu t0, t4, 1b
    li a0, 0
2:  mv t0, a3                   /* copy: 4 words per round */
    mv t1, a4
    li t6, BUF_WORDS * 4
    add t6, a3, t6
3:  lw t2, 0(t0)
    lw t3, 4(t0)
    lw t4, 8(t0)
    lw t5, 12(t0)
    sw t2, 0(t1)
    sw t3, 4(t1)
    sw t4, 8(t1)
    sw t5, 12(t1)
    addi t0, t0, 16
    addi t1, t1, 16
    bltu t0, t6, 3b
    mv t1, a4                   /* checksum the copy: a0 = rotl(a0, 5) + word */
    li t6, BUF_WORDS * 4
    add t6, a4, t6
4:  lw t2, 0(t1)
    slli t3, a0, 5
    srli t4, a0, 27
    or a0, t3, t4
    add a0, a0, t2
    addi t1, t1, 4
    bltu t1, t6, 4b
    andi t0, a5, BUF_WORDS - 1  /* src[iter % 256] += 1 */
    slli t0, t0, 2
    add t0, a3, t0
    lw t2, 0(t0)
    addi t2, t2, 1
    sw t2, 0(t0)
    addi a5, a5, -1
    bnez a5, 2b
    ret

    .bss
    .balign 16
src:
    .space BUF_WORDS * 4
dst:
    .space BUF_WORDS * 4
