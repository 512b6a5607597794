# The register file: all 31 writable registers hold independent 32-bit values, and x0
# reads 0 whatever is written to it by any instruction class.
#include "test_macros.h"

#define SET(r, v) li r, v;

RVTEST_CODE_BEGIN

    TEST_NUMBER(1)
    SET(x1, 0x01010101) SET(x2, 0x02020202) SET(x4, 0x04040404) SET(x5, 0x05050505)
    SET(x6, 0x06060606) SET(x8, 0x08080808) SET(x9, 0x09090909) SET(x10, 0x0a0a0a0a)
    SET(x11, 0x0b0b0b0b) SET(x12, 0x0c0c0c0c) SET(x13, 0x0d0d0d0d) SET(x14, 0x0e0e0e0e)
    SET(x15, 0x0f0f0f0f) SET(x16, 0x10101010) SET(x17, 0x11111111) SET(x18, 0x12121212)
    SET(x19, 0x13131313) SET(x20, 0x14141414) SET(x21, 0x15151515) SET(x22, 0x16161616)
    SET(x23, 0x17171717) SET(x24, 0x18181818) SET(x25, 0x19191919) SET(x26, 0x1a1a1a1a)
    SET(x27, 0x1b1b1b1b) SET(x28, 0x1c1c1c1c) SET(x29, 0x1d1d1d1d) SET(x30, 0x1e1e1e1e)
    SET(x31, 0x1f1f1f1f)
    CHECK(x1, 0x01010101)
    CHECK(x2, 0x02020202)
    CHECK(x4, 0x04040404)
    CHECK(x5, 0x05050505)
    CHECK(x6, 0x06060606)
    CHECK(x8, 0x08080808)
    CHECK(x9, 0x09090909)
    CHECK(x10, 0x0a0a0a0a)
    CHECK(x11, 0x0b0b0b0b)
    CHECK(x12, 0x0c0c0c0c)
    CHECK(x13, 0x0d0d0d0d)
    CHECK(x14, 0x0e0e0e0e)
    CHECK(x15, 0x0f0f0f0f)
    CHECK(x16, 0x10101010)
    CHECK(x17, 0x11111111)
    CHECK(x18, 0x12121212)
    CHECK(x19, 0x13131313)
    CHECK(x20, 0x14141414)
    CHECK(x21, 0x15151515)
    CHECK(x22, 0x16161616)
    CHECK(x23, 0x17171717)
    CHECK(x24, 0x18181818)
    CHECK(x25, 0x19191919)
    CHECK(x26, 0x1a1a1a1a)
    CHECK(x27, 0x1b1b1b1b)
    CHECK(x28, 0x1c1c1c1c)
    CHECK(x29, 0x1d1d1d1d)
    CHECK(x30, 0x1e1e1e1e)
    CHECK(x31, 0x1f1f1f1f)

    /* x0 ignores writes from every instruction class */
    TEST_NUMBER(2)
    la a1, zdat
    li a2, 0x5a5a5a5a
    addi x0, a2, 1
    add x0, a2, a2
    lui x0, 0x12345
    auipc x0, 0x12345
    lw x0, 0(a1)
    jal x0, 10f
10: mul x0, a2, a2
    csrrs x0, mscratch, zero
    amoswap.w x0, a2, (a1)
    lr.w x0, (a1)
    sc.w x0, a2, (a1)
    CHECK(x0, 0)
    /* and reads as 0 as an operand */
    add a0, x0, x0
    CHECK(a0, 0)

    /* a chain that moves a value through all registers */
    TEST_NUMBER(3)
    li x1, 0x600dc0de
    mv x2, x1
    mv x4, x2
    mv x5, x4
    mv x6, x5
    mv x8, x6
    mv x9, x8
    mv x10, x9
    mv x11, x10
    mv x12, x11
    mv x13, x12
    mv x14, x13
    mv x15, x14
    mv x16, x15
    mv x17, x16
    mv x18, x17
    mv x19, x18
    mv x20, x19
    mv x21, x20
    mv x22, x21
    mv x23, x22
    mv x24, x23
    mv x25, x24
    mv x26, x25
    mv x27, x26
    mv x28, x27
    mv x29, x28
    mv x30, x29
    mv x31, x30
    CHECK(x31, 0x600dc0de)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
zdat:       .word 0
RVTEST_DATA_END
