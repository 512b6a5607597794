# RV32I conditional branches: beq bne blt bge bltu bgeu.
# Each is checked taken forwards, taken backwards and not taken, with signed/unsigned
# boundary operands; a branch never writes a register.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_BR_TAKEN(1, beq, 0, 0)
    TEST_BR_TAKEN(2, beq, -1, -1)
    TEST_BR_TAKEN(3, beq, 0x80000000, 0x80000000)
    TEST_BR_TAKEN_BACK(4, beq, 7, 7)
    TEST_BR_NOT_TAKEN(5, beq, 0, 1)
    TEST_BR_NOT_TAKEN(6, beq, 1, 0)
    TEST_BR_NOT_TAKEN(7, beq, -1, 1)
    TEST_BR_NOT_TAKEN(8, beq, 0x80000000, 0)

    TEST_BR_TAKEN(10, bne, 0, 1)
    TEST_BR_TAKEN(11, bne, 1, 0)
    TEST_BR_TAKEN(12, bne, -1, 1)
    TEST_BR_TAKEN_BACK(13, bne, 1, -1)
    TEST_BR_NOT_TAKEN(14, bne, 0, 0)
    TEST_BR_NOT_TAKEN(15, bne, -1, -1)
    TEST_BR_NOT_TAKEN(16, bne, 0x7fffffff, 0x7fffffff)

    TEST_BR_TAKEN(20, blt, 0, 1)
    TEST_BR_TAKEN(21, blt, -1, 1)
    TEST_BR_TAKEN(22, blt, -2, -1)
    TEST_BR_TAKEN(23, blt, 0x80000000, 0x7fffffff)
    TEST_BR_TAKEN_BACK(24, blt, 0x80000000, 0)
    TEST_BR_NOT_TAKEN(25, blt, 1, 0)
    TEST_BR_NOT_TAKEN(26, blt, 1, -1)
    TEST_BR_NOT_TAKEN(27, blt, -1, -2)
    TEST_BR_NOT_TAKEN(28, blt, 0x7fffffff, 0x80000000)
    TEST_BR_NOT_TAKEN(29, blt, 5, 5)

    TEST_BR_TAKEN(30, bge, 0, 0)
    TEST_BR_TAKEN(31, bge, 1, 0)
    TEST_BR_TAKEN(32, bge, -1, -1)
    TEST_BR_TAKEN(33, bge, 1, -1)
    TEST_BR_TAKEN(34, bge, 0x7fffffff, 0x80000000)
    TEST_BR_TAKEN_BACK(35, bge, -1, -2)
    TEST_BR_NOT_TAKEN(36, bge, 0, 1)
    TEST_BR_NOT_TAKEN(37, bge, -1, 1)
    TEST_BR_NOT_TAKEN(38, bge, -2, -1)
    TEST_BR_NOT_TAKEN(39, bge, 0x80000000, 0x7fffffff)

    TEST_BR_TAKEN(40, bltu, 0, 1)
    TEST_BR_TAKEN(41, bltu, 1, -1)
    TEST_BR_TAKEN(42, bltu, 0xfffffffe, 0xffffffff)
    TEST_BR_TAKEN(43, bltu, 0x7fffffff, 0x80000000)
    TEST_BR_TAKEN_BACK(44, bltu, 0, 0x80000000)
    TEST_BR_NOT_TAKEN(45, bltu, 1, 0)
    TEST_BR_NOT_TAKEN(46, bltu, -1, 1)
    TEST_BR_NOT_TAKEN(47, bltu, 0xffffffff, 0xfffffffe)
    TEST_BR_NOT_TAKEN(48, bltu, 0x80000000, 0x7fffffff)
    TEST_BR_NOT_TAKEN(49, bltu, 5, 5)

    TEST_BR_TAKEN(50, bgeu, 0, 0)
    TEST_BR_TAKEN(51, bgeu, 1, 0)
    TEST_BR_TAKEN(52, bgeu, -1, 1)
    TEST_BR_TAKEN(53, bgeu, 0xffffffff, 0xfffffffe)
    TEST_BR_TAKEN(54, bgeu, 0x80000000, 0x7fffffff)
    TEST_BR_TAKEN_BACK(55, bgeu, -1, -1)
    TEST_BR_NOT_TAKEN(56, bgeu, 0, 1)
    TEST_BR_NOT_TAKEN(57, bgeu, 1, -1)
    TEST_BR_NOT_TAKEN(58, bgeu, 0xfffffffe, 0xffffffff)
    TEST_BR_NOT_TAKEN(59, bgeu, 0x7fffffff, 0x80000000)

    /* Comparisons with x0 on either side. */
    TEST_NUMBER(60)
    li a1, -5
    blt a1, zero, 10f
    j __fail
10: bge zero, a1, 11f
    j __fail
11: bltu zero, a1, 12f
    j __fail
12: beq zero, zero, 13f
    j __fail
13: bne zero, zero, __fail

    /* A branch leaves both operands untouched. */
    TEST_NUMBER(61)
    li a1, 3
    li a2, 4
    bltu a1, a2, 14f
    j __fail
14: CHECK(a1, 3)
    CHECK(a2, 4)

    /* Largest backward and forward offsets (+-4 KiB). */
    TEST_NUMBER(62)
    j 16f
15: j 17f
    .skip 4092
16: beq zero, zero, 15b            /* offset -4096 */
    j __fail
17: beq zero, zero, 18f            /* offset +4094: the target is only 2-byte aligned */
    .skip 4090
18: nop
    RVC_BEGIN
    c.nop                          /* back to 4-byte alignment */
    RVC_END

RVTEST_CODE_END
