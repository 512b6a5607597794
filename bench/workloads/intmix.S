/* Integer CPU-bound mix: per iteration a call to a leaf function that loads and stores
 * a table word, multiplies (mul, mulhu), divides (remu), shifts and branches. */
#include "harness.h"

#define TABLE_WORDS 64

    .text
/* work(a0 = iterations) -> a0 = final state */
work:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    sw s1, 4(sp)
    mv s0, a0
    li s1, 0x12345678
    la a2, table
1:  mv a0, s1
    mv a1, s0
    call step
    mv s1, a0
    addi s0, s0, -1
    bnez s0, 1b
    mv a0, s1
    lw s1, 4(sp)
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

/* step(a0 = state, a1 = i, a2 = table) -> a0 = next state; table[i % 64] updated */
step:
    andi t0, a1, TABLE_WORDS - 1
    slli t0, t0, 2
    add t0, a2, t0
    lw t1, 0(t0)
    li t2, 1103515245
    mul t3, a0, t2
    mulhu t4, a0, t2
    add t3, t3, t4
    xor t3, t3, t1
    srli t5, t3, 7
    xor t3, t3, t5
    ori t6, a1, 1
    remu t5, t3, t6
    add t3, t3, t5
    sw t3, 0(t0)
    andi t6, a1, 3
    bnez t6, 2f
    slli t5, t3, 13             /* every fourth step: rotate left by 13 */
    srli t6, t3, 19
    or t3, t5, t6
2:  mv a0, t3
    ret

    .bss
    .balign 4
table:
    .space TABLE_WORDS * 4
