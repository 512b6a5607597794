# RVC loads and stores: c.lw c.sw (base and data in x8..x15, offsets 0..124 scaled by 4)
# and c.lwsp c.swsp (base sp, any rd/rs2, offsets 0..252 scaled by 4).
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_NUMBER(1)
    la s0, cdat
    RVC_BEGIN
    c.lw a0, 0(s0)
    c.lw a1, 4(s0)
    c.lw a2, 124(s0)
    RVC_END
    CHECK(a0, 0x00ff00ff)
    CHECK(a1, 0xff00ff00)
    CHECK(a2, 0x7c7c7c7c)

    /* rd == base */
    TEST_NUMBER(2)
    la a5, cdat
    RVC_BEGIN
    c.lw a5, 8(a5)
    RVC_END
    CHECK(a5, 0x80000001)

    TEST_NUMBER(3)
    la s1, sbuf
    li a3, 0x13579bdf
    li a4, 0x2468ace0
    RVC_BEGIN
    c.sw a3, 0(s1)
    c.sw a4, 124(s1)
    c.lw a0, 0(s1)
    c.lw s0, 124(s1)
    RVC_END
    CHECK(a0, 0x13579bdf)
    CHECK(s0, 0x2468ace0)
    /* exactly one word written */
    lw a0, 4(s1)
    CHECK(a0, 0)
    lw a0, 120(s1)
    CHECK(a0, 0)

    /* stack-pointer relative forms */
    TEST_NUMBER(10)
    la sp, cdat
    RVC_BEGIN
    c.lwsp a0, 0(sp)
    c.lwsp ra, 4(sp)
    c.lwsp t6, 252(sp)
    RVC_END
    CHECK(a0, 0x00ff00ff)
    CHECK(ra, 0xff00ff00)
    CHECK(t6, 0xfcfcfcfc)

    TEST_NUMBER(11)
    la sp, sbuf + 128
    li t3, 0x0badf00d
    li ra, 0x12345678
    RVC_BEGIN
    c.swsp t3, 0(sp)
    c.swsp ra, 252(sp)
    c.swsp zero, 4(sp)
    c.lwsp t4, 0(sp)
    c.lwsp t5, 252(sp)
    c.lwsp s1, 4(sp)
    RVC_END
    CHECK(t4, 0x0badf00d)
    CHECK(t5, 0x12345678)
    CHECK(s1, 0)
    la a1, sbuf
    lw a0, 128(a1)
    CHECK(a0, 0x0badf00d)
    lw a0, 380(a1)
    CHECK(a0, 0x12345678)

    /* c.swsp of sp itself */
    TEST_NUMBER(12)
    la sp, sbuf + 128
    RVC_BEGIN
    c.swsp sp, 8(sp)
    c.lwsp a0, 8(sp)
    RVC_END
    CHECK_ADDR(a0, sbuf + 128)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
cdat:       .word 0x00ff00ff, 0xff00ff00, 0x80000001
            .skip 124 - 12
            .word 0x7c7c7c7c
            .skip 252 - 128
            .word 0xfcfcfcfc
sbuf:       .skip 512
RVTEST_DATA_END
