/* The frame of the systems workloads (syscalls.S, stimer.S): a small S-mode kernel under
 * Sv32 paging with a user page or two, set up and left from M-mode.  Include after
 * harness.h with WORK_COUNTS_ITSELF defined.  `work`, called in M-mode by harness.h:
 *   - measures whether a trapping ecall counts in minstret on this emulator (the
 *     privileged spec says it does not retire, 3.1.11; QEMU 7.2 -icount counts it, see
 *     bench/probes), into trap_counted, so that the kernel can report a count that is the
 *     same everywhere: the instructions retired, less one per ecall where they counted;
 *   - opens all of memory to S and U with PMP entry 0 (QEMU 7.2 refuses an mret to S
 *     without one) and lets S read instret and time (mcounteren.IR, TM);
 *   - fills the root page table: identity 4 MiB kernel megapages over 0x80000000-
 *     0x8fffffff, and at USER_VA a 4 KiB page table with the user text (user_text, R X U)
 *     and the user data page (user_data, R W U) after it;
 *   - calls the includer's m_setup (delegation, mtvec; M-mode, may use t0-t6), then
 *     mrets to the includer's s_main in S-mode with a0 = ITERS and satp = Sv32|root.
 * The kernel comes back with an ecall to M-mode whose handler jumps to m_return with
 * a0 = checksum and a2:a1 = the count, which `work` returns to harness.h.  The includer
 * puts its user program in `.section .text.user, "ax"` after `.balign 4096` and a
 * `user_text:` label (one page). */

#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#define KERNEL_PTE 0xcf         /* D A X W R V: a kernel megapage, A/D preset */
#define USER_TEXT_PTE 0x5b      /* A U X R V */
#define USER_DATA_PTE 0xd7      /* D A U W R V */
#define MEGAPAGES 64            /* 64 x 4 MiB = 256 MiB from 0x80000000 */
#define USER_VA 0x00400000      /* the user's text, its data page at USER_VA + 4096 */
#define USER_DATA_VA (USER_VA + 4096)
#define SSTATUS_SPP 0x100
#define SSTATUS_SUM 0x40000

/* hi:lo <- instreth:instret (the user-level counter, readable below M-mode when
 * mcounteren.IR is set), read again when the low word wrapped in between. */
.macro READ_INSTRET_S lo, hi, tmp
1:  csrr \hi, instreth
    csrr \lo, instret
    csrr \tmp, instreth
    bne \hi, \tmp, 1b
.endm

/* hi:lo -= trap_counted * n: the count without the trapping ecalls where this emulator
 * counted them (n: the ecalls made in the window).  Clobbers t0, t1. */
.macro LESS_COUNTED_ECALLS lo, hi, n
    la t0, trap_counted
    lw t0, 0(t0)
    mul t0, t0, \n
    sltu t1, \lo, t0
    sub \lo, \lo, t0
    sub \hi, \hi, t1
.endm

    .text
/* work(a0 = ITERS) -> a0 = checksum, a2:a1 = instructions; runs in M-mode */
work:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    la t0, m_sp                 /* the kernel runs on its own stack; m_return needs ours */
    sw sp, 0(t0)
    call ecall_counts
    la t0, trap_counted
    sw a0, 0(t0)
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 /* NAPOT, R W X: all of memory */
    csrw pmpcfg0, t0
    li t0, 6                    /* mcounteren.IR, TM */
    csrw mcounteren, t0
    la t0, root_table           /* root[0x200 + i] = megapage 0x80000000 + i * 4 MiB */
    li t1, 0x200 * 4
    add t0, t0, t1
    li t1, (0x80000000 >> 12 << 10) | KERNEL_PTE
    li t2, 0x400 << 10          /* one megapage in a PTE's PPN */
    li t3, MEGAPAGES
1:  sw t1, 0(t0)
    add t1, t1, t2
    addi t0, t0, 4
    addi t3, t3, -1
    bnez t3, 1b
    la t0, user_table           /* root[USER_VA >> 22] -> user_table (a pointer: V) */
    srli t0, t0, 12
    slli t0, t0, 10
    ori t0, t0, 1
    la t1, root_table
    sw t0, (USER_VA >> 22) * 4(t1)
    la t1, user_table           /* user_table[0] = user_text, [1] = user_data */
    la t0, user_text
    srli t0, t0, 12
    slli t0, t0, 10
    ori t0, t0, USER_TEXT_PTE
    sw t0, ((USER_VA >> 12) & 0x3ff) * 4(t1)
    la t0, user_data
    srli t0, t0, 12
    slli t0, t0, 10
    ori t0, t0, USER_DATA_PTE
    sw t0, ((USER_DATA_VA >> 12) & 0x3ff) * 4(t1)
    la t0, root_table
    srli t0, t0, 12
    li t1, 1 << 31              /* MODE = Sv32 */
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    call m_setup
    li t0, 0x1800               /* mstatus.MPP = S */
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0
    la t0, s_main
    csrw mepc, t0
    mv a0, s0
    mret

/* M-mode, from the kernel's last ecall: a0 = checksum, a2:a1 = count */
m_return:
    csrw satp, zero
    sfence.vma
    csrw medeleg, zero
    csrw mideleg, zero
    csrw mie, zero
    la t0, m_sp
    lw sp, 0(t0)
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

/* ecall_counts() -> a0 = 1 if a trapping ecall counts in minstret here, else 0: the
 * minstret delta over csrr, ecall, the handler's 4 instructions, less those 5 (a counter
 * read counts the reading instruction on QEMU and not on rvirt, which cancels out) */
ecall_counts:
    la t0, step_over
    csrw mtvec, t0
    csrr t1, minstret
    ecall
    csrr t2, minstret
    sub a0, t2, t1
    addi a0, a0, -5
    ret

    .balign 4
step_over:
    csrr t3, mepc
    addi t3, t3, 4
    csrw mepc, t3
    mret

    .data
    .balign 4
trap_counted: .word 0
m_sp: .word 0

    .bss
    .balign 4096
root_table:
    .space 4096
user_table:
    .space 4096
user_data:                      /* the user's data page */
    .space 4096
    .balign 16
    .space 4096
kstack_top:                     /* the kernel's stack */

#endif /* BENCH_KERNEL_H */
