# RVC integer computational forms: c.li c.lui c.addi c.addi16sp c.addi4spn c.slli c.srli
# c.srai c.andi c.mv c.add c.sub c.xor c.or c.and c.nop.
# Immediates are sign-extended (c.li/c.addi/c.andi: 6 bits, c.lui: bits 17:12),
# c.addi16sp scales by 16 and c.addi4spn by 4 (zero-extended), shifts go up to 31.
#include "test_macros.h"

/* Run compressed `code...` and check reg. */
#define TEST_C(n, reg, expected, code...)                                   \
        TEST_NUMBER(n)                                                      \
        RVC_BEGIN                                                           \
        code;                                                               \
        RVC_END                                                             \
        CHECK(reg, expected)

RVTEST_CODE_BEGIN

    TEST_C(1,  a0, 0,           c.li a0, 0)
    TEST_C(2,  a0, 31,          c.li a0, 31)
    TEST_C(3,  a0, 0xffffffe0,  c.li a0, -32)
    TEST_C(4,  t6, 0xffffffff,  c.li t6, -1)
    TEST_C(5,  ra, 17,          c.li ra, 17)

    TEST_C(10, a0, 0x00001000,  c.lui a0, 1)
    TEST_C(11, a0, 0x0001f000,  c.lui a0, 0x1f)
    TEST_C(12, a0, 0xfffe0000,  c.lui a0, 0xfffe0)       /* imm[17] = 1: sign-extended */
    TEST_C(13, a0, 0xfffff000,  c.lui a0, 0xfffff)
    TEST_C(14, t5, 0x00005000,  c.lui t5, 5)
    TEST_C(15, s0, 0x00012000,  c.li s0, 7; c.lui s0, 0x12)   /* low bits cleared */

    TEST_C(20, a0, 0x00000004,  c.li a0, 3; c.addi a0, 1)
    TEST_C(21, a0, 0x00000022,  c.li a0, 3; c.addi a0, 31)
    TEST_C(22, a0, 0xffffffe3,  c.li a0, 3; c.addi a0, -32)
    TEST_C(23, a0, 0x00000000,  c.li a0, 1; c.addi a0, -1)
    TEST_C(24, t4, 0x00000011,  c.li t4, 16; c.addi t4, 1)
    TEST_CASE(25, a0, 0x80000000, li a0, 0x7fffffff; RVC_BEGIN c.addi a0, 1; RVC_END)

    /* c.addi16sp: sp += nzimm*16 in -512..496 */
    TEST_NUMBER(30)
    la sp, stack_mid
    RVC_BEGIN
    c.addi16sp sp, 496
    RVC_END
    la a0, stack_mid + 496
    sub a0, sp, a0
    CHECK(a0, 0)
    TEST_NUMBER(31)
    RVC_BEGIN
    c.addi16sp sp, -512
    RVC_END
    la a0, stack_mid - 16
    sub a0, sp, a0
    CHECK(a0, 0)
    TEST_NUMBER(32)
    RVC_BEGIN
    c.addi16sp sp, 16
    c.addi16sp sp, -16
    c.addi16sp sp, 16
    RVC_END
    la a0, stack_mid
    CHECK_ADDR(sp, stack_mid)

    /* c.addi4spn: rd' = sp + nzuimm*4 in 4..1020 */
    TEST_NUMBER(33)
    la sp, stack_mid
    RVC_BEGIN
    c.addi4spn a0, sp, 4
    c.addi4spn a1, sp, 1020
    c.addi4spn s0, sp, 512
    RVC_END
    CHECK_ADDR(a0, stack_mid + 4)
    CHECK_ADDR(a1, stack_mid + 1020)
    CHECK_ADDR(s0, stack_mid + 512)

    TEST_C(40, a0, 0x00000002,  c.li a0, 1; c.slli a0, 1)
    TEST_C(41, a0, 0x80000000,  c.li a0, 1; c.slli a0, 31)
    TEST_C(42, a0, 0xfffffc00,  c.li a0, -1; c.slli a0, 10)
    TEST_C(43, t3, 0x00000300,  c.li t3, 3; c.slli t3, 8)

    TEST_CASE(50, a0, 0x40000000, li a0, 0x80000000; RVC_BEGIN c.srli a0, 1; RVC_END)
    TEST_CASE(51, a0, 0x00000001, li a0, 0x80000000; RVC_BEGIN c.srli a0, 31; RVC_END)
    TEST_CASE(52, s1, 0x0000ffff, li s1, 0xffffffff; RVC_BEGIN c.srli s1, 16; RVC_END)
    TEST_CASE(53, a5, 0x00000000, li a5, 0x7fffffff; RVC_BEGIN c.srli a5, 31; RVC_END)

    TEST_CASE(60, a0, 0xc0000000, li a0, 0x80000000; RVC_BEGIN c.srai a0, 1; RVC_END)
    TEST_CASE(61, a0, 0xffffffff, li a0, 0x80000000; RVC_BEGIN c.srai a0, 31; RVC_END)
    TEST_CASE(62, s1, 0x00007fff, li s1, 0x7fffffff; RVC_BEGIN c.srai s1, 16; RVC_END)
    TEST_CASE(63, a4, 0xfffff800, li a4, 0x80000000; RVC_BEGIN c.srai a4, 20; RVC_END)

    TEST_CASE(70, a0, 0x0000000f, li a0, 0x12345f0f; RVC_BEGIN c.andi a0, 15; RVC_END)
    TEST_CASE(71, a0, 0x12345f00, li a0, 0x12345f0f; RVC_BEGIN c.andi a0, -32; RVC_END)
    TEST_CASE(72, a3, 0xffffffe1, li a3, 0xffffffe1; RVC_BEGIN c.andi a3, -1; RVC_END)
    TEST_CASE(73, a2, 0x00000000, li a2, 0xffffffe0; RVC_BEGIN c.andi a2, 0; RVC_END)

    TEST_CASE(80, a0, 0x12345678, li a1, 0x12345678; RVC_BEGIN c.mv a0, a1; RVC_END)
    TEST_CASE(81, t6, 0x89abcdef, li ra, 0x89abcdef; RVC_BEGIN c.mv t6, ra; RVC_END)
    TEST_CASE(82, tp, 3, li t0, 3; RVC_BEGIN c.mv tp, t0; RVC_END)

    TEST_CASE(90, a0, 0x00000007, li a0, 3; li a1, 4; RVC_BEGIN c.add a0, a1; RVC_END)
    TEST_CASE(91, a0, 0x00000000, li a0, 1; li a1, -1; RVC_BEGIN c.add a0, a1; RVC_END)
    TEST_CASE(92, t6, 0x80000000, li t6, 0x7fffffff; li ra, 1; RVC_BEGIN c.add t6, ra; RVC_END)
    TEST_CASE(93, a0, 0x00000006, li a0, 3; RVC_BEGIN c.add a0, a0; RVC_END)

    TEST_CASE(100, a0, 0xffffffff, li a0, 3; li a1, 4; RVC_BEGIN c.sub a0, a1; RVC_END)
    TEST_CASE(101, s0, 0x7fffffff, li s0, 0x80000000; li s1, 1; RVC_BEGIN c.sub s0, s1; RVC_END)
    TEST_CASE(102, a5, 0x00000000, li a5, 9; RVC_BEGIN c.sub a5, a5; RVC_END)

    TEST_CASE(110, a0, 0xf00ff00f, li a0, 0xff00ff00; li a1, 0x0f0f0f0f; RVC_BEGIN c.xor a0, a1; RVC_END)
    TEST_CASE(111, a2, 0x00000000, li a2, 0x12345678; RVC_BEGIN c.xor a2, a2; RVC_END)

    TEST_CASE(120, a0, 0xff0fff0f, li a0, 0xff00ff00; li a1, 0x0f0f0f0f; RVC_BEGIN c.or a0, a1; RVC_END)
    TEST_CASE(121, s1, 0x80000001, li s1, 0x80000000; li a4, 1; RVC_BEGIN c.or s1, a4; RVC_END)

    TEST_CASE(130, a0, 0x0f000f00, li a0, 0xff00ff00; li a1, 0x0f0f0f0f; RVC_BEGIN c.and a0, a1; RVC_END)
    TEST_CASE(131, a3, 0x00000000, li a3, 0xaaaaaaaa; li a2, 0x55555555; RVC_BEGIN c.and a3, a2; RVC_END)

    /* c.nop changes nothing */
    TEST_NUMBER(140)
    li a0, 42
    RVC_BEGIN
    c.nop
    c.nop
    RVC_END
    CHECK(a0, 42)

    /* 32-bit instructions at 2-byte aligned addresses between compressed ones */
    TEST_NUMBER(141)
    RVC_BEGIN
    c.li a0, 1
    RVC_END
    addi a0, a0, 100
    RVC_BEGIN
    c.addi a0, 1
    RVC_END
    lui a1, 0x12345
    RVC_BEGIN
    c.add a0, a1
    c.nop
    RVC_END
    CHECK(a0, 0x12345066)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
stack_lo:   .skip 1024
stack_mid:  .skip 1024
RVTEST_DATA_END
