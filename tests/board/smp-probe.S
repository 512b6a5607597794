# Harts (-smp HARTS): every hart starts at the ROM with a0 = its hart id and a1 = the
# device tree; AMOs and LR/SC under contention; IPIs through each hart's CLINT msip;
# each hart's own mtimecmp; the PLIC's M and S context of every hart.  Lines are
# printed in hart order (a ticket each), so the output is the same on every run and on
# QEMU, whatever the interleaving:
#   1 <hart> <a0 at entry> <a1 at entry>         (each hart)
#   2 <lr/sc counter> <amoadd counter>           (hart 0: HARTS * ROUNDS each)
#   3 <hart> <mip after its IPI>                 (harts 1..)
#   4 <hart> <mip after its own timer>           (each hart)
#   5 <context> <threshold>                      (hart 0, every context)
#include "probe.h"
#define CLINT 0x02000000
#define MTIMECMP 0x02004000
#define MTIME 0x0200bff8
#define PLIC_THRESHOLD 0x0c200000
#define ROUNDS 300

#include "harts.h"

    .section .text.init
    .globl _start
_start:
    mv s2, a0                   # a0, a1 as the ROM left them
    mv s3, a1
    csrr s0, mhartid
    la sp, stacks_top
    slli t0, s0, 10
    sub sp, sp, t0
    la t0, trap
    csrw mtvec, t0
    csrw mie, zero
    li t0, MTIMECMP             # no timer of mine yet: mtimecmp = all ones
    slli t1, s0, 3
    add t0, t0, t1
    li t1, -1
    sw t1, 0(t0)
    sw t1, 4(t0)

    WAIT_TURN ticket1, s0       # 1: each hart in turn
    li a0, 1
    call puthex
    mv a0, s0
    call puthex
    mv a0, s2
    call puthex
    mv a0, s3
    call puthex
    call newline
    NEXT_TURN ticket1

    li s4, ROUNDS               # 2: contention
    la s5, lrsc_counter
    la s6, amo_counter
    li s7, 1
2:  lr.w.aq t0, (s5)
    addi t0, t0, 1
    sc.w.rl t1, t0, (s5)
    bnez t1, 2b
    amoadd.w zero, s7, (s6)
    addi s4, s4, -1
    bnez s4, 2b
    BARRIER barrier1
    bnez s0, 3f
    li a0, 2
    call puthex
    lw a0, 0(s5)
    call puthex
    lw a0, 0(s6)
    call puthex
    call newline
    li t0, 1                    # 3: hart 0 sends each other hart an IPI
    li t2, HARTS
    li t3, CLINT
31: bge t0, t2, 33f
    slli t4, t0, 2
    add t4, t4, t3
    sw s7, 0(t4)
    addi t0, t0, 1
    j 31b
33: li s9, HARTS               # and waits until all have reported
    WAIT_TURN ticket3, s9
    j 4f
3:  li t0, 8                    # harts 1..: wait in wfi for the IPI (MSIE on, MIE off)
    csrw mie, t0
34: wfi
    csrr s8, mip
    andi t0, s8, 8
    beqz t0, 34b
    li t0, CLINT               # take it down
    slli t1, s0, 2
    add t0, t0, t1
    sw zero, 0(t0)
    csrw mie, zero
    WAIT_TURN ticket3, s0
    li a0, 3
    call puthex
    mv a0, s0
    call puthex
    andi a0, s8, 0xff
    call puthex
    call newline
    NEXT_TURN ticket3

4:  BARRIER barrier2            # 4: each hart's own timer
    li t0, MTIME
    lw t1, 0(t0)
    addi t2, s0, 1
    li t3, 2000
    mul t2, t2, t3
    add t1, t1, t2
    li t0, MTIMECMP
    slli t3, s0, 3
    add t0, t0, t3
    sw zero, 4(t0)
    sw t1, 0(t0)
    li t0, 0x80
    csrw mie, t0
41: wfi
    csrr s8, mip
    andi t0, s8, 0x80
    beqz t0, 41b
    csrw mie, zero
    WAIT_TURN ticket4, s0
    li a0, 4
    call puthex
    mv a0, s0
    call puthex
    andi a0, s8, 0xff
    call puthex
    call newline
    li t0, PLIC_THRESHOLD      # 5: my M context 7 - hart, my S context hart % 8
    slli t1, s0, 13            # contexts 2h and 2h + 1, 0x1000 apart
    add t0, t0, t1
    li t1, 7
    sub t1, t1, s0
    sw t1, 0(t0)
    li t1, 0x1000
    add t0, t0, t1
    andi t1, s0, 7
    sw t1, 0(t0)
    NEXT_TURN ticket4
    BARRIER barrier3
    bnez s0, 9f
    li s4, 0
    li s5, 2 * HARTS
51: li a0, 5
    call puthex
    mv a0, s4
    call puthex
    li t0, PLIC_THRESHOLD
    slli t1, s4, 12
    add t0, t0, t1
    lw a0, 0(t0)
    call puthex
    call newline
    addi s4, s4, 1
    blt s4, s5, 51b
    FINISH
9:  wfi
    j 9b

trap:                           # nothing should trap: report and stop
    li a0, 0xee
    call puthex
    csrr a0, mcause
    call puthex
    csrr a0, mepc
    call puthex
    call newline
    FINISH

    PROBE_HELPERS

    .section .data
    .align 4
ticket1: .word 0
ticket3: .word 1
ticket4: .word 0
barrier1: .word 0
barrier2: .word 0
barrier3: .word 0
lrsc_counter: .word 0
amo_counter: .word 0
    .section .bss
    .align 4
    .space 1024 * 8
stacks_top:
