/* intmix.S's loop run in S-mode, with Sv32 paging on (SATP_ON 1) or off (SATP_ON 0,
 * satp = Bare); the includer defines SATP_ON.  `work`, called in M-mode by harness.h:
 *   - opens all of memory to S-mode with PMP entry 0 (QEMU 7.2 refuses an mret to
 *     S-mode without one) and lets S-mode read instret (mcounteren.IR);
 *   - fills a root page table with identity 4 MiB megapages over 0x80000000-0x8fffffff
 *     (RAM, 150 MiB, and then some) and writes satp = Sv32|root, or 0 for the twin;
 *   - mrets to S-mode, which reads instret, runs intmix's loop, reads instret again and
 *     comes back with an ecall carrying the checksum and the count.
 * The count covers the loop alone (no ecall or mret: whether a trapping instruction
 * counts is itself a difference between rvirt and QEMU -icount, see bench/probes), and
 * both twins execute the same instructions; only the satp value differs. */
#define WORK_COUNTS_ITSELF
#include "harness.h"

#define PTE_FLAGS 0xcf          /* D A X W R V: a global kernel megapage, A/D preset */
#define MEGAPAGES 64            /* 64 x 4 MiB = 256 MiB from 0x80000000 */

/* hi:lo <- instreth:instret (the user-level counter, readable below M-mode when
 * mcounteren.IR is set), read again when the low word wrapped in between. */
.macro READ_INSTRET_S lo, hi, tmp
1:  csrr \hi, instreth
    csrr \lo, instret
    csrr \tmp, instreth
    bne \hi, \tmp, 1b
.endm

    .text
/* work(a0 = iterations) -> a0 = checksum, a2:a1 = instructions; runs in M-mode */
work:
    addi sp, sp, -16
    sw ra, 12(sp)
    sw s0, 8(sp)
    mv s0, a0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 /* NAPOT, R W X: all of memory */
    csrw pmpcfg0, t0
    li t0, 4                    /* mcounteren.IR */
    csrw mcounteren, t0
    la t0, root_table           /* root[0x200 + i] = megapage 0x80000000 + i * 4 MiB */
    li t1, 0x200 * 4
    add t0, t0, t1
    li t1, (0x80000000 >> 12 << 10) | PTE_FLAGS
    li t2, 0x400 << 10          /* one megapage in a PTE's PPN */
    li t3, MEGAPAGES
1:  sw t1, 0(t0)
    add t1, t1, t2
    addi t0, t0, 4
    addi t3, t3, -1
    bnez t3, 1b
    la t0, root_table
    srli t0, t0, 12
    li t1, -SATP_ON             /* all ones with paging, else 0 */
    and t0, t0, t1
    li t1, SATP_ON << 31        /* MODE = Sv32 */
    or t0, t0, t1
    csrw satp, t0               /* Sv32|root, or 0 (Bare) for the twin */
    sfence.vma
    la t0, s_back
    csrw mtvec, t0
    li t0, 0x1800               /* mstatus.MPP = S */
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0
    la t0, s_entry
    csrw mepc, t0
    mv a0, s0
    mret

/* S-mode: count intmix's loop, then ecall to M-mode with a0 = checksum, a2:a1 = count */
s_entry:
    READ_INSTRET_S s2, s3, t0
    call intmix_work
    READ_INSTRET_S s5, s6, t0
    sltu t0, s5, s2             /* 64-bit s6:s5 -= s3:s2 */
    sub a1, s5, s2
    sub a2, s6, s3
    sub a2, a2, t0
    ecall

    .balign 4
s_back:                         /* M-mode, from the ecall (mcause 9) */
    csrw satp, zero
    sfence.vma
    lw s0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret

    .bss
    .balign 4096
root_table:
    .space 4096

/* intmix.S's loop, its `work` renamed (harness.h, already included, is skipped) */
#define work intmix_work
#include "intmix.S"
