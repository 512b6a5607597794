# M-mode accesses against one NA4 PMP entry, over the grid
#   {unlocked, locked} x {no permissions, R+W} x {an entry mid-page, the last word of a page}
#   x {aligned inside, aligned outside, misaligned inside, misaligned partly inside, and the
#      partial ones crossing into the next page when the entry ends a page}.
# Privileged spec 3.7.1: an entry matching only part of an access fails it, irrespective of
# L, R, W and X, so in M-mode too and unlocked; an unlocked entry matching all of it lets
# M-mode through; a locked one applies its permissions to M-mode.
# Each line:  <config><case> <mcause> <mtval> <value loaded> <word E-4> <word E> <word E+4>
# where E is the entry's word; mcause 0 when nothing trapped; eeeeeeee when a read of the
# words was itself denied.
#include "probe.h"
    .option norvc               # the trap handler skips 4-byte instructions
    .option norelax             # (and keep .align exact without compressed nops)


# Every case against the entry word at s10.
.macro GRID cfg
    li s0, \cfg << 4
    CASE 1, "lw a1, 0(s10)"     # aligned, inside
    CASE 2, "lw a1, -4(s10)"    # aligned, outside
    CASE 3, "lw a1, -2(s10)"    # misaligned, partly inside (E-2..E+1)
    CASE 4, "lw a1, 2(s10)"     # misaligned, partly inside (E+2..E+5); crosses a page at a page end
    CASE 5, "lh a1, 1(s10)"     # misaligned, inside
    CASE 6, "lh a1, 3(s10)"     # misaligned, partly inside; crosses a page at a page end
    CASE 7, "sw s6, 0(s10)"     # aligned store, inside
    CASE 8, "sw s6, 2(s10)"     # misaligned store, partly inside
    CASE 9, "sh s6, 1(s10)"     # misaligned store, inside
    CASE 10, "sh s6, -1(s10)"   # misaligned store, partly inside
.endm

    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap
    csrw mtvec, t0
    li s6, 0x44332211

    # Unlocked entry 0: no permissions, then R+W, over a mid-page word and a page's last word.
    la s10, mid_a + 4
    srli t0, s10, 2
    csrw pmpaddr0, t0
    li t0, 0x10                 # A=NA4, no permissions
    csrw pmpcfg0, t0
    GRID 1
    la s10, end_a - 4
    srli t0, s10, 2
    csrw pmpaddr0, t0
    GRID 2
    li t0, 0x13                 # A=NA4, R, W
    csrw pmpcfg0, t0
    GRID 3
    la s10, mid_a + 4
    srli t0, s10, 2
    csrw pmpaddr0, t0
    GRID 4
    csrw pmpcfg0, zero          # entry 0 off

    # Locked entries 4..7, each over data of its own (a locked entry cannot be undone).
    la s10, mid_b + 4
    srli t0, s10, 2
    csrw pmpaddr4, t0
    li t0, 0x90                 # L, A=NA4, no permissions
    csrs pmpcfg1, t0
    GRID 5
    la s10, end_b - 4
    srli t0, s10, 2
    csrw pmpaddr5, t0
    li t0, 0x90 << 8
    csrs pmpcfg1, t0
    GRID 6
    la s10, mid_c + 4
    srli t0, s10, 2
    csrw pmpaddr6, t0
    li t0, 0x93 << 16           # L, A=NA4, R, W
    csrs pmpcfg1, t0
    GRID 7
    la s10, end_c - 4
    srli t0, s10, 2
    csrw pmpaddr7, t0
    li t0, 0x93 << 24
    csrs pmpcfg1, t0
    GRID 8
    FINISH

report:
    mv s2, ra
    csrr s3, mcause
    csrr s4, mtval
    or a0, s0, s1
    call puthex
    mv a0, s3
    call puthex
    mv a0, s4
    call puthex
    mv a0, a1
    call puthex
    li a0, 0xeeeeeeee
    lw a0, -4(s10)
    call puthex
    li a0, 0xeeeeeeee
    lw a0, 0(s10)
    call puthex
    li a0, 0xeeeeeeee
    lw a0, 4(s10)
    call puthex
    call newline
    li t0, 0xa3a2a1a0           # put the words back (a denied store is skipped)
    sw t0, -4(s10)
    li t0, 0xb3b2b1b0
    sw t0, 0(s10)
    li t0, 0xc3c2c1c0
    sw t0, 4(s10)
    mv ra, s2
    ret

    SKIP_TRAP_HANDLER  # skip the 4-byte load or store

    .data
    .balign 4096
mid_a: .word 0xa3a2a1a0, 0xb3b2b1b0, 0xc3c2c1c0
    .balign 4096
    .skip 4092
    .word 0xb3b2b1b0
end_a: .word 0xc3c2c1c0
    .balign 16
mid_b: .word 0xa3a2a1a0, 0xb3b2b1b0, 0xc3c2c1c0
    .balign 4096
    .skip 4088
    .word 0xa3a2a1a0, 0xb3b2b1b0
end_b: .word 0xc3c2c1c0
    .balign 16
mid_c: .word 0xa3a2a1a0, 0xb3b2b1b0, 0xc3c2c1c0
    .balign 4096
    .skip 4088
    .word 0xa3a2a1a0, 0xb3b2b1b0
end_c: .word 0xc3c2c1c0
    PROBE_HELPERS
