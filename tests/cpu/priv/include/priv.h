/* Shared skeleton of the privileged test programs (tests/cpu/priv/*.S).
 *
 * Each program runs in M-mode from _start, drops to S or U for one probe at a time and
 * prints what it observes on the UART, one line per observation:
 *
 *   "M <mcause> <mepc> <mtval> <mstatus>"   every trap taken into M (printed by __mtrap)
 *   values the program prints itself with PUTX / PRINT_CSR
 *
 * After a trap into M the handler resumes in M-mode, with MIE=0, at the address held in s0 (PROBE sets
 * it), so a probe ends at its first trap: a fault, or the ecall that ends it.  The S-mode
 * handler __strap copies scause, sepc, stval and sstatus into s2..s5 and ecalls to M.
 *
 * Register conventions: the handlers and print helpers clobber a0 and t3..t6; s0 is the
 * resume address; s2..s5 hold what __strap saw.  Helpers link through t3, so ra is free.
 */
#ifndef RVIRT_PRIV_H
#define RVIRT_PRIV_H

#define UART_BASE     0x10000000
#define FINISHER_BASE 0x100000

#define PUTCH(c)      li a0, c; jal t3, __putc
#define PUTX(reg)     mv a0, reg; jal t3, __puthex
#define PRINT_CSR(c)  csrr a0, c; jal t3, __puthex
#define NL            PUTCH(10)

/* mstatus.MPP <- mode, mepc <- label, mret. */
#define ENTER(mode, label)                                                  \
        li t4, 0x1800;                                                      \
        csrc mstatus, t4;                                                   \
        li t4, (mode) << 11;                                                \
        csrs mstatus, t4;                                                   \
        la t4, label;                                                       \
        csrw mepc, t4;                                                      \
        mret

/* Run the code at `label` in `mode` until its first trap into M; continue after it. */
#define PROBE(mode, label)                                                  \
        la s0, 1f;                                                          \
        ENTER(mode, label);                                                 \
1:

/* Same, entering at an absolute (virtual) address. */
#define PROBE_AT(mode, addr)                                                \
        la s0, 1f;                                                          \
        li t4, 0x1800;                                                      \
        csrc mstatus, t4;                                                   \
        li t4, (mode) << 11;                                                \
        csrs mstatus, t4;                                                   \
        li t4, addr;                                                        \
        csrw mepc, t4;                                                      \
        mret;                                                               \
1:

/* A trap taken in M-mode itself (an ecall, or a fault under MPRV). */
#define PROBE_M(insn...)                                                    \
        la s0, 1f;                                                          \
        insn;                                                               \
1:

/* One PMP entry covering everything, RWX (riscv-tests INIT_PMP, xv6 start.c). */
#define PMP_ALLOW_ALL                                                       \
        li t0, -1;                                                          \
        csrw pmpaddr0, t0;                                                  \
        li t0, 0x1f;                                                        \
        csrw pmpcfg0, t0

/* Print what __strap saw. */
#define PRINT_S_RECORD                                                      \
        PUTCH('S'); PUTCH(' ');                                             \
        PUTX(s2); PUTX(s3); PUTX(s4); PUTX(s5); NL

#define PRIV_BEGIN                                                          \
        .option norvc;                                                      \
        .option norelax;                                                    \
        .section .text.init, "ax";                                          \
        .globl _start;                                                      \
_start:                                                                     \
        la t0, __mtrap;                                                     \
        csrw mtvec, t0;                                                     \
        la t0, __strap;                                                     \
        csrw stvec, t0;

#define PRIV_END                                                            \
        li t0, FINISHER_BASE;                                               \
        li t1, 0x5555;                                                      \
        sw t1, 0(t0);                                                       \
1:      j 1b;                                                               \
                                                                            \
        .balign 4;                                                          \
__mtrap:                                                                    \
        PUTCH('M'); PUTCH(' ');                                             \
        PRINT_CSR(mcause);                                                  \
        PRINT_CSR(mepc);                                                    \
        PRINT_CSR(mtval);                                                   \
        PRINT_CSR(mstatus);                                                 \
        NL;                                                                 \
        csrw mepc, s0;                                                      \
        li t4, 0x1800;                                                      \
        csrs mstatus, t4;                                                   \
        li t4, 0x80;                                                        \
        csrc mstatus, t4;                                                   \
        mret;                                                               \
                                                                            \
        .balign 4;                                                          \
__strap:                                                                    \
        csrr s2, scause;                                                    \
        csrr s3, sepc;                                                      \
        csrr s4, stval;                                                     \
        csrr s5, sstatus;                                                   \
        ecall;                                                              \
                                                                            \
__putc:                                                                     \
        li t6, UART_BASE;                                                   \
        sb a0, 0(t6);                                                       \
        jr t3;                                                              \
                                                                            \
__puthex:                                                                   \
        li t6, UART_BASE;                                                   \
        li t5, 28;                                                          \
2:      srl t4, a0, t5;                                                     \
        andi t4, t4, 15;                                                    \
        addi t4, t4, -10;                                                   \
        bltz t4, 3f;                                                        \
        addi t4, t4, 39;                                                    \
3:      addi t4, t4, 58;                                                    \
        sb t4, 0(t6);                                                       \
        addi t5, t5, -4;                                                    \
        bgez t5, 2b;                                                        \
        li t4, 32;                                                          \
        sb t4, 0(t6);                                                       \
        jr t3;

#endif
