# Zicsr: csrrw csrrs csrrc csrrwi csrrsi csrrci, mostly on mscratch.
# Each returns the old value; the x0 rules: rd = x0 skips the read, and csrrs/csrrc with
# rs1 = x0 (or csrrsi/csrrci with uimm = 0) do not write, so they may target read-only
# CSRs without trapping; a real write to a read-only CSR is an illegal instruction.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_CASE(1, a0, 0, csrrw zero, mscratch, zero; csrrw a0, mscratch, zero)

    TEST_NUMBER(2)
    li a1, 0x12345678
    csrrw a0, mscratch, a1
    CHECK(a0, 0)
    csrrs a0, mscratch, zero
    CHECK(a0, 0x12345678)

    TEST_NUMBER(3)                        /* set bits */
    li a2, 0x0000ffff
    csrrs a0, mscratch, a2
    CHECK(a0, 0x12345678)
    csrrs a0, mscratch, zero
    CHECK(a0, 0x1234ffff)

    TEST_NUMBER(4)                        /* clear bits */
    li a2, 0x12340000
    csrrc a0, mscratch, a2
    CHECK(a0, 0x1234ffff)
    csrrs a0, mscratch, zero
    CHECK(a0, 0x0000ffff)

    TEST_NUMBER(5)                        /* immediate forms: 5-bit zero-extended */
    csrrwi a0, mscratch, 31
    CHECK(a0, 0x0000ffff)
    csrrwi a0, mscratch, 5
    CHECK(a0, 31)
    csrrsi a0, mscratch, 0x1a
    CHECK(a0, 5)
    csrrci a0, mscratch, 0x3
    CHECK(a0, 0x1f)
    csrrs a0, mscratch, zero
    CHECK(a0, 0x1c)

    TEST_NUMBER(6)                        /* rs1 = x0 / uimm = 0: no write */
    li a1, 0xa5a5a5a5
    csrrw zero, mscratch, a1
    csrrs a0, mscratch, zero
    csrrc a0, mscratch, zero
    csrrsi a0, mscratch, 0
    csrrci a0, mscratch, 0
    CHECK(a0, 0xa5a5a5a5)

    TEST_NUMBER(7)                        /* rd = x0 still writes */
    li a1, 0x5a5a5a5a
    csrrw zero, mscratch, a1
    csrrs a0, mscratch, zero
    CHECK(a0, 0x5a5a5a5a)
    li a1, 0x0000000a
    csrrc zero, mscratch, a1
    csrrs a0, mscratch, zero
    CHECK(a0, 0x5a5a5a50)
    csrrsi zero, mscratch, 0xf
    csrrwi a0, mscratch, 0
    CHECK(a0, 0x5a5a5a5f)
    csrrci zero, mscratch, 1
    csrrs a0, mscratch, zero
    CHECK(a0, 0)

    TEST_NUMBER(8)                        /* rd == rs1 */
    li a1, 0x11111111
    csrrw zero, mscratch, a1
    li a1, 0x22222222
    csrrw a1, mscratch, a1
    CHECK(a1, 0x11111111)
    csrrs a0, mscratch, zero
    CHECK(a0, 0x22222222)
    li a1, 0x0f
    csrrs a1, mscratch, a1
    CHECK(a1, 0x22222222)
    csrrc a1, mscratch, a1                /* clears the bits of the old value */
    CHECK(a1, 0x2222222f)
    csrrs a0, mscratch, zero
    CHECK(a0, 0x0000000d)

    TEST_CASE(9, a0, 0x0000000d, csrrs a0, 0x340, zero)   /* mscratch by number */

    /* read-only machine information registers: reads with no write do not trap */
    TEST_CASE(10, a0, 0, li a0, 7; csrrs a0, mhartid, zero)
    TEST_CASE(11, a0, 0, li a0, 7; csrrc a0, mvendorid, zero)
    TEST_CASE(12, a0, 0, li a0, 7; csrrsi a0, mhartid, 0)
    TEST_CASE(13, a0, 0, li a0, 7; csrrci a0, mvendorid, 0)
    TEST_CASE(14, zero, 0, csrrs zero, marchid, zero; csrrs zero, mimpid, zero)

    /* ...but a write does */
    TEST_TRAP(20, CAUSE_ILLEGAL_INSN, 0xf1401073, csrrw zero, mhartid, zero)
    TEST_TRAP(21, CAUSE_ILLEGAL_INSN, 0xf14fd573, csrrwi a0, mhartid, 31)
    li a1, 1
    TEST_TRAP(22, CAUSE_ILLEGAL_INSN, 0xf145a573, csrrs a0, mhartid, a1)
    TEST_TRAP(23, CAUSE_ILLEGAL_INSN, 0xf110e573, csrrsi a0, mvendorid, 1)
    TEST_TRAP(24, CAUSE_ILLEGAL_INSN, 0xf145b573, csrrc a0, mhartid, a1)
    TEST_TRAP(25, CAUSE_ILLEGAL_INSN, 0xf110f573, csrrci a0, mvendorid, 1)

    /* misa: MXL = 1 (32-bit) and I, M, A, C present */
    TEST_NUMBER(30)
    csrrs a0, misa, zero
    srli a1, a0, 30
    CHECK(a1, 1)
    li a2, (1 << 8) | (1 << 12) | (1 << 0) | (1 << 2)
    and a1, a0, a2
    CHECK(a1, (1 << 8) | (1 << 12) | (1 << 0) | (1 << 2))

    /* trap-setup and trap-handling CSRs hold what is written */
    TEST_NUMBER(40)
    csrrs s0, mtvec, zero
    la a1, aligned_handler
    csrrw a0, mtvec, a1
    csrrs a0, mtvec, zero
    CHECK_ADDR(a0, aligned_handler)
    addi a1, a1, 1                        /* MODE = 1: vectored */
    csrrw zero, mtvec, a1
    csrrs a0, mtvec, zero
    CHECK_ADDR(a0, aligned_handler + 1)
    csrrw zero, mtvec, s0

    TEST_NUMBER(41)
    li a1, 0x80000004
    csrrw zero, mepc, a1
    csrrs a0, mepc, zero
    CHECK(a0, 0x80000004)
    li a1, 0x80000002                     /* IALIGN = 16: bit 1 is kept */
    csrrw zero, mepc, a1
    csrrs a0, mepc, zero
    CHECK(a0, 0x80000002)

    TEST_NUMBER(42)
    li a1, 11
    csrrw zero, mcause, a1
    csrrs a0, mcause, zero
    CHECK(a0, 11)
    li a1, 0x80000007
    csrrw zero, mcause, a1
    csrrs a0, mcause, zero
    CHECK(a0, 0x80000007)

    TEST_NUMBER(43)
    li a1, 0xdeadbeef
    csrrw zero, mtval, a1
    csrrs a0, mtval, zero
    CHECK(a0, 0xdeadbeef)

    /* mstatus.MIE and MPIE: plain read/write bits (no interrupt is enabled in mie).
       The mret of the trap tests above left MPIE = 1. */
    TEST_NUMBER(50)
    csrrs a0, mstatus, zero
    andi a0, a0, 0x88
    CHECK(a0, 0x80)
    li a1, 0x88
    csrrc zero, mstatus, a1
    csrrs a0, mstatus, zero
    andi a0, a0, 0x88
    CHECK(a0, 0)
    csrrsi zero, mstatus, 0x8
    csrrs a0, mstatus, zero
    andi a0, a0, 0x88
    CHECK(a0, 0x8)
    li a1, 0x80
    csrrs zero, mstatus, a1
    csrrci a0, mstatus, 0x8
    andi a0, a0, 0x88
    CHECK(a0, 0x88)
    csrrc a0, mstatus, a1
    andi a0, a0, 0x88
    CHECK(a0, 0x80)
    csrrs a0, mstatus, zero
    andi a0, a0, 0x88
    CHECK(a0, 0)

    /* mie holds the machine-level enable bits */
    TEST_NUMBER(51)
    li a1, 0x888
    csrrw a0, mie, a1
    CHECK(a0, 0)
    csrrw a0, mie, zero
    CHECK(a0, 0x888)

    /* mip: the timer interrupt is pending from reset (mtimecmp = 0 <= mtime) */
    TEST_NUMBER(52)
    csrrs a0, mip, zero
    andi a0, a0, 0x80
    CHECK(a0, 0x80)

RVTEST_CODE_END

    .balign 4, 0
aligned_handler:
    j __trap_unexpected
