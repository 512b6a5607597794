/* Self-checking test programs for the rv32 "virt" machine.
 *
 * A program is:
 *
 *     #include "test_macros.h"
 *     RVTEST_CODE_BEGIN
 *       TEST_RR(1, add, 5, 2, 3)
 *       ...
 *     RVTEST_CODE_END
 *     RVTEST_DATA_BEGIN
 *       ...
 *     RVTEST_DATA_END
 *
 * Each TEST_* macro loads its test number (1..254, unique in the program) into TESTNUM,
 * runs the code under test and compares a result register with the expected value.  On a
 * mismatch it jumps to __fail, which prints "FAIL <n>" on the UART and writes
 * (n << 16) | 0x3333 to the SiFive test finisher: the machine exits with status n.  When
 * every test passed, RVTEST_CODE_END writes 0x5555 to the finisher: exit status 0.
 * An unexpected trap prints "TRAP <mcause> <mepc> <mtval>" and fails the current test.
 *
 * Register conventions (tests must not keep values in these across a macro):
 *   gp (x3)            TESTNUM
 *   t2 (x7)            expected value in checks
 *   a0 (x10)           result register of the generic forms
 *   a1, a2 (x11, x12)  operand registers of the generic forms
 *   s8..s11            what __trap_record saw: mstatus, mcause, mepc, mtval
 *   t5, t6 (x30, x31)  scratch of the trap handlers
 *
 * Numeric local labels 1-9 belong to the macros; programs use 10 and up, or names.
 *
 * The base programs are assembled with `.option norvc` so the assembler never swaps in a
 * compressed form: an `add` in the source is an `add` in the ELF.  RVC programs switch
 * compression on locally with RVC_BEGIN / RVC_END around explicit c.* mnemonics.
 */
#ifndef RVIRT_TEST_MACROS_H
#define RVIRT_TEST_MACROS_H

#define TESTNUM gp

#define FINISHER_BASE 0x100000
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333
#define UART_BASE     0x10000000

/* mcause values (privileged spec, table "machine cause register values") */
#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL_INSN      2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_M           11

#define MSTATUS_MPP_M 0x1800

/* Registers written by __trap_record. */
#define TRAP_MSTATUS s8
#define TRAP_CAUSE   s9
#define TRAP_EPC     s10
#define TRAP_TVAL    s11

/* ------------------------------------------------------------------------------------- */
/* Program skeleton                                                                       */

#define RVTEST_CODE_BEGIN                                                   \
        .option norvc;                                                      \
        .option norelax;                                                    \
        .section .text.init, "ax";                                          \
        .globl _start;                                                      \
_start:                                                                     \
        li TESTNUM, 0;                                                      \
        la t0, __trap_unexpected;                                           \
        csrw mtvec, t0;

#define RVTEST_CODE_END                                                     \
        .option norvc;                                                      \
        li TESTNUM, 0;                                                      \
        li t0, FINISHER_BASE;                                               \
        li t1, FINISHER_PASS;                                               \
        sw t1, 0(t0);                                                       \
1:      j 1b;                                                               \
        RVTEST_RUNTIME

#define RVTEST_DATA_BEGIN                                                   \
        .section .data;                                                     \
        .balign 16;

#define RVTEST_DATA_END                                                     \
        .balign 16;

#define RVC_BEGIN .option push; .option rvc;
#define RVC_END   .option pop;

/* ------------------------------------------------------------------------------------- */
/* Checks                                                                                 */

/* Assembly-time guard: test numbers must fit the 8-bit exit status (255 is "outside any
 * test") and must be unique within a program. */
#define TEST_NUMBER(n)                                                      \
        .if ((n) < 1) || ((n) > 254);                                       \
        .error "test numbers must be in 1..254";                            \
        .endif;                                                             \
        .ifdef __test_number_##n;                                           \
        .error "duplicate test number";                                   \
        .endif;                                                             \
        .set __test_number_##n, 1;                                          \
        li TESTNUM, n;

/* Fail the current test unless reg == expected (reg may not be t2). */
#define CHECK(reg, expected)                                                \
        li t2, expected;                                                    \
        beq reg, t2, 9f;                                                    \
        j __fail;                                                           \
9:

/* Fail the current test unless reg == `label` (an address expression; constants work
 * too, since `la` of an absolute value loads it like `li`). */
#define CHECK_ADDR(reg, label)                                              \
        la t2, label;                                                       \
        beq reg, t2, 9f;                                                    \
        j __fail;                                                           \
9:

