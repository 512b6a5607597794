/* Page tables shared by the Sv32 programs (privileged spec 4.3).  SV32_SETUP builds them
 * in M-mode and writes satp; the programs then probe from S, U or M with MPRV.
 *
 *   va 0x80000000 (4 MiB)  kernel megapage, identity, V R W X, A and D clear
 *   va 0x10000000 (4 MiB)  UART megapage, identity, V R W A D
 *   va 0x40000000          data page        V R W U
 *   va 0x40001000          read-only page   V R U
 *   va 0x40002000          user code page   V R X U   (the ucode section)
 *   va 0x40003000          data page again  V R W     (no U)
 *   va 0x40004000          data page again  V X U     (execute-only)
 *   va 0x40005000          invalid          V = 0
 *   va 0x40006000          pointer at level 0: fault
 *   va 0x40007000          W without R: reserved, fault
 *   va 0x60000000          megapage with PPN[0] != 0: misaligned superpage, fault
 *   va 0x70000000          pointer to a table in unmapped memory (0x90000000)
 *   va 0x70400000          pointer with A set: QEMU 7.2 faults on it
 */
#ifndef RVIRT_SV32_H
#define RVIRT_SV32_H

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80

/* Run `label` (in the ucode section) in `mode` at its virtual address 0x40002000 + offset,
 * until its first trap into M. */
#define PROBE_UVA(mode, label)                                              \
        la s0, 1f;                                                          \
        li t4, 0x1800;                                                      \
        csrc mstatus, t4;                                                   \
        li t4, (mode) << 11;                                                \
        csrs mstatus, t4;                                                   \
        la t4, label;                                                       \
        la t5, ucode;                                                       \
        sub t4, t4, t5;                                                     \
        li t5, 0x40002000;                                                  \
        add t4, t4, t5;                                                     \
        csrw mepc, t4;                                                      \
        mret;                                                               \
1:

/* table[index] = PTE(physical address in pa, flags); clobbers a1, a2 */
#define SETPTE(table, index, pa, flags)                                     \
        srli a1, pa, 12;                                                    \
        slli a1, a1, 10;                                                    \
        ori a1, a1, flags;                                                  \
        la a2, table;                                                       \
        li t0, (index) * 4;                                                 \
        add a2, a2, t0;                                                     \
        sw a1, 0(a2)

#define SV32_SETUP                                                          \
        li a3, 0x80000000;                                                  \
        SETPTE(pt_root, 0x200, a3, PTE_V | PTE_R | PTE_W | PTE_X);          \
        li a3, 0x10000000;                                                  \
        SETPTE(pt_root, 0x040, a3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);  \
        la a3, pt_l0;                                                       \
        SETPTE(pt_root, 0x100, a3, PTE_V);                                  \
        li a3, 0x80001000;                                                  \
        SETPTE(pt_root, 0x180, a3, PTE_V | PTE_R | PTE_W);                  \
        li a3, 0x90000000;                                                  \
        SETPTE(pt_root, 0x1c0, a3, PTE_V);                                  \
        la a3, pt_l0;                                                       \
        SETPTE(pt_root, 0x1c1, a3, PTE_V | PTE_A);                          \
        la a3, upage_data;                                                  \
        SETPTE(pt_l0, 0, a3, PTE_V | PTE_R | PTE_W | PTE_U);                \
        SETPTE(pt_l0, 3, a3, PTE_V | PTE_R | PTE_W);                        \
        SETPTE(pt_l0, 4, a3, PTE_V | PTE_X | PTE_U);                        \
        SETPTE(pt_l0, 7, a3, PTE_V | PTE_W | PTE_U);                        \
        la a3, upage_ro;                                                    \
        SETPTE(pt_l0, 1, a3, PTE_V | PTE_R | PTE_U);                        \
        la a3, ucode;                                                       \
        SETPTE(pt_l0, 2, a3, PTE_V | PTE_R | PTE_X | PTE_U);                \
        la a3, pt_l0;                                                       \
        SETPTE(pt_l0, 6, a3, PTE_V);                                        \
        la a3, pt_root;                                                     \
        srli a3, a3, 12;                                                    \
        li t0, 0x80000000;                                                  \
        or a3, a3, t0;                                                      \
        csrw satp, a3;                                                      \
        sfence.vma

/* Print the PTE at table[index] (read physically from M-mode). */
#define PRINT_PTE(table, index)                                             \
        la a2, table;                                                       \
        li t0, (index) * 4;                                                 \
        add a2, a2, t0;                                                     \
        lw a1, 0(a2);                                                       \
        PUTX(a1)

/* The tables and pages; the data page holds 0x11111111, 0x22222222, ... and the
 * read-only page 0xaaaa0000, 0xaaaa0001, ... */
#define SV32_DATA                                                           \
        .section .data;                                                     \
        .balign 4096;                                                       \
pt_root: .zero 4096;                                                        \
pt_l0:   .zero 4096;                                                        \
upage_data:                                                                 \
        .word 0x11111111, 0x22222222, 0x33333333, 0x44444444;               \
        .word 0x55555555, 0x66666666, 0x77777777, 0x88888888;               \
        .balign 4096;                                                       \
upage_ro:                                                                   \
        .word 0xaaaa0000, 0xaaaa0001, 0xaaaa0002, 0xaaaa0003;               \
        .word 0xaaaa0004, 0xaaaa0005, 0xaaaa0006, 0xaaaa0007;               \
        .balign 4096;                                                       \
kdata:  .word 0xcafef00d, 0x0badbeef;                                       \
        .balign 4096

#endif
