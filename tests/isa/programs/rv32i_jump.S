# RV32I unconditional jumps: jal, jalr.
# The link register gets the address of the next instruction; jalr adds a sign-extended
# offset and clears bit 0 of the target; when rd == rs1 the target uses the old rs1.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    /* jal: link value and forward target */
    TEST_NUMBER(1)
    li ra, 0
10: jal ra, 11f
    j __fail
11: CHECK_ADDR(ra, 10b + 4)

    /* jal with another link register */
    TEST_NUMBER(2)
12: jal t0, 13f
    j __fail
13: CHECK_ADDR(t0, 12b + 4)

    /* jal zero (plain jump) writes nothing */
    TEST_NUMBER(3)
    li a0, 1
    jal zero, 14f
    li a0, 2
14: CHECK(a0, 1)
    CHECK(zero, 0)

    /* jal backwards */
    TEST_NUMBER(4)
    li a0, 0
    j 16f
15: addi a0, a0, 1
    j 17f
16: jal a3, 15b
    j __fail
17: CHECK(a0, 1)

    /* jalr: register target plus zero offset */
    TEST_NUMBER(5)
    la a1, 19f
18: jalr ra, 0(a1)
    j __fail
19: CHECK_ADDR(ra, 18b + 4)

    /* jalr: positive and negative offsets */
    TEST_NUMBER(6)
    la a1, 20f - 8
    jalr zero, 8(a1)
    j __fail
20: la a1, 21f + 12
    jalr zero, -12(a1)
    j __fail
21: nop

    /* jalr clears bit 0 of the sum */
    TEST_NUMBER(7)
    la a1, 22f
    addi a1, a1, 1
    jalr zero, 0(a1)
    j __fail
22: la a1, 23f
    jalr zero, 1(a1)
    j __fail
23: nop

    /* rd == rs1: the target comes from the old value, then rd gets the link */
    TEST_NUMBER(8)
    la a1, 25f
24: jalr a1, 0(a1)
    j __fail
25: CHECK_ADDR(a1, 24b + 4)

    /* jalr with x0 as the base: absolute target within +-2 KiB of 0 can't be reached in
       RAM, so only check that a call/return pair through ra works (ret is jalr zero,0(ra)) */
    TEST_NUMBER(9)
    li a0, 0
    jal ra, 27f
    CHECK(a0, 5)
    j 28f
27: li a0, 5
    jalr zero, 0(ra)
    j __fail
28: nop

    /* Largest jal offsets: +-1 MiB is too far for this program; exercise a long one. */
    TEST_NUMBER(10)
    jal t1, 29f
30: j __fail
    .skip 8192
29: CHECK_ADDR(t1, 30b)
    j 31f
32: jal zero, 33f
31: jal zero, 32b
33: nop

    /* The link value of jal/jalr in rd==x0 position is discarded */
    TEST_NUMBER(11)
    la a1, 34f
    jalr zero, 0(a1)
34: CHECK(zero, 0)

RVTEST_CODE_END
