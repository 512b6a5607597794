# Sv32 walks that fail (privileged spec 4.3.2): misaligned superpage, pointer at the last
# level, invalid and reserved (W without R) PTEs, a reserved A bit in a pointer (QEMU 7.2
# faults), walks that read unmapped physical memory: an access fault of the original
# type in the spec (QEMU 7.2: a page fault, docs/differences.md), and an AMO on a
# read-only page.
#include "priv.h"
#include "sv32.h"
PRIV_BEGIN
    PMP_ALLOW_ALL
    SV32_SETUP
    li s1, 0x60000000
    PROBE(1, s_load)
    li s1, 0x40006000
    PROBE(1, s_load)
    li s1, 0x40007004
    PROBE(1, s_load)
    PROBE(1, s_store)
    li s1, 0x40005008
    PROBE(1, s_load)
    PROBE(1, s_store)
    PROBE(1, s_jump)
    li s1, 0x70400000
    PROBE(1, s_load)
    # the walk reads 0x90000000 + 4 * VPN[0]: nothing is there
    li s1, 0x70000010
    PROBE(1, s_load)
    PROBE(1, s_store)
    PROBE(1, s_amo)
    PROBE(1, s_jump)
    # a root table in unmapped memory: the very first fetch in S fails
    csrr s6, satp
    li t0, 0x80090000
    csrw satp, t0
    PROBE(1, s_load)
    csrw satp, s6
    # a megapage leaf whose PTE is in ROM would need its A bit set: QEMU 7.2 cannot
    # update it; not probed (rvirt reports a page fault there too)
    li s1, 0x80000000
    PROBE(1, s_load)
    # an AMO on the read-only user page (SUM=1): store/AMO page fault; the PTE's A bit
    # shows whether the load half ran first (QEMU 7.2) or not (spec: docs/differences.md)
    li t0, 1 << 18
    csrs mstatus, t0
    li s1, 0x4000100c
    PROBE(1, s_amo)
    PRINT_PTE(pt_l0, 1); NL
PRIV_END

s_load:
    lw s7, 0(s1)
    ecall
s_store:
    sw s1, 0(s1)
    ecall
s_amo:
    amoswap.w s7, s1, (s1)
    ecall
s_jump:
    jr s1

SV32_DATA
    .section .text
    .balign 4096
ucode:
    ecall