/* The general form: run `code...`, then check reg against expected. */
#define TEST_CASE(n, reg, expected, code...)                                \
        TEST_NUMBER(n)                                                      \
        code;                                                               \
        CHECK(reg, expected)

/* ------------------------------------------------------------------------------------- */
/* Register-register and register-immediate arithmetic                                    */

#define TEST_RR(n, op, expected, a, b)                                      \
        TEST_CASE(n, a0, expected, li a1, a; li a2, b; op a0, a1, a2)

#define TEST_RR_SRC1_EQ_DEST(n, op, expected, a, b)                         \
        TEST_CASE(n, a1, expected, li a1, a; li a2, b; op a1, a1, a2)

#define TEST_RR_SRC2_EQ_DEST(n, op, expected, a, b)                         \
        TEST_CASE(n, a2, expected, li a1, a; li a2, b; op a2, a1, a2)

#define TEST_RR_SRC12_EQ_DEST(n, op, expected, a)                           \
        TEST_CASE(n, a1, expected, li a1, a; op a1, a1, a1)

#define TEST_RR_ZEROSRC1(n, op, expected, b)                                \
        TEST_CASE(n, a0, expected, li a2, b; op a0, zero, a2)

#define TEST_RR_ZEROSRC2(n, op, expected, a)                                \
        TEST_CASE(n, a0, expected, li a1, a; op a0, a1, zero)

/* Writing x0 must have no effect. */
#define TEST_RR_ZERODEST(n, op, a, b)                                       \
        TEST_CASE(n, zero, 0, li a1, a; li a2, b; op zero, a1, a2)

#define TEST_IMM(n, op, expected, a, imm)                                   \
        TEST_CASE(n, a0, expected, li a1, a; op a0, a1, imm)

#define TEST_IMM_SRC1_EQ_DEST(n, op, expected, a, imm)                      \
        TEST_CASE(n, a1, expected, li a1, a; op a1, a1, imm)

#define TEST_IMM_ZEROSRC1(n, op, expected, imm)                             \
        TEST_CASE(n, a0, expected, op a0, zero, imm)

#define TEST_IMM_ZERODEST(n, op, a, imm)                                    \
        TEST_CASE(n, zero, 0, li a1, a; op zero, a1, imm)

/* ------------------------------------------------------------------------------------- */
/* Loads and stores; `base` is a data label                                               */

#define TEST_LD(n, op, expected, offset, base)                              \
        TEST_CASE(n, a0, expected, la a1, base; op a0, offset(a1))

/* Store `value` with `st`, read it back with `ld`. */
#define TEST_ST(n, st, ld, expected, value, offset, base)                   \
        TEST_CASE(n, a0, expected, la a1, base; li a2, value;               \
                  st a2, offset(a1); ld a0, offset(a1))

/* ------------------------------------------------------------------------------------- */
/* Branches                                                                               */

#define TEST_BR_TAKEN(n, op, a, b)                                          \
        TEST_NUMBER(n)                                                      \
        li a1, a;                                                           \
        li a2, b;                                                           \
        op a1, a2, 2f;                                                      \
        j __fail;                                                           \
2:

/* Taken backwards: jump over the target, branch back to it. */
#define TEST_BR_TAKEN_BACK(n, op, a, b)                                     \
        TEST_NUMBER(n)                                                      \
        li a1, a;                                                           \
        li a2, b;                                                           \
        j 3f;                                                               \
2:      j 4f;                                                               \
3:      op a1, a2, 2b;                                                      \
        j __fail;                                                           \
4:

#define TEST_BR_NOT_TAKEN(n, op, a, b)                                      \
        TEST_NUMBER(n)                                                      \
        li a1, a;                                                           \
        li a2, b;                                                           \
        op a1, a2, 1f;                                                      \
        j 2f;                                                               \
1:      j __fail;                                                           \
2:

/* ------------------------------------------------------------------------------------- */
/* Expected traps                                                                         */

/* Run one instruction that must trap with `cause` and mtval == `tval`, and check that
 * mepc pointed at it and that the trap was taken into M-mode with MPP = M.  `tval` may be
 * an address expression.  Set up the operands before the macro.  __trap_record skips the instruction (2 or 4 bytes). */
#define TEST_TRAP(n, cause, tval, insn...)                                  \
        TEST_NUMBER(n)                                                      \
        la t0, __trap_record;                                               \
        csrw mtvec, t0;                                                     \
        li TRAP_CAUSE, -1;                                                  \
        li TRAP_TVAL, -1;                                                   \
        li TRAP_EPC, -1;                                                    \
