# RV32I loads: lb lh lw lbu lhu.
# Sign extension of lb/lh versus zero extension of lbu/lhu, positive and negative offsets
# (including the 12-bit extremes -2048 and 2047), x0 as destination, rd == rs1.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_LD(1,  lb, 0xffffffff, 0, tdat_b)
    TEST_LD(2,  lb, 0x00000000, 1, tdat_b)
    TEST_LD(3,  lb, 0xfffffff0, 2, tdat_b)
    TEST_LD(4,  lb, 0x0000000f, 3, tdat_b)
    TEST_LD(5,  lb, 0xffffff80, 4, tdat_b)
    TEST_LD(6,  lb, 0x0000007f, 5, tdat_b)
    TEST_LD(7,  lb, 0xffffffff, -4, tdat_b + 4)
    TEST_LD(8,  lb, 0x0000000f, -1, tdat_b + 4)

    TEST_LD(10, lbu, 0x000000ff, 0, tdat_b)
    TEST_LD(11, lbu, 0x00000000, 1, tdat_b)
    TEST_LD(12, lbu, 0x000000f0, 2, tdat_b)
    TEST_LD(13, lbu, 0x0000000f, 3, tdat_b)
    TEST_LD(14, lbu, 0x00000080, 4, tdat_b)
    TEST_LD(15, lbu, 0x0000007f, 5, tdat_b)
    TEST_LD(16, lbu, 0x000000ff, -4, tdat_b + 4)

    TEST_LD(20, lh, 0x000000ff, 0, tdat_h)
    TEST_LD(21, lh, 0xffffff00, 2, tdat_h)
    TEST_LD(22, lh, 0x00000ff0, 4, tdat_h)
    TEST_LD(23, lh, 0xfffff00f, 6, tdat_h)
    TEST_LD(24, lh, 0xffff8000, 8, tdat_h)
    TEST_LD(25, lh, 0x00007fff, 10, tdat_h)
    TEST_LD(26, lh, 0x000000ff, -6, tdat_h + 6)

    TEST_LD(30, lhu, 0x000000ff, 0, tdat_h)
    TEST_LD(31, lhu, 0x0000ff00, 2, tdat_h)
    TEST_LD(32, lhu, 0x00000ff0, 4, tdat_h)
    TEST_LD(33, lhu, 0x0000f00f, 6, tdat_h)
    TEST_LD(34, lhu, 0x00008000, 8, tdat_h)
    TEST_LD(35, lhu, 0x00007fff, 10, tdat_h)
    TEST_LD(36, lhu, 0x0000ff00, -4, tdat_h + 6)

    TEST_LD(40, lw, 0x00ff00ff, 0, tdat_w)
    TEST_LD(41, lw, 0xff00ff00, 4, tdat_w)
    TEST_LD(42, lw, 0x0ff00ff0, 8, tdat_w)
    TEST_LD(43, lw, 0xf00ff00f, 12, tdat_w)
    TEST_LD(44, lw, 0x00ff00ff, -12, tdat_w + 12)
    TEST_LD(45, lw, 0x0ff00ff0, -4, tdat_w + 12)

    /* 12-bit offset extremes */
    TEST_LD(50, lw, 0x11223344, -2048, far_word + 2048)
    TEST_LD(51, lbu, 0x000000aa, 2047, far_byte - 2047)
    TEST_LD(52, lb, 0xffffffaa, 2047, far_byte - 2047)

    /* rd == rs1: the address is computed from the old base */
    TEST_CASE(60, a1, 0xff00ff00, la a1, tdat_w; lw a1, 4(a1))
    TEST_CASE(61, a1, 0xffffff00, la a1, tdat_h; lh a1, 2(a1))
    TEST_CASE(62, a1, 0x000000f0, la a1, tdat_b; lbu a1, 2(a1))

    /* a load into x0 is performed but discarded */
    TEST_CASE(70, zero, 0, la a1, tdat_w; lw zero, 0(a1))
    TEST_CASE(71, zero, 0, la a1, tdat_b; lb zero, 0(a1))
    TEST_CASE(72, zero, 0, la a1, tdat_h; lhu zero, 0(a1))

    /* back-to-back dependent loads (pointer chasing) */
    TEST_CASE(80, a0, 0xf00ff00f, la a1, ptr_chain; lw a1, 0(a1); lw a1, 0(a1); lw a0, 12(a1))

RVTEST_CODE_END

RVTEST_DATA_BEGIN
tdat_b:     .byte 0xff, 0x00, 0xf0, 0x0f, 0x80, 0x7f, 0x00, 0x00
            .balign 4
tdat_h:     .half 0x00ff, 0xff00, 0x0ff0, 0xf00f, 0x8000, 0x7fff
            .balign 4
tdat_w:     .word 0x00ff00ff, 0xff00ff00, 0x0ff00ff0, 0xf00ff00f
ptr_chain:  .word ptr_link
ptr_link:   .word tdat_w
far_word:   .word 0x11223344
            .skip 4096
far_byte:   .byte 0xaa
RVTEST_DATA_END
