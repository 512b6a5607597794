/* Harness of the programs whose QEMU `-d in_asm` log is the disassembly corpus.
 *
 * QEMU logs only code it translates, so the programs run straight through their
 * instructions.  Every trap resumes after the trapping instruction: illegal and faulting
 * instructions need not end a program.  `NOT_RUN insn` puts `insn` in the log without
 * running it (for jumps to nowhere, wfi, writes to the trap CSRs): it follows a load from
 * address 0, which faults, and the handler then skips both.  QEMU translates both into
 * one block, so the log has both.  A program ends with EXIT (SiFive test finisher).
 *
 * Registers: sp may hold anything (the handler swaps it with mscratch, which programs
 * must not write); every other register is free.
 */
#ifndef QEMU_DISASM_HARNESS_H
#define QEMU_DISASM_HARNESS_H

#define ALL_REGS zero,ra,sp,gp,tp,t0,t1,t2,s0,s1,a0,a1,a2,a3,a4,a5,a6,a7, \
                 s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,t3,t4,t5,t6
#define NONZERO_REGS ra,sp,gp,tp,t0,t1,t2,s0,s1,a0,a1,a2,a3,a4,a5,a6,a7, \
                     s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,t3,t4,t5,t6
/* The registers the 3-bit fields of most compressed instructions name (x8..x15). */
#define RVC_REGS s0,s1,a0,a1,a2,a3,a4,a5

#define SKIP_MARK 0x00002003 /* lw zero, 0(zero) */

.macro NOT_RUN insn:vararg
    lw zero, 0(zero)
    \insn
.endm

/* A register pointing into `scratch`: offsets -2048..2047 from it stay in the data area,
 * whose words hold the address of scratch (so `lw r, k(r)` keeps r pointing there). */
.macro SCRATCH reg
    la \reg, scratch
.endm

.macro EXIT
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
.endm

    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la t0, skip_trap
    csrw mtvec, t0
    la t0, trap_save
    csrw mscratch, t0
    j main

/* mepc += the length of the trapping instruction (and of the next one after SKIP_MARK);
 * return to M-mode with interrupts off. */
    .balign 4
skip_trap:
    csrrw sp, mscratch, sp
    sw t0, 0(sp)
    sw t1, 4(sp)
    sw t2, 8(sp)
    csrr t0, mepc
    lhu t1, 0(t0)
    lhu t2, 2(t0)
    slli t2, t2, 16
    or t2, t2, t1
    andi t1, t1, 3
    addi t1, t1, -3
    addi t0, t0, 2
    bnez t1, 1f
    addi t0, t0, 2
1:  li t1, SKIP_MARK
    bne t2, t1, 2f
    lhu t1, 0(t0)
    andi t1, t1, 3
    addi t1, t1, -3
    addi t0, t0, 2
    bnez t1, 2f
    addi t0, t0, 2
2:  csrw mepc, t0
    li t1, 0x1800
    csrs mstatus, t1
    li t1, 0x80 /* MPIE = 0: mret leaves MIE = 0 */
    csrc mstatus, t1
    lw t2, 8(sp)
    lw t1, 4(sp)
    lw t0, 0(sp)
    csrrw sp, mscratch, sp
    mret

    .data
    .balign 16
trap_save:
    .space 16
guard:
    .rept 512
    .word scratch
    .endr
scratch:
    .rept 512
    .word scratch
    .endr

    .text
#endif
