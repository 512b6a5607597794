# RV32I upper-immediate instructions: lui, auipc.
# lui fills bits 31:12 and clears the rest; auipc adds to the pc of the auipc itself.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_CASE(1, a0, 0x00000000, lui a0, 0x00000)
    TEST_CASE(2, a0, 0x00001000, lui a0, 0x00001)
    TEST_CASE(3, a0, 0x7ffff000, lui a0, 0x7ffff)
    TEST_CASE(4, a0, 0x80000000, lui a0, 0x80000)
    TEST_CASE(5, a0, 0xfffff000, lui a0, 0xfffff)
    TEST_CASE(6, a0, 0x12345000, li a0, -1; lui a0, 0x12345)     /* low bits cleared */
    TEST_CASE(7, a0, 0xfffff800, lui a0, 0xfffff; srai a0, a0, 1)
    TEST_CASE(8, zero, 0, lui zero, 0x80000)
    TEST_CASE(9, a0, 0x12345678, lui a0, 0x12345; addi a0, a0, 0x678)
    TEST_CASE(10, a0, 0x12344fff, lui a0, 0x12345; addi a0, a0, -1)

    /* auipc: compare against the address of a label placed at the auipc. */
    TEST_NUMBER(20)
10: auipc a0, 0
    CHECK_ADDR(a0, 10b)

    TEST_NUMBER(21)
11: auipc a0, 1
    la a1, 11b
    sub a0, a0, a1
    CHECK(a0, 0x1000)

    TEST_NUMBER(22)
12: auipc a0, 0xfffff
    la a1, 12b
    sub a0, a0, a1
    CHECK(a0, -0x1000)

    TEST_NUMBER(23)
13: auipc a0, 0x80000
    la a1, 13b
    sub a0, a0, a1
    CHECK(a0, 0x80000000)

    TEST_NUMBER(24)
14: auipc a0, 0x7ffff
    la a1, 14b
    sub a0, a0, a1
    CHECK(a0, 0x7ffff000)

    /* auipc + jalr reach a label: the pc-relative pair the assembler emits for `call`. */
    TEST_NUMBER(25)
    li a0, 0
15: auipc t0, %pcrel_hi(16f)
    jalr ra, %pcrel_lo(15b)(t0)
    j 17f
16: li a0, 42
    ret
17: CHECK(a0, 42)

    TEST_CASE(26, zero, 0, auipc zero, 0x1)

RVTEST_CODE_END
