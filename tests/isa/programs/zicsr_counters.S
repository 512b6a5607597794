# Counter CSRs (Zicntr/Zihpm-style, readable in M-mode): cycle time instret and their
# high halves, mcycle minstret mcycleh minstreth.  Their values differ between machines,
# so the checks are relative: cycle and instret grow between two reads, time never
# goes backwards, and a read of a high half does not trap.
#include "test_macros.h"

/* Fail unless the second read of `csr` is larger (unsigned) than the first. */
#define TEST_GROWS(n, csr)                                                  \
        TEST_NUMBER(n)                                                      \
        csrrs a0, csr, zero;                                                \
        nop;                                                                \
        nop;                                                                \
        csrrs a1, csr, zero;                                                \
        bltu a0, a1, 9f;                                                    \
        j __fail;                                                           \
9:

RVTEST_CODE_BEGIN

    TEST_GROWS(1, cycle)
    TEST_GROWS(2, instret)
    TEST_GROWS(3, mcycle)
    TEST_GROWS(4, minstret)

    /* time: non-decreasing */
    TEST_NUMBER(5)
    csrrs a0, time, zero
    nop
    csrrs a1, time, zero
    bgeu a1, a0, 10f
    j __fail
10: nop

    /* high halves read without trapping */
    TEST_CASE(6, zero, 0, csrrs a0, cycleh, zero; csrrs a0, instreth, zero; csrrs a0, timeh, zero)
    TEST_CASE(7, zero, 0, csrrs a0, mcycleh, zero; csrrs a0, minstreth, zero)

    /* the pseudo-instruction forms assemble to the same csrrs */
    TEST_NUMBER(8)
    rdcycle a2
    rdinstret a3
    rdtime a4
    csrr a5, mhartid
    CHECK(a5, 0)

RVTEST_CODE_END
