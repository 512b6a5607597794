/* RV32A: lr.w, sc.w and every AMO, with each aq/rl combination, x0 operands and every
 * register as the address. */
#include "harness.h"

.macro AMO op, order
    SCRATCH a1
    \op\().w\order a0, a2, (a1)
.endm

main:
    .irp order, , .aq, .rl, .aqrl
    SCRATCH a1
    lr.w\order a0, (a1)
    sc.w\order a0, a2, (a1)
    .irp op, amoswap, amoadd, amoxor, amoand, amoor, amomin, amomax, amominu, amomaxu
    AMO \op, \order
    .endr
    .endr

    SCRATCH a1
    lr.w zero, (a1)
    sc.w zero, zero, (a1)
    amoswap.w zero, zero, (a1)
    amoadd.w a0, zero, (a1)
    amoor.w zero, a2, (a1)
    lr.w a0, (zero)
    amoadd.w a0, a2, (zero)

    .irp r, NONZERO_REGS
    SCRATCH \r
    lr.w \r, (\r)
    amoswap.w.aq \r, \r, (\r)
    sc.w.rl \r, \r, (\r)
    .endr
    .irp r, NONZERO_REGS
    SCRATCH a0
    amoadd.w \r, a2, (a0)
    SCRATCH a0
    amomaxu.w.aqrl a3, \r, (a0)
    .endr
    EXIT
