"""A guest that idles in wfi with its next timer far away, as an interactive kernel does
between keystrokes (Linux's stopped tick is 214 s ahead): shared by the idle-time tests.

It arms mtimecmp TIMER_SECONDS of virtual time ahead, enables the UART's receive
interrupt (PLIC source 10, M context) and the timer, and waits in wfi with mstatus.MIE
clear (wfi wakes on a pending enabled interrupt all the same; privileged spec 3.3.3).
A key prints `key C at T` (T: mtime's low word when the key was read, 8 hex digits) and
keeps it in s2 (time) and s3 (key); `q` then powers off with status 0.  The timer
firing first prints `timer` and powers off with status 1.
"""

from __future__ import annotations

from pathlib import Path

from tests.tooling import assemble

TIMER_SECONDS = 60
TICKS_PER_SECOND = 10_000_000  # the virt board's CLINT: 10 MHz

IDLE_GUEST = f"""
    .equ UART0, 0x10000000
    .equ PLIC_PRIORITY_10, 0x0c000028
    .equ PLIC_ENABLE_M, 0x0c002000
    .equ PLIC_THRESHOLD_M, 0x0c200000
    .equ PLIC_CLAIM_M, 0x0c200004
    .equ MTIMECMP, 0x02004000
    .equ MTIME, 0x0200bff8
    .equ FINISHER, 0x100000

    .section .text.init
    .globl _start, got_key
_start:
    li s0, UART0
    li t0, 1
    sb t0, 1(s0)               # IER: RX data available
    li t1, PLIC_PRIORITY_10
    sw t0, 0(t1)
    li t1, PLIC_ENABLE_M
    li t0, 1 << 10
    sw t0, 0(t1)
    li t1, PLIC_THRESHOLD_M
    sw zero, 0(t1)
    li t1, MTIME               # mtimecmp = mtime + {TIMER_SECONDS} s
    lw t2, 0(t1)
    lw t3, 4(t1)
    li t4, {TIMER_SECONDS * TICKS_PER_SECOND}
    add t5, t2, t4
    sltu t6, t5, t2
    add t3, t3, t6
    li t1, MTIMECMP
    li t0, -1
    sw t0, 4(t1)
    sw t5, 0(t1)
    sw t3, 4(t1)
    la a1, ready
    call puts
    li t0, (1 << 11) | (1 << 7)
    csrw mie, t0               # MEIE, MTIE; mstatus.MIE stays clear
idle:
    wfi
    csrr t0, mip
    andi t1, t0, 1 << 7
    bnez t1, timer
    lbu t1, 5(s0)              # LSR.DR: a key?
    andi t1, t1, 1
    beqz t1, idle
    li t1, MTIME
    lw s2, 0(t1)
    lbu s3, 0(s0)
got_key:
    li t1, PLIC_CLAIM_M        # claim and complete source 10
    lw t2, 0(t1)
    sw t2, 0(t1)
    la a1, key
    call puts
    sb s3, 0(s0)
    la a1, at
    call puts
    mv a0, s2
    call puthex
    la a1, crlf
    call puts
    li t0, 'q'
    bne s3, t0, idle
    li t1, FINISHER
    li t0, 0x5555
    sw t0, 0(t1)
1:  j 1b
timer:
    la a1, fired
    call puts
    li t1, FINISHER
    li t0, 0x13333             # exit status 1
    sw t0, 0(t1)
1:  j 1b

puts:                          # a1: NUL-terminated
    lbu t1, 0(a1)
    beqz t1, 2f
    sb t1, 0(s0)
    addi a1, a1, 1
    j puts
2:  ret

puthex:                        # a0 as 8 hex digits
    li t4, 28
3:  srl t3, a0, t4
    andi t3, t3, 15
    li t2, 10
    blt t3, t2, 4f
    addi t3, t3, 'a' - 10
    j 5f
4:  addi t3, t3, '0'
5:  sb t3, 0(s0)
    addi t4, t4, -4
    bgez t4, 3b
    ret

    .section .rodata
ready: .asciz "idle guest ready\\r\\n"
key:   .asciz "key "
at:    .asciz " at "
crlf:  .asciz "\\r\\n"
fired: .asciz "timer\\r\\n"
"""


def idle_guest() -> Path:
    return assemble(IDLE_GUEST, "cli_idle_guest")
