# Synchronous exceptions taken in M-mode, with mcause, mepc and mtval as QEMU 7.2 sets
# them (shared/ref/virt-rv32.md 5.3): ecall, ebreak and c.ebreak (mtval = 0), illegal
# instructions (mtval = the instruction bits), access faults on loads, stores and fetches
# from unmapped addresses (mtval = the address), misaligned lr.w (cause 4).
# Also mret: pc <- mepc, MIE <- MPIE, MPIE <- 1.
#include "test_macros.h"

RVTEST_CODE_BEGIN

    TEST_TRAP(1, CAUSE_ECALL_M, 0, ecall)
    TEST_TRAP(2, CAUSE_BREAKPOINT, 0, ebreak)
    TEST_TRAP(3, CAUSE_BREAKPOINT, 0, RVC_BEGIN c.ebreak; RVC_END)
    /* c.ebreak is 2 bytes: execution resumed right after it */
    TEST_NUMBER(4)
    li a0, 0
    la t0, __trap_record
    csrw mtvec, t0
    RVC_BEGIN
    c.ebreak
    c.li a0, 4
    RVC_END
    la t0, __trap_unexpected
    csrw mtvec, t0
    CHECK(a0, 4)

    /* illegal instructions: mtval holds the bits */
    TEST_TRAP(10, CAUSE_ILLEGAL_INSN, 0xffffffff, .word 0xffffffff)
    TEST_TRAP(11, CAUSE_ILLEGAL_INSN, 0, .half 0x0000; .half 0x0001)  /* 16-bit 0, c.nop */
    TEST_TRAP(12, CAUSE_ILLEGAL_INSN, 0x7c0025f3, csrr a1, 0x7c0)     /* no such CSR */
    TEST_TRAP(13, CAUSE_ILLEGAL_INSN, 0x7c0595f3, csrrw a1, 0x7c0, a1)
    TEST_TRAP(14, CAUSE_ILLEGAL_INSN, 0x00052007, .word 0x00052007)   /* flw: no F */
    TEST_TRAP(15, CAUSE_ILLEGAL_INSN, 0x20000033, .word 0x20000033)  /* OP, funct7 0x10 */
    TEST_TRAP(16, CAUSE_ILLEGAL_INSN, 0x6081, .half 0x6081; .half 0x0001) /* c.lui nzimm=0 */
    TEST_TRAP(17, CAUSE_ILLEGAL_INSN, 0x6101, .half 0x6101; .half 0x0001) /* c.addi16sp 0 */

    /* a trap does not change the registers of the faulting instruction */
    TEST_NUMBER(18)
    li a1, 0x1234
    la t0, __trap_record
    csrw mtvec, t0
    csrrw a1, 0x7c0, a1
    la t0, __trap_unexpected
    csrw mtvec, t0
    CHECK(a1, 0x1234)

    /* loads from unmapped memory */
    li a0, 0x90000000
    TEST_TRAP(20, CAUSE_LOAD_ACCESS, 0x90000000, lw a1, 0(a0))
    TEST_TRAP(21, CAUSE_LOAD_ACCESS, 0x90000010, lbu a1, 16(a0))
    TEST_TRAP(22, CAUSE_LOAD_ACCESS, 0x90000002, lh a1, 2(a0))
    li a0, 0
    TEST_TRAP(23, CAUSE_LOAD_ACCESS, 0, lw a1, 0(a0))
    TEST_TRAP(24, CAUSE_LOAD_ACCESS, 0x10, lb a1, 16(zero))
    /* the destination keeps its old value */
    TEST_NUMBER(25)
    li a1, 77
    li a0, 0x90000000
    la t0, __trap_record
    csrw mtvec, t0
    lw a1, 0(a0)
    la t0, __trap_unexpected
    csrw mtvec, t0
    CHECK(a1, 77)

    /* stores to unmapped memory */
    li a0, 0x90000000
    TEST_TRAP(30, CAUSE_STORE_ACCESS, 0x90000000, sw a1, 0(a0))
    TEST_TRAP(31, CAUSE_STORE_ACCESS, 0x90000005, sb a1, 5(a0))
    TEST_TRAP(32, CAUSE_STORE_ACCESS, 0x8ffffffe, sh a1, -2(a0))
    li a0, 0
    TEST_TRAP(33, CAUSE_STORE_ACCESS, 0, sw a1, 0(a0))
    TEST_TRAP(34, CAUSE_STORE_ACCESS, 0x40, sw a1, 64(zero))
    RVC_BEGIN
    li s0, 0x90000000
    RVC_END
    TEST_TRAP(35, CAUSE_STORE_ACCESS, 0x90000004, RVC_BEGIN c.sw a1, 4(s0); RVC_END)
    TEST_TRAP(36, CAUSE_LOAD_ACCESS, 0x90000008, RVC_BEGIN c.lw a1, 8(s0); RVC_END)

    /* misaligned lr.w: load address misaligned */
    la a0, rdat + 2
    TEST_TRAP(40, CAUSE_MISALIGNED_LOAD, rdat + 2, lr.w a1, (a0))

    /* instruction fetch from unmapped memory: mepc = mtval = the target */
    TEST_NUMBER(50)
    la t0, __trap_record
    csrw mtvec, t0
    li TRAP_CAUSE, -1
    la ra, 11f
    li a0, 0x90000000
    jalr zero, 0(a0)
11: la t0, __trap_unexpected
    csrw mtvec, t0
    CHECK(TRAP_CAUSE, CAUSE_FETCH_ACCESS)
    CHECK(TRAP_TVAL, 0x90000000)
    CHECK(TRAP_EPC, 0x90000000)

    /* mret: pc <- mepc, MIE <- MPIE (here 0), MPIE <- 1; MPP was M so we stay in M */
    TEST_NUMBER(60)
    li a1, 0x1880
    csrc mstatus, a1
    li a1, 0x1800
    csrs mstatus, a1
    la a1, 12f
    csrw mepc, a1
    mret
    j __fail
12: csrr a0, mstatus
    andi a0, a0, 0x88
    CHECK(a0, 0x80)
    csrr a0, mhartid                      /* still allowed: we are in M-mode */
    CHECK(a0, 0)

    /* nested use: a trap inside a routine called with jal returns to the routine */
    TEST_NUMBER(61)
    la t0, __trap_record
    csrw mtvec, t0
    li a0, 0
    jal ra, 13f
    j 14f
13: ecall
    addi a0, a0, 1
    ebreak
    addi a0, a0, 1
    ret
14: la t0, __trap_unexpected
    csrw mtvec, t0
    CHECK(a0, 2)
    CHECK(TRAP_CAUSE, CAUSE_BREAKPOINT)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
rdat:       .word 0, 0
RVTEST_DATA_END