8:      insn;                                                               \
        la t0, __trap_unexpected;                                           \
        csrw mtvec, t0;                                                     \
        CHECK(TRAP_CAUSE, cause)                                            \
        CHECK_ADDR(TRAP_TVAL, tval)                                         \
        CHECK_ADDR(TRAP_EPC, 8b)                                            \
        li t0, MSTATUS_MPP_M;                                               \
        and t1, TRAP_MSTATUS, t0;                                           \
        CHECK(t1, MSTATUS_MPP_M)

/* An instruction that must NOT trap (the handler stays __trap_unexpected). */
#define TEST_NO_TRAP(n, reg, expected, code...)                             \
        TEST_CASE(n, reg, expected, code)

/* ------------------------------------------------------------------------------------- */
/* Runtime: fail path, trap handlers, UART printing                                       */

#define RVTEST_RUNTIME                                                      \
        .balign 4, 0;                                                        \
__fail:                                                                     \
        la a0, __msg_fail;                                                  \
        jal ra, __puts;                                                     \
        mv a0, TESTNUM;                                                     \
        jal ra, __puthex;                                                   \
        li a0, 10;                                                          \
        jal ra, __putc;                                                     \
        andi t1, TESTNUM, 0xff;                                             \
        bnez t1, 1f;                                                        \
        li t1, 0xff;                                                        \
1:      slli t1, t1, 16;                                                    \
        li t0, FINISHER_FAIL;                                               \
        or t1, t1, t0;                                                      \
        li t0, FINISHER_BASE;                                               \
        sw t1, 0(t0);                                                       \
2:      j 2b;                                                               \
                                                                            \
        .balign 4, 0;                                                        \
__trap_unexpected:                                                          \
        la a0, __msg_trap;                                                  \
        jal ra, __puts;                                                     \
        csrr a0, mcause;                                                    \
        jal ra, __puthex;                                                   \
        csrr a0, mepc;                                                      \
        jal ra, __puthex;                                                   \
        csrr a0, mtval;                                                     \
        jal ra, __puthex;                                                   \
        li a0, 10;                                                          \
        jal ra, __putc;                                                     \
        j __fail;                                                           \
                                                                            \
        .balign 4, 0;                                                        \
__trap_record:                                                              \
        csrr TRAP_MSTATUS, mstatus;                                         \
        csrr TRAP_CAUSE, mcause;                                            \
        csrr TRAP_EPC, mepc;                                                \
        csrr TRAP_TVAL, mtval;                                              \
        li t6, CAUSE_FETCH_ACCESS;                                          \
        bne TRAP_CAUSE, t6, 1f;                                             \
        csrw mepc, ra;                                                      \
        mret;                                                               \
1:      lhu t6, 0(TRAP_EPC);                                                \
        andi t6, t6, 3;                                                     \
        xori t6, t6, 3;                                                     \
        addi t5, TRAP_EPC, 4;                                               \
        beqz t6, 2f;                                                        \
        addi t5, TRAP_EPC, 2;                                               \
2:      csrw mepc, t5;                                                      \
        mret;                                                               \
                                                                            \
__putc:                                                                     \
        li t6, UART_BASE;                                                   \
        sb a0, 0(t6);                                                       \
        ret;                                                                \
                                                                            \
__puts:                                                                     \
        mv t5, a0;                                                          \
        li t6, UART_BASE;                                                   \
1:      lbu t4, 0(t5);                                                      \
        beqz t4, 2f;                                                        \
        sb t4, 0(t6);                                                       \
        addi t5, t5, 1;                                                     \
        j 1b;                                                               \
2:      ret;                                                                \
                                                                            \
__puthex:                                                                   \
        li t6, UART_BASE;                                                   \
        li t5, 28;                                                          \
1:      srl t4, a0, t5;                                                     \
        andi t4, t4, 15;                                                    \
        addi t4, t4, 48;                                                    \
        li t3, 58;                                                          \
        blt t4, t3, 2f;                                                     \
        addi t4, t4, 39;                                                    \
2:      sb t4, 0(t6);                                                       \
        addi t5, t5, -4;                                                    \
        bgez t5, 1b;                                                        \
        li t4, 32;                                                          \
        sb t4, 0(t6);                                                       \
        ret;                                                                \
                                                                            \
        .section .rodata;                                                   \
__msg_fail: .asciz "FAIL ";                                                 \
__msg_trap: .asciz "TRAP ";                                                 \
        .text

#endif
