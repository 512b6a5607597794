# RV32A load-reserved / store-conditional: lr.w sc.w with .aq, .rl and .aqrl.
# sc.w writes 0 to rd and stores when it pairs with a reservation on the same address;
# otherwise it writes 1 (QEMU's and rvirt's failure code) and memory is untouched.
# A successful or failed sc.w consumes the reservation.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    /* no reservation since reset: sc fails */
    TEST_NUMBER(1)
    la a1, word0
    li a2, 0x1234
    sc.w a0, a2, (a1)
    CHECK(a0, 1)
    lw a3, 0(a1)
    CHECK(a3, 0x0badcafe)

    /* lr reads the word (all 32 bits, no extension games on rv32) */
    TEST_CASE(2, a0, 0x0badcafe, la a1, word0; lr.w a0, (a1))

    /* ...and the following sc to the same address succeeds */
    TEST_NUMBER(3)
    li a2, 0x1234
    sc.w a0, a2, (a1)
    CHECK(a0, 0)
    lw a3, 0(a1)
    CHECK(a3, 0x1234)

    /* a second sc without a new lr fails */
    TEST_NUMBER(4)
    li a2, 0x5678
    sc.w a0, a2, (a1)
    CHECK(a0, 1)
    lw a3, 0(a1)
    CHECK(a3, 0x1234)

    /* sc to a different address than the lr fails */
    TEST_NUMBER(5)
    la a1, word0
    la a4, word1
    lr.w a0, (a1)
    li a2, 99
    sc.w a0, a2, (a4)
    CHECK(a0, 1)
    lw a3, 0(a4)
    CHECK(a3, 0x600df00d)
    /* that failed sc consumed the reservation on word0 too */
    sc.w a0, a2, (a1)
    CHECK(a0, 1)

    /* ordering variants */
    TEST_NUMBER(10)
    la a1, word1
    lr.w.aq a0, (a1)
    CHECK(a0, 0x600df00d)
    li a2, 10
    sc.w.rl a0, a2, (a1)
    CHECK(a0, 0)

    TEST_NUMBER(11)
    lr.w.rl a0, (a1)
    CHECK(a0, 10)
    li a2, 11
    sc.w.aq a0, a2, (a1)
    CHECK(a0, 0)

    TEST_NUMBER(12)
    lr.w.aqrl a0, (a1)
    CHECK(a0, 11)
    li a2, 12
    sc.w.aqrl a0, a2, (a1)
    CHECK(a0, 0)
    lw a3, 0(a1)
    CHECK(a3, 12)

    /* rd == rs2 in sc: rd gets the status, the old rs2 is what was stored */
    TEST_NUMBER(13)
    lr.w a0, (a1)
    li a2, 13
    sc.w a2, a2, (a1)
    CHECK(a2, 0)
    lw a3, 0(a1)
    CHECK(a3, 13)

    /* rd == x0 in lr (the load still sets the reservation) */
    TEST_NUMBER(14)
    lr.w zero, (a1)
    CHECK(zero, 0)
    li a2, 14
    sc.w a0, a2, (a1)
    CHECK(a0, 0)
    lw a3, 0(a1)
    CHECK(a3, 14)

    /* the classic retry loop: atomic increment of word2, 5 times */
    TEST_NUMBER(20)
    la a1, word2
    li a4, 5
10: lr.w a0, (a1)
    addi a0, a0, 3
    sc.w a5, a0, (a1)
    bnez a5, 10b
    addi a4, a4, -1
    bnez a4, 10b
    lw a3, 0(a1)
    CHECK(a3, 15)

    /* a newer lr replaces the reservation: sc to the first address fails,
       sc to the second succeeds */
    TEST_NUMBER(21)
    la a1, word0
    la a4, word1
    lr.w a0, (a1)
    lr.w a0, (a4)
    li a2, 21
    sc.w a0, a2, (a4)
    CHECK(a0, 0)
    sc.w a0, a2, (a1)
    CHECK(a0, 1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
word0:      .word 0x0badcafe
word1:      .word 0x600df00d
word2:      .word 0
RVTEST_DATA_END
