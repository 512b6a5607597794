# Zifencei: fence.i makes earlier stores to instruction memory visible to fetches.
# A routine is executed, patched in memory, synchronised with fence.i and executed again;
# an emulator that caches decoded code must see the new instructions.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    /* original routine returns 1 */
    TEST_NUMBER(1)
    li a0, 0
    jal ra, patch_me
    CHECK(a0, 1)

    /* patch "addi a0, zero, 1" into "addi a0, zero, 5" */
    TEST_NUMBER(2)
    la a1, patch_me
    li a2, 0x00500513                     /* addi a0, zero, 5 */
    sw a2, 0(a1)
    fence.i
    li a0, 0
    jal ra, patch_me
    CHECK(a0, 5)

    /* patch a compressed instruction: c.li a0, 3 -> c.li a0, 9 */
    TEST_NUMBER(3)
    li a0, 0
    jal ra, patch_c
    CHECK(a0, 3)
    la a1, patch_c
    li a2, 0x4525                         /* c.li a0, 9 */
    sh a2, 0(a1)
    fence.i
    li a0, 0
    jal ra, patch_c
    CHECK(a0, 9)

    /* a loop that rewrites its own body: each pass patches the immediate */
    TEST_NUMBER(4)
    li a3, 0
    li a4, 3
    la a1, patch_loop
10: jal ra, patch_loop
    add a3, a3, a0
    lw a2, 0(a1)
    li a5, 0x00100000                     /* +1 in the I-type immediate field */
    add a2, a2, a5
    sw a2, 0(a1)
    fence.i
    addi a4, a4, -1
    bnez a4, 10b
    CHECK(a3, 0 + 1 + 2)

    /* fence.i with no pending store is harmless */
    TEST_CASE(5, a0, 7, li a0, 7; fence.i; fence.i)

RVTEST_CODE_END

    .balign 4, 0
patch_me:
    addi a0, zero, 1
    ret
patch_c:
    RVC_BEGIN
    c.li a0, 3
    c.jr ra
    RVC_END
patch_loop:
    addi a0, zero, 0
    ret
