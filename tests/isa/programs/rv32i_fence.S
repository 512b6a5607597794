# RV32I memory ordering: fence with every predecessor/successor set that matters,
# fence.tso.  On a single hart they order nothing visible, so the test is that they
# execute as no-ops (no trap, no register or memory change).
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_NUMBER(1)
    la a1, fdat
    li a2, 0x1234
    sw a2, 0(a1)
    fence iorw, iorw
    lw a0, 0(a1)
    CHECK(a0, 0x1234)

    TEST_NUMBER(2)
    li a0, 9
    fence rw, rw
    fence r, rw
    fence w, w
    fence r, r
    fence rw, w
    fence i, o
    fence o, i
    fence io, io
    fence iorw, r
    fence.tso
    CHECK(a0, 9)

    /* store; fence; load sees the store */
    TEST_NUMBER(3)
    li a2, 0x5678
    sw a2, 4(a1)
    fence w, r
    lw a0, 4(a1)
    CHECK(a0, 0x5678)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
fdat:       .word 0, 0
RVTEST_DATA_END
