# RV32I stores: sb sh sw.
# Each store writes exactly its width (neighbouring bytes keep their value), takes the
# low bits of rs2, and accepts positive and negative offsets (12-bit extremes too).
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_ST(1,  sb, lbu, 0x000000aa, 0xaa, 0, sdat)
    TEST_ST(2,  sb, lb,  0xffffff80, 0x80, 1, sdat)
    TEST_ST(3,  sb, lbu, 0x00000078, 0x12345678, 2, sdat)   /* only the low byte */
    TEST_ST(4,  sb, lb,  0xffffffa0, 0xa0, 3, sdat)
    TEST_CASE(5, a0, 0xa07880aa, la a1, sdat; lw a0, 0(a1))
    TEST_CASE(6, a0, 0xdeadbeef, la a1, sdat; lw a0, 4(a1))  /* next word untouched */
    TEST_ST(7,  sb, lbu, 0x0000000a, 0x0a, -1, sdat + 8)
    TEST_CASE(8, a0, 0x0aadbeef, la a1, sdat; lw a0, 4(a1))

    TEST_ST(10, sh, lhu, 0x0000aa55, 0xaa55, 8, sdat)
    TEST_ST(11, sh, lh,  0xffff8001, 0x12348001, 10, sdat)    /* only the low half */
    TEST_CASE(12, a0, 0x8001aa55, la a1, sdat; lw a0, 8(a1))
    TEST_CASE(13, a0, 0xdeadbeef, la a1, sdat; lw a0, 12(a1))
    TEST_ST(14, sh, lhu, 0x00001234, 0x1234, -2, sdat + 16)
    TEST_CASE(15, a0, 0x1234beef, la a1, sdat; lw a0, 12(a1))

    TEST_ST(20, sw, lw, 0x01234567, 0x01234567, 16, sdat)
    TEST_ST(21, sw, lw, 0xfedcba98, 0xfedcba98, 20, sdat)
    TEST_ST(22, sw, lw, 0x0badf00d, 0x0badf00d, -4, sdat + 28)
    TEST_CASE(23, a0, 0x00000067, la a1, sdat; lbu a0, 16(a1))  /* little-endian */
    TEST_CASE(24, a0, 0x00000001, la a1, sdat; lbu a0, 19(a1))
    TEST_CASE(25, a0, 0xffffba98, la a1, sdat; lh a0, 20(a1))
    TEST_CASE(26, a0, 0xfffffffe, la a1, sdat; lb a0, 23(a1))

    /* storing x0 writes zeros */
    TEST_CASE(30, a0, 0, la a1, sdat; sw zero, 16(a1); lw a0, 16(a1))
    TEST_CASE(31, a0, 0x0000ba00, la a1, sdat; sb zero, 20(a1); lhu a0, 20(a1))
    TEST_CASE(32, a0, 0xfedc0000, la a1, sdat; sh zero, 20(a1); lw a0, 20(a1))

    /* base register as the stored value */
    TEST_NUMBER(40)
    la a1, sdat
    sw a1, 24(a1)
    lw a0, 24(a1)
    CHECK_ADDR(a0, sdat)

    /* 12-bit offset extremes */
    TEST_ST(41, sw, lw, 0x55aa55aa, 0x55aa55aa, -2048, far + 2048)
    TEST_ST(42, sb, lbu, 0x000000c3, 0xc3, 2047, far_end - 2047)

    /* store then load of a different width at the same address */
    TEST_CASE(50, a0, 0x00000080, la a1, sdat; li a2, 0xffff8080; sw a2, 28(a1); lbu a0, 28(a1))
    TEST_CASE(51, a0, 0xffff8080, la a1, sdat; lh a0, 28(a1))

RVTEST_CODE_END

RVTEST_DATA_BEGIN
sdat:       .word 0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef
            .word 0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef
far:        .word 0
            .skip 4096
far_end:    .byte 0
RVTEST_DATA_END
