# RVC control transfer: c.j c.jal c.jr c.jalr c.beqz c.bnez.
# c.jal and c.jalr link to pc + 2; c.beqz/c.bnez test a register in x8..x15 against zero.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    /* c.j forwards and backwards */
    TEST_NUMBER(1)
    li a0, 0
    RVC_BEGIN
    c.j 11f
10: c.addi a0, 1
    c.j 12f
11: c.j 10b
    RVC_END
    j __fail
12: CHECK(a0, 1)

    /* c.jal links to the next halfword */
    TEST_NUMBER(2)
    li ra, 0
    RVC_BEGIN
13: c.jal 14f
    RVC_END
    j __fail
14: CHECK_ADDR(ra, 13b + 2)

    /* c.jr: jump to a register, no link */
    TEST_NUMBER(3)
    li ra, 7
    la a1, 15f
    RVC_BEGIN
    c.jr a1
    RVC_END
    j __fail
15: CHECK(ra, 7)

    /* c.jalr: jump to a register, link pc + 2 in ra */
    TEST_NUMBER(4)
    la t0, 17f
    RVC_BEGIN
16: c.jalr t0
    RVC_END
    j __fail
17: CHECK_ADDR(ra, 16b + 2)

    /* c.jalr ra: the target comes from the old ra */
    TEST_NUMBER(5)
    la ra, 19f
    RVC_BEGIN
18: c.jalr ra
    RVC_END
    j __fail
19: CHECK_ADDR(ra, 18b + 2)

    /* call and return with compressed instructions */
    TEST_NUMBER(6)
    li a0, 0
    RVC_BEGIN
    c.jal 21f
    c.addi a0, 2
    c.j 22f
21: c.addi a0, 1
    c.jr ra
    RVC_END
22: CHECK(a0, 3)

    /* c.beqz */
    TEST_NUMBER(10)
    li s0, 0
    RVC_BEGIN
    c.beqz s0, 23f
    RVC_END
    j __fail
23: li s0, 1
    RVC_BEGIN
    c.beqz s0, 24f
    c.j 25f
    RVC_END
24: j __fail
25: li a5, 0x80000000
    RVC_BEGIN
    c.beqz a5, 24b
    RVC_END

    /* c.bnez */
    TEST_NUMBER(11)
    li a1, -1
    RVC_BEGIN
    c.bnez a1, 26f
    RVC_END
    j __fail
26: li a1, 0
    RVC_BEGIN
    c.bnez a1, 27f
    c.j 28f
    RVC_END
27: j __fail
28: nop

    /* backwards compressed branch: a counting loop */
    TEST_NUMBER(12)
    li a2, 5
    li a3, 0
    RVC_BEGIN
29: c.addi a3, 3
    c.addi a2, -1
    c.bnez a2, 29b
    RVC_END
    CHECK(a3, 15)

    /* longest c.beqz offsets: -256 backwards; forwards +252, because the assembler widens
       a forward c.beqz/c.j whose target is within 2 bytes of the limit */
    TEST_NUMBER(13)
    li s1, 0
    RVC_BEGIN
    c.j 31f
30: c.j 32f
    .skip 254
31: c.beqz s1, 30b           /* -256 */
    RVC_END
    j __fail
32: RVC_BEGIN
    c.beqz s1, 33f           /* +252 */
    .skip 250
33: c.nop
    RVC_END

    /* longest c.j offsets: -2048 backwards, +2044 forwards */
    TEST_NUMBER(14)
    j 35f
34: j 36f
    .skip 2044
    RVC_BEGIN
35: c.j 34b                  /* -2048 */
36: c.j 37f                  /* +2044 */
    .skip 2042
37: c.nop
    .balign 4                /* pads with c.nop */
    RVC_END

RVTEST_CODE_END
