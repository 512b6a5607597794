# Misaligned accesses that run off the end of RAM (-m 150M: RAM ends at 0x89600000) and
# misaligned accesses that a PMP entry matches only in part.  Each case prints
#   <case> <mcause> <mtval> <value read, or the word stored over> 
# with mcause 0 when the access did not trap.
#include "probe.h"
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap
    csrw mtvec, t0
    li s6, 0x895ffffc
    li t0, 0x11223344
    sw t0, 0(s6)          # the last word of RAM, to see what a store leaves

    li s7, 0x895fffff
    li s8, 0x895ffffe
    li s9, 0x895ffffd
    CASE 1, "lh a1, 0(s7)"
    CASE 2, "lw a1, 0(s8)"
    CASE 3, "lhu a1, 0(s7)"
    CASE 4, "lw a1, 0(s9)"
    CASE 5, "lw a1, 0(s7)"
    CASE 6, "sw s6, 0(s8)"
    CASE 7, "sh s6, 0(s7)"
    CASE 8, "sw s6, 0(s9)"

    # A locked NA4 entry, R and W, over data+4..data+7 (it applies to M-mode: spec 3.7.1)
    la s10, data
    addi t0, s10, 4
    srli t0, t0, 2
    csrw pmpaddr0, t0
    li t0, 0x93           # L, A=NA4, W, R
    csrw pmpcfg0, t0
    CASE 9, "lw a1, 4(s10)"
    CASE 10, "lw a1, 6(s10)"
    CASE 11, "lw a1, 2(s10)"
    CASE 12, "lh a1, 7(s10)"
    CASE 13, "lh a1, 3(s10)"
    CASE 14, "sw s6, 6(s10)"
    CASE 15, "lhu a1, 5(s10)"
    CASE 16, "lw a1, 8(s10)"

    # The same entry over the last word of a page: accesses that cross into the next page
    la s10, page_end
    addi t0, s10, -4
    srli t0, t0, 2
    csrw pmpaddr1, t0
    li t0, 0x9300         # entry 1: L, A=NA4, W, R
    csrs pmpcfg0, t0
    CASE 17, "lw a1, -4(s10)"
    CASE 18, "lw a1, -2(s10)"
    CASE 19, "lh a1, -1(s10)"
    CASE 20, "lw a1, -6(s10)"
    CASE 21, "sw s6, -2(s10)"
    # Off the end of RAM again, now that PMP checks every M-mode access
    CASE 22, "lw a1, 0(s8)"
    CASE 23, "lh a1, 0(s7)"
    CASE 24, "sw s6, 0(s9)"
    FINISH

report:
    mv s2, ra
    mv a0, s1
    call puthex
    csrr a0, mcause
    call puthex
    csrr a0, mtval
    call puthex
    mv a0, a1
    li t0, 6
    blt s1, t0, 1f
    lw a0, 0(s6)          # the stores: what the last word of RAM holds now
    li t0, 9
    blt s1, t0, 1f
    lw a0, 4(s10)         # the PMP stores: the word under the entry
    li t0, 17
    blt s1, t0, 1f
    lw a0, -4(s10)
    li t0, 22
    blt s1, t0, 1f
    lw a0, 0(s6)
1:  call puthex
    call newline
    mv ra, s2
    ret

    SKIP_TRAP_HANDLER  # skip the 4-byte load or store

    .data
    .align 4
data: .word 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c
    .balign 4096
    .word 0x13121110, 0x17161514
    .balign 4096, 0x55
    .word 0x1b1a1918
    .balign 4096
    .skip 4088
    .word 0x23222120, 0x27262524
page_end:
    .word 0x2b2a2928, 0x2f2e2d2c
    PROBE_HELPERS
