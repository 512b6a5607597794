/* RV32M: every instruction, registers in every operand, x0 operands. */
#include "harness.h"

main:
    .irp op, mul, mulh, mulhsu, mulhu, div, divu, rem, remu
    \op a0, a1, a2
    \op a0, zero, a2
    \op a0, a1, zero
    \op zero, zero, zero
    \op t6, s11, t5
    .endr
    .irp r, ALL_REGS
    mul \r, a1, a2
    div a3, \r, a4
    remu a5, a6, \r
    .endr
    EXIT
