# Misaligned AMOs raise an exception and leave memory and rd alone.
#
# The ratified spec makes this a store/AMO exception: cause 6 (store/AMO address
# misaligned), mtval = the address.  QEMU 7.2 reports cause 4 (load address misaligned)
# because it expands the AMO as load-op-store (shared/ref/virt-rv32.md 5.6 and 9).
# rvirt follows the spec.  The expected cause is set in ONE place, just below; on QEMU 7.2
# this program therefore fails at its first test.
#include "test_macros.h"

#define MISALIGNED_AMO_CAUSE CAUSE_MISALIGNED_STORE   /* spec: 6; QEMU 7.2 gives 4 */

RVTEST_CODE_BEGIN

    la a0, adat + 2
    li a2, 0x77
    TEST_TRAP(1, MISALIGNED_AMO_CAUSE, adat + 2, amoadd.w a1, a2, (a0))
    TEST_TRAP(2, MISALIGNED_AMO_CAUSE, adat + 2, amoswap.w a1, a2, (a0))
    TEST_TRAP(3, MISALIGNED_AMO_CAUSE, adat + 2, amoxor.w.aq a1, a2, (a0))
    TEST_TRAP(4, MISALIGNED_AMO_CAUSE, adat + 2, amoand.w.rl a1, a2, (a0))
    TEST_TRAP(5, MISALIGNED_AMO_CAUSE, adat + 2, amoor.w.aqrl a1, a2, (a0))
    la a0, adat + 1
    TEST_TRAP(6, MISALIGNED_AMO_CAUSE, adat + 1, amomin.w a1, a2, (a0))
    TEST_TRAP(7, MISALIGNED_AMO_CAUSE, adat + 1, amomax.w a1, a2, (a0))
    la a0, adat + 3
    TEST_TRAP(8, MISALIGNED_AMO_CAUSE, adat + 3, amominu.w a1, a2, (a0))
    TEST_TRAP(9, MISALIGNED_AMO_CAUSE, adat + 3, amomaxu.w a1, a2, (a0))

    /* nothing was written */
    TEST_CASE(10, a1, 0x11223344, la a0, adat; lw a1, 0(a0))
    TEST_CASE(11, a1, 0x55667788, la a0, adat; lw a1, 4(a0))

    /* and the destination kept its value */
    TEST_NUMBER(12)
    li a1, 0x42
    la a0, adat + 2
    la t0, __trap_record
    csrw mtvec, t0
    amoadd.w a1, a2, (a0)
    la t0, __trap_unexpected
    csrw mtvec, t0
    CHECK(a1, 0x42)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
adat:       .word 0x11223344, 0x55667788
RVTEST_DATA_END
