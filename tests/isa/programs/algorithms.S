# Small whole programs mixing instruction classes, as compiled code would: a recursive
# function with a stack frame, an insertion sort over memory, CRC-32 (bitwise), a
# multiply/divide-heavy gcd/lcm loop and a compressed-instruction string routine.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    la sp, stack_top

    /* fib(10) = 55, recursively */
    TEST_NUMBER(1)
    li a0, 10
    jal ra, fib
    CHECK(a0, 55)

    /* insertion sort of 12 signed words, then check they are in order */
    TEST_NUMBER(2)
    la a0, sort_data
    li a1, 12
    jal ra, isort
    la a0, sort_data
    lw a2, 0(a0)
    CHECK(a2, 0x80000000)
    lw a2, 44(a0)
    CHECK(a2, 0x7fffffff)
    li a3, 11
10: lw a4, 0(a0)
    lw a5, 4(a0)
    blt a5, a4, __fail
    addi a0, a0, 4
    addi a3, a3, -1
    bnez a3, 10b

    /* CRC-32 (IEEE, reflected) of "123456789" is 0xcbf43926 */
    TEST_NUMBER(3)
    la a0, crc_msg
    li a1, 9
    jal ra, crc32
    CHECK(a0, 0xcbf43926)

    /* gcd(1071, 462) = 21, lcm = 23562 */
    TEST_NUMBER(4)
    li a0, 1071
    li a1, 462
    jal ra, gcd
    CHECK(a0, 21)
    li a1, 1071
    li a2, 462
    mul a3, a1, a2
    divu a3, a3, a0
    CHECK(a3, 23562)

    /* strlen with compressed code */
    TEST_NUMBER(5)
    la a0, crc_msg
    jal ra, c_strlen
    CHECK(a0, 9)

RVTEST_CODE_END

/* a0 = fib(a0) */
fib:
    li t0, 2
    blt a0, t0, 20f
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    sw s1, 4(sp)
    mv s0, a0
    addi a0, a0, -1
    jal ra, fib
    mv s1, a0
    addi a0, s0, -2
    jal ra, fib
    add a0, a0, s1
    lw s1, 4(sp)
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
20: ret

/* sort a1 words at a0 ascending (signed) */
isort:
    li t0, 1
21: bge t0, a1, 24f
    slli t1, t0, 2
    add t1, a0, t1
    lw t2, 0(t1)
22: beq t1, a0, 23f
    lw t3, -4(t1)
    bge t2, t3, 23f
    sw t3, 0(t1)
    addi t1, t1, -4
    j 22b
23: sw t2, 0(t1)
    addi t0, t0, 1
    j 21b
24: ret

/* a0 = crc32(a0 bytes, a1 length) */
crc32:
    li t0, -1
    li t3, 0xedb88320
25: beqz a1, 28f
    lbu t1, 0(a0)
    xor t0, t0, t1
    li t2, 8
26: andi t4, t0, 1
    srli t0, t0, 1
    beqz t4, 27f
    xor t0, t0, t3
27: addi t2, t2, -1
    bnez t2, 26b
    addi a0, a0, 1
    addi a1, a1, -1
    j 25b
28: not a0, t0
    ret

/* a0 = gcd(a0, a1) by remainders */
gcd:
29: beqz a1, 30f
    remu t0, a0, a1
    mv a0, a1
    mv a1, t0
    j 29b
30: ret

c_strlen:
    RVC_BEGIN
    c.mv a5, a0
    c.li a0, 0
31: lbu a4, 0(a5)
    c.beqz a4, 32f
    c.addi a0, 1
    c.addi a5, 1
    c.j 31b
32: c.jr ra
    RVC_END

RVTEST_DATA_BEGIN
sort_data:  .word 5, -3, 0x7fffffff, 0, 17, 0x80000000, -1, 42, 3, 3, -100, 1000
crc_msg:    .asciz "123456789"
            .balign 16
            .skip 512
stack_top:
RVTEST_DATA_END
