/* Privileged and ordering instructions: ecall, ebreak, mret, sret, wfi, sfence.vma,
 * fence (every predecessor/successor set, fence.tso, the reserved fields set), fence.i. */
#include "harness.h"

main:
    ecall
    ebreak

    /* mret and sret return to the next instruction (sret to S-mode, which PMP entry 0
     * lets run anywhere; its ecall traps back and the handler returns to M-mode) */
    li t0, -1
    csrw pmpaddr0, t0
    csrwi pmpcfg0, 0x1f
    la t0, 10f
    csrw mepc, t0
    li t1, 0x1800
    csrs mstatus, t1
    li t1, 0x88
    csrc mstatus, t1
    mret
10: la t0, 10f
    csrw sepc, t0
    li t1, 0x100
    csrs sstatus, t1
    sret
10: ecall

    /* wfi returns at once: an interrupt is pending and enabled, though masked globally */
    csrsi mie, 2
    csrsi mip, 2
    wfi
    csrci mip, 2
    csrci mie, 2

    sfence.vma
    sfence.vma a0
    sfence.vma zero, a1
    sfence.vma a0, a1
    .irp r, ALL_REGS
    sfence.vma \r, t6
    sfence.vma t6, \r
    .endr

    /* fence pred, succ for every pair of sets */
    .set p, 0
    .rept 16
    .set s, 0
    .rept 16
    .word (p << 24) | (s << 20) | 0x0f
    .set s, s + 1
    .endr
    .set p, p + 1
    .endr
    fence
    fence rw, rw
    fence.tso
    .word 0x8ff0000f /* fm = 1000 with iorw,iorw */
    .word 0x1330000f /* fm = 0001 */
    .word 0x0335050f /* rs1 = a0, rd = a0 */
    .word 0xffff8f8f /* every reserved bit set */
    fence.i
    .word 0x0015150f /* fence.i with rs1 = a0, rd = a0 */
    .word 0xfff0100f /* fence.i with imm = -1 */

    /* wfi, mret, sret not run */
    NOT_RUN wfi
    NOT_RUN mret
    NOT_RUN sret
    EXIT
