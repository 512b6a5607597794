# Sv32 from S and U (privileged spec 4.3): identity-mapped kernel megapage, user pages,
# page faults with tval = the virtual address for each access type, SUM, MXR, A/D bits
# set by the hardware, and sfence.vma after S rewrites a PTE.
#include "priv.h"
#include "sv32.h"
PRIV_BEGIN
    PMP_ALLOW_ALL
    SV32_SETUP
    # S: kernel data through the identity megapage
    PROBE(1, s_kload)
    PUTX(s7); NL
    # S: a U page with SUM=0 -> load page fault (13)
    PROBE(1, s_uload)
    # SUM=1: load and store work
    li t0, 1 << 18
    csrs mstatus, t0
    PROBE(1, s_uload)
    PUTX(s7); NL
    PROBE(1, s_ustore)
    # S never executes a U page, whatever SUM says -> instruction page fault (12)
    PROBE(1, s_ufetch)
    # execute-only page: load faults unless MXR=1
    PROBE(1, s_xload)
    li t0, 1 << 19
    csrs mstatus, t0
    PROBE(1, s_xload)
    PUTX(s7); NL
    li t0, (1 << 18) | (1 << 19)
    csrc mstatus, t0
    # U: loads and stores on its pages, then ecall (8)
    PROBE_UVA(0, uc_data)
    PUTX(s7); PUTX(s8); NL
    # U: kernel page -> 13; page without U -> 13; read-only page store -> 15;
    # fetch from an invalid page -> 12 (an AMO there: sv32_faults.S)
    PROBE_UVA(0, uc_kload)
    PROBE_UVA(0, uc_nouload)
    PROBE_UVA(0, uc_rostore)
    PROBE_UVA(0, uc_badjump)
    # U: a load on the execute-only page faults even with MXR=0... and works with MXR=1
    PROBE_UVA(0, uc_xload)
    li t0, 1 << 19
    csrs mstatus, t0
    PROBE_UVA(0, uc_xload)
    PUTX(s7); NL
    li t0, 1 << 19
    csrc mstatus, t0
    # A and D as the hardware left them
    PRINT_PTE(pt_root, 0x200); PRINT_PTE(pt_root, 0x100); NL
    PRINT_PTE(pt_l0, 0); PRINT_PTE(pt_l0, 1); PRINT_PTE(pt_l0, 2); NL
    PRINT_PTE(pt_l0, 3); PRINT_PTE(pt_l0, 4); NL
    # S rewrites the PTE of 0x40000000 to the read-only page, then sfence.vma
    li t0, 1 << 18
    csrs mstatus, t0
    PROBE(1, s_remap)
    PUTX(s7); PUTX(s8); NL
    PRINT_PTE(pt_l0, 0); NL
PRIV_END

s_kload:
    la t0, kdata
    lw s7, 0(t0)
    ecall
s_uload:
    li t0, 0x40000010
    lw s7, 0(t0)
    ecall
s_ustore:
    li t0, 0x40000014
    sw t0, 0(t0)
    ecall
s_ufetch:
    li t0, 0x40002000
    jr t0
s_xload:
    li t0, 0x40004004
    lw s7, 0(t0)
    ecall
s_remap:
    li t0, 0x40000000
    lw s7, 0(t0)
    la t1, upage_ro
    srli t1, t1, 12
    slli t1, t1, 10
    ori t1, t1, PTE_V | PTE_R | PTE_W | PTE_U
    la t2, pt_l0
    sw t1, 0(t2)
    sfence.vma
    lw s8, 0(t0)
    ecall

    .balign 4096
ucode:
uc_data:
    li t0, 0x40000000
    lw s7, 8(t0)
    li t1, 0x12345678
    sw t1, 24(t0)
    lw s8, 24(t0)
    ecall
uc_kload:
    lui t0, %hi(kdata)
    addi t0, t0, %lo(kdata)
    lw s7, 0(t0)
    ecall
uc_nouload:
    li t0, 0x40003010
    lw s7, 0(t0)
    ecall
uc_rostore:
    li t0, 0x40001008
    sw t0, 0(t0)
    ecall
uc_badjump:
    li t0, 0x40005000
    jr t0
uc_xload:
    li t0, 0x40004008
    lw s7, 0(t0)
    ecall
    .balign 4096

SV32_DATA
