"""Small guest programs that exercise what the block translator must get exactly right:
self-modifying code, traps in the middle of a block, counters read inside a block, timer
interrupts landing in hot loops.  Each is assembled by tests.tooling."""

from __future__ import annotations

from pathlib import Path

from tests import tooling

FINISH = """
finish:
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
"""

# `addi a0, a0, 1` and `addi a0, a0, 2` (I-type: imm << 20 | rs1 << 15 | rd << 7 | 0x13)
ADDI_A0_1 = 0x00150513
ADDI_A0_2 = 0x00250513

# A function whose one instruction is rewritten halfway through a hot loop of calls:
# 100 calls, the first 50 add 1 to a0 and the last 50 add 2, so a0 ends at 150.
SMC_CALLS = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    li a0, 0
    li s0, 100
    li s1, 50
    la s2, patch
    li s3, {new:#x}
loop:
    bne s0, s1, 1f
    sw s3, 0(s2)
    {sync}
1:  jal ra, func
    addi s0, s0, -1
    bnez s0, loop
    j finish
func:
patch:
    addi a0, a0, 1
    ret
""" + FINISH

# A block that rewrites an instruction further on in itself, on every iteration: the
# store must be seen by the very next fetch, so each of the 40 iterations adds 2.
SMC_IN_BLOCK = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    li a0, 0
    li s0, 40
    li s3, {new:#x}
loop:
    la s2, patch
    sw s3, 0(s2)
patch:
    addi a0, a0, 1
    addi s0, s0, -1
    bnez s0, loop
    j finish
""" + FINISH

# A load access fault in the middle of a hot block on iteration 10 of 20; the handler
# saves what it sees and finishes.
TRAP_MID_BLOCK = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    la s5, data
    li s0, 20
    li s6, 10
    li a1, 0                   # the boot ROM leaves a1, a2 set
    li a2, 0
loop:
    bne s0, s6, 1f
    li s5, 0x90000000          # nothing decodes this address: load access fault
1:  addi a1, a1, 1
    addi a2, a2, 3
    slli a5, a1, 2
fault:
    lw a3, 0(s5)
    addi a4, a4, 1
    addi s0, s0, -1
    bnez s0, loop
    j finish
handler:
    la t0, saved
    csrr t1, mepc
    sw t1, 0(t0)
    csrr t1, mcause
    sw t1, 4(t0)
    csrr t1, mtval
    sw t1, 8(t0)
    csrr t1, minstret
    sw t1, 12(t0)
    j finish
""" + FINISH + """
    .data
data: .word 0x1234
saved: .space 16
"""

# An illegal CSR access ending a hot block: mtval must hold the instruction's bits.
TRAP_ILLEGAL_CSR = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    li s0, 30
loop:
    addi a1, a1, 1
    addi s0, s0, -1
    bnez s0, loop
    addi a2, a2, 5
bad:
    csrr a3, 0x7c0             # no such CSR
    j finish
handler:
    csrr s8, mepc
    csrr s9, mcause
    csrr s10, mtval
    j finish
""" + FINISH

# minstret, time and CLINT mtime read inside hot blocks; every difference of two
# minstret reads is summed in s1 (7 per iteration: the first read and six more).
COUNTERS = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    li s0, 200
    li a1, 0
    li a2, 0
    li s2, 0x200bff8           # CLINT mtime
    la s3, log
loop:
    csrr t0, minstret
    addi a1, a1, 1
    addi a2, a2, 1
    lw t3, 0(s2)
    addi a3, a3, 1
    add a4, a4, t3
    csrr t1, minstret
    rdtime t4
    sub t2, t1, t0
    add s1, s1, t2
    add s4, s4, t4
    sw t3, 0(s3)
    addi s0, s0, -1
    bnez s0, loop
    j finish
""" + FINISH + """
    .data
log: .word 0
"""

# Ten timer interrupts, each re-armed 23 ticks (2300 instructions at shift 0) later,
# landing in a hot loop; the handler logs mepc, minstret and the loop counter.
TIMER = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    li s0, 0x2004000           # CLINT mtimecmp
    sw zero, 4(s0)
    li t0, 37
    sw t0, 0(s0)
    li t0, 0x80
    csrw mie, t0
    la s2, log
    la s6, counter
    csrsi mstatus, 8
spin:
    addi s1, s1, 1
    addi s3, s3, 2
    xor s4, s4, s1
    sw s1, 0(s6)
    j spin
handler:
    csrr t0, mepc
    sw t0, 0(s2)
    csrr t0, minstret
    sw t0, 4(s2)
    sw s1, 8(s2)
    addi s2, s2, 12
    addi s5, s5, 1
    li t0, 10
    beq s5, t0, finish
    lw t0, 0(s0)
    addi t0, t0, 23
    sw t0, 0(s0)
    mret
""" + FINISH + """
    .data
counter: .word 0
log: .space 120
"""


# One hot loop whose loads and stores off s3 share a range check, run with s3 at an
# aligned RAM word, then misaligned, then so that the window runs off the end of RAM (16
# MiB in tests/exec's machines), starts below RAM, or lies in the UART: the shared check
# fails and every access takes the accessors' own path (faults are stepped over; a1
# counts them).
SHARED_CHECK = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    la s1, bases
    li s2, 7
    li a0, 0
    li a1, 0
loop:
    lw s3, 0(s1)
    lw t1, 0(s3)
    lw t2, 4(s3)
    add a0, a0, t1
    add a0, a0, t2
    sw a0, 8(s3)
    lhu t3, 2(s3)
    add a0, a0, t3
    sb a0, 5(s3)
    addi s1, s1, 4
    addi s2, s2, -1
    bnez s2, loop
    j finish
handler:
    csrr t5, mepc
    addi t5, t5, 4
    csrw mepc, t5
    addi a1, a1, 1
    mret
    .balign 4
bases:
    .word data, data + 1, data + 2, 0x81000000 - 8, 0x7ffffffc, 0x10000000, data + 16
data:
    .word 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555, 0x66666666
    .word 0x77777777, 0x88888888, 0, 0
""" + FINISH


# Two inlined ifs (forward branches over plain ALU instructions) in a hot loop, then a
# load that faults every fourth iteration: the trap must name the load whichever way
# the ifs went, and the count must be exact on both paths.
IF_THEN_TRAP = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    la s5, data
    la s6, log
    li s0, 20
    li a1, 0
    li a2, 0
    li a3, 0
    li a4, 0
loop:
    andi t1, s0, 1
    bnez t1, 1f
    addi a1, a1, 1
    addi a2, a2, 3
1:  andi t2, s0, 3
    li t3, 0x90000000
    mv t4, s5
    bnez t2, 2f
    mv t4, t3
2:
load:
    lw t5, 0(t4)
    addi a3, a3, 1
    addi s0, s0, -1
    bnez s0, loop
    j finish
handler:
    csrr t6, mepc
    sw t6, 0(s6)
    csrr t6, minstret
    sw t6, 4(s6)
    addi s6, s6, 8
    addi a4, a4, 1
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    mret
    .balign 4
data:
    .word 7
log:
    .space 80
""" + FINISH


def build(name: str, source: str) -> Path:
    return tooling.assemble(source, f"exec_{name}")
