/* RV32I: every instruction, every register in each operand, immediate edges, the
 * pseudo-instructions QEMU prints (nop, mv, not, neg, seqz, snez, sltz, sgtz, j, jr, ret,
 * beqz, bnez, blez, bgez, bltz, bgtz, bgt, ble, bgtu, bleu). */
#include "harness.h"

main:
    /* every register as rd, rs1 and rs2 */
    .irp r, ALL_REGS
    add \r, a1, a2
    sub a3, \r, a4
    xor a5, a6, \r
    .endr

    /* register-register: plain and with x0 (neg, sltz, sgtz, snez) */
    .irp op, add, sub, sll, slt, sltu, xor, srl, sra, or, and
    \op a0, a1, a2
    \op a0, zero, a2
    \op a0, a1, zero
    \op zero, zero, zero
    \op t6, s11, t5
    .endr

    /* register-immediate: 12-bit edges (nop, mv, seqz, not) */
    .irp op, addi, slti, sltiu, xori, ori, andi
    .irp imm, -2048, -2047, -1, 0, 1, 2, 100, 2047
    \op a0, a1, \imm
    .endr
    \op zero, zero, 0
    \op a0, zero, 0
    \op zero, a0, 0
    \op t6, t6, -1
    .endr
    .irp r, ALL_REGS
    addi \r, \r, 0
    addi \r, zero, 1
    .endr

    /* shifts by 0..31, and by 32..63 (reserved on rv32: QEMU prints them) */
    .irp op, slli, srli, srai
    .irp sh, 0, 1, 2, 15, 16, 30, 31
    \op a0, a1, \sh
    .endr
    \op zero, zero, 0
    \op t6, s0, 31
    .endr
    .word 0x02059513 /* slli a0, a1, 32 */
    .word 0x03f59513 /* slli a0, a1, 63 */
    .word 0x0205d513 /* srli a0, a1, 32 */
    .word 0x4205d513 /* srai a0, a1, 32 */
    .word 0x43f5d513 /* srai a0, a1, 63 */

    /* upper immediates */
    .irp imm, 0, 1, 2, 0x7ffff, 0x80000, 0x80001, 0xfffff, 0x12345
    lui a0, \imm
    auipc a0, \imm
    .endr
    .irp r, ALL_REGS
    lui \r, 0x1
    auipc \r, 0x1
    .endr

    /* loads and stores: every register as base and as data */
    .irp r, NONZERO_REGS
    SCRATCH \r
    lw \r, 0(\r)
    sw \r, 4(\r)
    lw \r, -4(\r)
    .endr
    .irp op, lb, lh, lw, lbu, lhu
    .irp off, -2048, -1, 0, 1, 2, 4, 2047
    SCRATCH a1
    \op a0, \off(a1)
    .endr
    SCRATCH t6
    \op zero, 8(t6)
    \op a0, 0(zero)
    .endr
    .irp op, sb, sh, sw
    .irp off, -2048, -1, 0, 1, 2, 4, 2047
    SCRATCH a1
    \op a0, \off(a1)
    .endr
    SCRATCH t6
    \op zero, 8(t6)
    \op a0, 16(zero)
    .endr

    /* branches forward (taken and not) and backward (not taken), with x0 operands */
    li a0, 1
    li a1, 2
10:
    .irp op, beq, bne, blt, bge, bltu, bgeu
    \op a0, a1, 11f
11: \op a1, a0, 11f
11: \op a0, zero, 11f
11: \op zero, a0, 11f
11: \op zero, zero, 11f
11: \op t6, s0, 11f
11:
    .endr
    beq a0, a1, 10b
    bne a0, a0, 10b
    blt a1, a0, 10b
    bge a0, a1, 10b
    bltu a1, a0, 10b
    bgeu a0, a1, 10b
    li a2, -1
    blt a2, zero, 11f
11: bltu zero, a2, 11f
11: bge zero, a2, 11f
11: bgeu zero, a2, 11f
11:
    /* branch offsets at their limits: -4096 and +4094 */
    j 12f
13: j 14f
    .space 4088
12: blt zero, zero, 13b
    beq zero, zero, 13b
14: beq zero, zero, 15f
    .space 4090
15:
    NOT_RUN beq a0, a1, . + 4094
    NOT_RUN bne a0, a1, . - 4096
    NOT_RUN bge a0, a1, . - 2

    /* jal: rd = x0 (j), ra and others; forward and backward */
    jal zero, 16f
16: jal ra, 16f
16: jal t0, 16f
16: j 17f
18: jal zero, 19f
17: jal a0, 18b
19:
    .irp r, ALL_REGS
    jal \r, 16f
16:
    .endr
    /* jal offsets at their limits, and targets far from the pc */
    NOT_RUN jal zero, . + 0xffffe
    NOT_RUN jal ra, . - 0x100000
    NOT_RUN jal ra, . - 2

    /* jalr: ret (any offset), jr (offset 0), every register as base and link */
    .irp r, NONZERO_REGS
    la \r, 16f
    jalr zero, 0(\r)
16: la \r, 16f - 8
    jalr a0, 8(\r)
16: la a0, 16f + 4
    jalr \r, -4(a0)
16:
    .endr
    la ra, 16f
    jalr zero, 0(ra)
16: la ra, 16f + 2047
    jalr zero, -2047(ra)
16: la ra, 16f - 2047
    jalr zero, 2047(ra)
16: la ra, 16f - 12
    jalr ra, 12(ra)
16: la t1, 16f + 2048
    jalr zero, -2048(t1)
16:
    NOT_RUN jalr zero, 0(zero)
    NOT_RUN jalr ra, -1(zero)
    NOT_RUN jalr zero, 2047(zero)

    /* targets past 0xffffffff: QEMU does not wrap them (the pc here is above 0x80001000) */
    auipc a0, 0x7ffff
    NOT_RUN jal zero, . + 0xffffe

    EXIT
