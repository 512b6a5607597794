# Misaligned loads and stores to RAM.  The spec lets a hart either perform them or trap;
# QEMU 7.2 performs them with no trap (shared/ref/virt-rv32.md 5.6) and rvirt does too.
# Includes accesses that straddle a 4 KiB page boundary and compressed c.lw/c.sw.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_LD(1,  lh,  0x00002211, 1, mdat)
    TEST_LD(2,  lh,  0xffff8877, 7, mdat)
    TEST_LD(3,  lhu, 0x00008877, 7, mdat)
    TEST_LD(4,  lhu, 0x00004433, 3, mdat)
    TEST_LD(5,  lw,  0x44332211, 1, mdat)
    TEST_LD(6,  lw,  0x55443322, 2, mdat)
    TEST_LD(7,  lw,  0x66554433, 3, mdat)
    TEST_LD(8,  lw,  0x0a998877, 7, mdat)

    TEST_ST(10, sh, lhu, 0x0000beef, 0xbeef, 1, sbuf)
    TEST_ST(11, sw, lw,  0xcafef00d, 0xcafef00d, 5, sbuf)
    TEST_ST(12, sw, lw,  0x12345678, 0x12345678, 10, sbuf)
    TEST_ST(13, sh, lh,  0xffff9abc, 0x9abc, 15, sbuf)
    /* the bytes around them are exactly what was stored */
    TEST_CASE(14, a0, 0x00beef00, la a1, sbuf; lw a0, 0(a1))
    TEST_CASE(15, a0, 0xfef00d00, la a1, sbuf; lw a0, 4(a1))
    TEST_CASE(16, a0, 0x567800ca, la a1, sbuf; lw a0, 8(a1))
    TEST_CASE(17, a0, 0xbc001234, la a1, sbuf; lw a0, 12(a1))
    TEST_CASE(18, a0, 0x0000009a, la a1, sbuf; lw a0, 16(a1))

    /* across a page boundary */
    TEST_ST(20, sw, lw, 0xa1b2c3d4, 0xa1b2c3d4, -2, page2)
    TEST_CASE(21, a0, 0x0000a1b2, la a1, page2; lhu a0, 0(a1))
    TEST_CASE(22, a0, 0xc3d40000, la a1, page2; lw a0, -4(a1))
    TEST_ST(23, sh, lhu, 0x0000e5f6, 0xe5f6, -1, page2)

    /* compressed forms with a misaligned base */
    TEST_NUMBER(30)
    la s0, mdat + 1
    RVC_BEGIN
    c.lw a0, 0(s0)
    RVC_END
    CHECK(a0, 0x44332211)
    TEST_NUMBER(31)
    la s0, sbuf + 2
    li a0, 0x31415926
    RVC_BEGIN
    c.sw a0, 4(s0)
    RVC_END
    lw a0, 4(s0)
    CHECK(a0, 0x31415926)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
mdat:       .byte 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77
            .byte 0x88, 0x99, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
sbuf:       .skip 20
            .balign 4096
page2:      .word 0
RVTEST_DATA_END
