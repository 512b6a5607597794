/* The way Linux turns paging on (relocate_enable_mmu, arch/riscv/kernel/head.S): S-mode
 * points stvec at the VIRTUAL address of the instruction after `csrw satp`, then writes
 * satp.  The next fetch, at that instruction's physical address, is not mapped: an
 * instruction page fault, delegated to S, takes the hart to stvec, which the new page
 * table maps, and execution goes on there, at the virtual address.
 *
 * M-mode delegates instruction page faults (as OpenSBI does), opens PMP to S, maps one
 * megapage VA 0xc0000000 -> PA 0x80000000 and enters S.  At the virtual address S
 * ecalls to M, which ends the run with the test finisher: pass (0x5555).  Any other trap
 * into M fails it (0x3333 | mcause << 16).
 *
 * With -DSTVEC_PHYSICAL, S points stvec at the physical address instead, which is
 * memory but is not mapped once satp is written: the hart then loops on instruction page
 * faults in S (the mistake the hint is about).
 */
#define FINISHER 0x100000
#define VA_OFFSET (0xc0000000 - 0x80000000)
#define MEGAPAGE_PTE ((0x80000000 >> 12) << 10 | 0xcf)  /* PPN, D A X W R V */

        .section .text.init
        .globl _start
_start:
        la t0, m_trap
        csrw mtvec, t0
        li t0, 1 << 12              # instruction page faults are S-mode's
        csrw medeleg, t0
        li t0, -1                   # PMP: all of memory to S (NAPOT, RWX)
        csrw pmpaddr0, t0
        li t0, 0x1f
        csrw pmpcfg0, t0
        la t0, page_table
        li t1, MEGAPAGE_PTE
        li t2, (0xc0000000 >> 22) * 4   # the entry of VA 0xc0000000
        add t0, t0, t2
        sw t1, 0(t0)
        li t0, 3 << 11              # mret to S
        csrc mstatus, t0
        li t0, 1 << 11
        csrs mstatus, t0
        la t0, s_start
        csrw mepc, t0
        mret

s_start:
        la a2, 1f
#ifndef STVEC_PHYSICAL
        li a1, VA_OFFSET
        add a2, a2, a1
#endif
        csrw stvec, a2
        la a0, page_table
        srli a0, a0, 12
        li a1, 1 << 31              # satp.MODE = Sv32
        or a0, a0, a1
        sfence.vma
        csrw satp, a0
        .align 2
1:
        ecall                       # reached at its virtual address, through stvec

m_trap:
        csrr t0, mcause
        li t1, 9                    # ecall from S: the pattern worked
        li t2, 0x5555
        beq t0, t1, 2f
        slli t2, t0, 16
        ori t2, t2, 0x333
        li t1, 0x3000
        or t2, t2, t1
2:
        li t1, FINISHER
        sw t2, 0(t1)
3:
        j 3b

        .data
        .align 12
page_table:
        .zero 4096
