# RV32A atomic memory operations: amoswap amoadd amoxor amoand amoor amomin amomax
# amominu amomaxu, each plain and with .aq, .rl and .aqrl.  rd gets the old memory word,
# memory gets op(old, rs2); min/max compare signed, minu/maxu unsigned.
#include "test_macros.h"

/* Run `op rd, rs2, (a1)` on a word holding `init`; check rd == init and the new word. */
#define TEST_AMO(n, op, newval, init, src)                                  \
        TEST_NUMBER(n)                                                      \
        la a1, amo_word;                                                    \
        li a2, init;                                                        \
        sw a2, 0(a1);                                                       \
        li a2, src;                                                         \
        op a0, a2, (a1);                                                    \
        CHECK(a0, init)                                                     \
        CHECK(a2, src)                                                      \
        lw a3, 0(a1);                                                       \
        CHECK(a3, newval)                                                   \
        lw a3, 4(a1);                                                       \
        CHECK(a3, 0x5a5a5a5a)

RVTEST_CODE_BEGIN

    TEST_AMO(1, amoswap.w, 0xfffff800, 0x80000000, 0xfffff800)
    TEST_AMO(2, amoswap.w.aq, 0x80000000, 0x00000001, 0x80000000)
    TEST_AMO(3, amoswap.w.rl, 0x00000001, 0xffffffff, 0x00000001)
    TEST_AMO(4, amoswap.w.aqrl, 0x7ffffffe, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(5, amoswap.w, 0x80000000, 0xfffff800, 0x80000000)

    TEST_AMO(6, amoadd.w, 0x7ffff800, 0x80000000, 0xfffff800)
    TEST_AMO(7, amoadd.w.aq, 0x80000001, 0x00000001, 0x80000000)
    TEST_AMO(8, amoadd.w.rl, 0x00000000, 0xffffffff, 0x00000001)
    TEST_AMO(9, amoadd.w.aqrl, 0xfffffffd, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(10, amoadd.w, 0x7ffff800, 0xfffff800, 0x80000000)

    TEST_AMO(11, amoxor.w, 0x7ffff800, 0x80000000, 0xfffff800)
    TEST_AMO(12, amoxor.w.aq, 0x80000001, 0x00000001, 0x80000000)
    TEST_AMO(13, amoxor.w.rl, 0xfffffffe, 0xffffffff, 0x00000001)
    TEST_AMO(14, amoxor.w.aqrl, 0x00000001, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(15, amoxor.w, 0x7ffff800, 0xfffff800, 0x80000000)

    TEST_AMO(16, amoand.w, 0x80000000, 0x80000000, 0xfffff800)
    TEST_AMO(17, amoand.w.aq, 0x00000000, 0x00000001, 0x80000000)
    TEST_AMO(18, amoand.w.rl, 0x00000001, 0xffffffff, 0x00000001)
    TEST_AMO(19, amoand.w.aqrl, 0x7ffffffe, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(20, amoand.w, 0x80000000, 0xfffff800, 0x80000000)

    TEST_AMO(21, amoor.w, 0xfffff800, 0x80000000, 0xfffff800)
    TEST_AMO(22, amoor.w.aq, 0x80000001, 0x00000001, 0x80000000)
    TEST_AMO(23, amoor.w.rl, 0xffffffff, 0xffffffff, 0x00000001)
    TEST_AMO(24, amoor.w.aqrl, 0x7fffffff, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(25, amoor.w, 0xfffff800, 0xfffff800, 0x80000000)

    TEST_AMO(26, amomin.w, 0x80000000, 0x80000000, 0xfffff800)
    TEST_AMO(27, amomin.w.aq, 0x80000000, 0x00000001, 0x80000000)
    TEST_AMO(28, amomin.w.rl, 0xffffffff, 0xffffffff, 0x00000001)
    TEST_AMO(29, amomin.w.aqrl, 0x7ffffffe, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(30, amomin.w, 0x80000000, 0xfffff800, 0x80000000)

    TEST_AMO(31, amomax.w, 0xfffff800, 0x80000000, 0xfffff800)
    TEST_AMO(32, amomax.w.aq, 0x00000001, 0x00000001, 0x80000000)
    TEST_AMO(33, amomax.w.rl, 0x00000001, 0xffffffff, 0x00000001)
    TEST_AMO(34, amomax.w.aqrl, 0x7fffffff, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(35, amomax.w, 0xfffff800, 0xfffff800, 0x80000000)

    TEST_AMO(36, amominu.w, 0x80000000, 0x80000000, 0xfffff800)
    TEST_AMO(37, amominu.w.aq, 0x00000001, 0x00000001, 0x80000000)
    TEST_AMO(38, amominu.w.rl, 0x00000001, 0xffffffff, 0x00000001)
    TEST_AMO(39, amominu.w.aqrl, 0x7ffffffe, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(40, amominu.w, 0x80000000, 0xfffff800, 0x80000000)

    TEST_AMO(41, amomaxu.w, 0xfffff800, 0x80000000, 0xfffff800)
    TEST_AMO(42, amomaxu.w.aq, 0x80000000, 0x00000001, 0x80000000)
    TEST_AMO(43, amomaxu.w.rl, 0xffffffff, 0xffffffff, 0x00000001)
    TEST_AMO(44, amomaxu.w.aqrl, 0x7fffffff, 0x7fffffff, 0x7ffffffe)
    TEST_AMO(45, amomaxu.w, 0xfffff800, 0xfffff800, 0x80000000)

    /* rd == rs2: rd gets the old value, memory gets the old rs2 */
    TEST_NUMBER(60)
    la a1, amo_word
    li a2, 0x11111111
    sw a2, 0(a1)
    li a0, 0x22222222
    amoswap.w a0, a0, (a1)
    CHECK(a0, 0x11111111)
    lw a3, 0(a1)
    CHECK(a3, 0x22222222)

    TEST_NUMBER(61)
    li a0, 5
    sw a0, 0(a1)
    amoadd.w.aqrl a0, a0, (a1)
    CHECK(a0, 5)
    lw a3, 0(a1)
    CHECK(a3, 10)

    /* rd == x0: memory is still updated */
    TEST_NUMBER(62)
    li a2, 0x00ff00ff
    sw a2, 0(a1)
    li a2, 0x0f0f0f0f
    amoor.w zero, a2, (a1)
    CHECK(zero, 0)
    lw a3, 0(a1)
    CHECK(a3, 0x0fff0fff)

    /* rs2 == x0: amoswap stores zero, amoadd reads without changing memory */
    TEST_NUMBER(63)
    li a2, 77
    sw a2, 0(a1)
    amoadd.w a0, zero, (a1)
    CHECK(a0, 77)
    amoswap.w a0, zero, (a1)
    CHECK(a0, 77)
    lw a3, 0(a1)
    CHECK(a3, 0)

    /* A sequence of adds accumulates */
    TEST_NUMBER(64)
    li a2, 1
    amoadd.w zero, a2, (a1)
    amoadd.w zero, a2, (a1)
    amoadd.w.aq zero, a2, (a1)
    amoadd.w a0, a2, (a1)
    CHECK(a0, 3)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
amo_word:   .word 0
guard:      .word 0x5a5a5a5a
RVTEST_DATA_END
