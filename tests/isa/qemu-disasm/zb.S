/* Zba, Zbb, Zbc, Zbs and Zihintpause: every instruction, registers in every operand, x0
 * operands, the shift amounts' corners, and RV32's reserved shift amounts (bit 5 set). */
#include "harness.h"

main:
    .irp op, sh1add, sh2add, sh3add, andn, orn, xnor, max, maxu, min, minu, rol, ror, clmul, clmulh, clmulr, bclr, bext, binv, bset
    \op a0, a1, a2
    \op a0, zero, a2
    \op a0, a1, zero
    \op zero, zero, zero
    \op t6, s11, t5
    .endr
    .irp op, clz, ctz, cpop, sext.b, sext.h, zext.h, orc.b, rev8
    \op a0, a1
    \op zero, zero
    \op t6, s11
    .endr
    .irp op, rori, bclri, bexti, binvi, bseti
    .irp sh, 0, 1, 2, 15, 16, 30, 31
    \op a0, a1, \sh
    .endr
    \op zero, zero, 5
    .endr
    .word 0x6205d513 /* rori a0, a1, 32 */
    .word 0x4a059513 /* bclri a0, a1, 32 */
    .word 0x4a05d513 /* bexti a0, a1, 32 */
    .word 0x6a059513 /* binvi a0, a1, 32 */
    .word 0x2a059513 /* bseti a0, a1, 32 */
    .irp r, ALL_REGS
    andn \r, a1, a2
    clz a3, \r
    bset a5, a6, \r
    .endr
    pause
    EXIT
