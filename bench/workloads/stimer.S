/* Supervisor timer interrupts: an S-mode kernel under Sv32 paging (bench/workloads/
 * kernel.h) takes ITERS timer interrupts, as a kernel on SBI firmware without Sstc does:
 *   - M-mode forwards the CLINT's machine timer interrupt as a supervisor one: it sets
 *     mip.STIP and masks mie.MTIE (mideleg sends STI on to S);
 *   - the S handler counts the tick and asks for the next one PERIOD ticks ahead with an
 *     ecall to M-mode (a7 = 0, SBI's set_timer in spirit: a0 = the deadline), which
 *     writes mtimecmp, clears STIP and unmasks MTIE;
 *   - between ticks the kernel does a little work and waits in `wfi`.
 * The count leaves out the waits: from a read of instret right before each wfi to the
 * firmware's read of minstret in its timer handler (QEMU -icount's minstret is its
 * virtual clock, which runs on while the hart waits; rvirt's counts instructions only).
 * Exact everywhere: the timer is armed PERIOD ticks (PERIOD * 100 instructions at
 * -icount shift=0) ahead and the work before the wfi is far shorter, so every interrupt
 * arrives in the wfi and is taken right after it, whatever rule the emulator has for
 * when a deadline falls due (rvirt's and QEMU 7.2's differ, see bench/probes), on every
 * rvirt tier and on QEMU -icount shift=0,sleep=off (without -icount QEMU's clock is the
 * host's, and a tick can land anywhere).  The count: from the first set_timer
 * to the end of the loop, less the waits and the trapping ecalls where the emulator
 * counts them (kernel.h); the checksum: the work's state, the ticks taken and the S handler's log
 * of scause and sepc. */
#define WORK_COUNTS_ITSELF
#include "harness.h"
#include "kernel.h"

#define CLINT_MTIMECMP 0x2004000
#define PERIOD 100                  /* ticks (10 us) from one interrupt to the next */
#define MIP_STIP 0x20
#define MIE_MTIE 0x80
#define SIE_STIE 0x20
#define SSTATUS_SIE 0x2
#define SCAUSE_STI 0x80000005
#define SBI_SET_TIMER 0
#define SBI_DONE 1

    .text
/* M-mode, before the kernel starts: STI to S; every M trap to m_trap */
m_setup:
    li t0, MIP_STIP
    csrw mideleg, t0
    csrw medeleg, zero
    la t0, m_trap
    csrw mtvec, t0
    la t0, m_frame
    csrw mscratch, t0
    li t0, MIP_STIP             /* STIE; MTIE comes with the first set_timer */
    csrw mie, t0
    ret

/* The firmware's trap handler: it saves what it uses through mscratch */
    .balign 4
m_trap:
    csrrw t6, mscratch, t6
    sw t5, 0(t6)
    sw t4, 4(t6)
    csrr t5, mcause
    bgez t5, 1f
    csrr t4, minstret           /* the machine timer (nothing else is enabled): when */
    la t5, m_woke               /* the hart woke, for the count (see s_main), */
    sw t4, 0(t5)
    li t5, MIE_MTIE
    csrc mie, t5                /* masked until the next set_timer, */
    li t5, MIP_STIP
    csrs mip, t5                /* and handed to S */
    j 3f
1:  li t4, SBI_DONE             /* an ecall from S */
    beq a7, t4, m_return
    csrr t5, mepc
    addi t5, t5, 4
    csrw mepc, t5
    bnez a7, 3f                 /* unknown call: ignored */
    li t5, CLINT_MTIMECMP       /* set_timer(a1:a0): high word first, never early */
    li t4, -1
    sw t4, 4(t5)
    sw a0, 0(t5)
    sw a1, 4(t5)
    li t5, MIP_STIP
    csrc mip, t5
    li t5, MIE_MTIE
    csrs mie, t5
3:  lw t4, 4(t6)
    lw t5, 0(t6)
    csrrw t6, mscratch, t6
    mret

/* S-mode, a0 = ITERS: ITERS rounds of work and wfi, a tick each */
s_main:
    mv s0, a0
    la t0, s_trap
    csrw stvec, t0
    la t0, kstack_top
    csrw sscratch, t0
    li s1, 0x243f6a88           /* the work's state */
    li s2, 0                    /* rounds */
    li s6, 0                    /* idle: instret counted while waiting for ticks */
    READ_INSTRET_S s4, s5, t0
    li t0, SIE_STIE
    csrs sie, t0
    csrsi sstatus, SSTATUS_SIE
    call set_next_timer
1:  li t1, 8                    /* work: 8 rounds of a multiply-xorshift */
2:  li t0, 0x2545f491
    mul s1, s1, t0
    srli t0, s1, 15
    xor s1, s1, t0
    addi t1, t1, -1
    bnez t1, 2b
    csrr s3, instret            /* the idle time starts (low word: a short span) */
    wfi                         /* the tick is taken right after */
    la t0, m_woke               /* idle += the span to the firmware's first read */
    lw t0, 0(t0)
    sub t0, t0, s3
    add s6, s6, t0
    addi s2, s2, 1
    bne s2, s0, 1b
    csrci sstatus, SSTATUS_SIE
    READ_INSTRET_S a1, a2, t0
    sltu t0, a1, s4             /* 64-bit a2:a1 -= s5:s4 */
    sub a1, a1, s4
    sub a2, a2, s5
    sub a2, a2, t0
    la t3, k_ecalls
    lw t3, 0(t3)
    LESS_COUNTED_ECALLS a1, a2, t3
    sltu t0, a1, s6             /* a2:a1 -= idle */
    sub a1, a1, s6
    sub a2, a2, t0
    la t0, k_ticks
    lw t0, 0(t0)
    slli t0, t0, 16
    xor a0, s1, t0
    la t0, k_log
    lw t0, 0(t0)
    xor a0, a0, t0
    li a7, SBI_DONE
    ecall                       /* to M-mode: m_return */

/* set_next_timer(): set_timer(time + PERIOD); clobbers t0, a0, a1, a7 */
set_next_timer:
1:  csrr a1, timeh
    csrr a0, time
    csrr t0, timeh
    bne a1, t0, 1b
    addi a0, a0, PERIOD
    sltu t0, a0, PERIOD         /* carry into the high word */
    add a1, a1, t0
    li a7, SBI_SET_TIMER
    ecall
    la t0, k_ecalls
    lw a7, 0(t0)
    addi a7, a7, 1
    sw a7, 0(t0)
    ret

/* The kernel's trap handler: only the timer is enabled */
    .balign 4
s_trap:
    csrrw sp, sscratch, sp
    addi sp, sp, -32
    sw ra, 0(sp)
    sw t0, 4(sp)
    sw t1, 8(sp)
    sw a0, 12(sp)
    sw a1, 16(sp)
    sw a7, 20(sp)
    csrr t0, scause
    li t1, SCAUSE_STI
    bne t0, t1, s_fatal
    la t1, k_ticks
    lw t0, 0(t1)
    addi t0, t0, 1
    sw t0, 0(t1)
    la t1, k_log                /* k_log = rotl(k_log, 7) ^ scause ^ sepc: where it landed */
    lw t0, 0(t1)
    slli a0, t0, 7
    srli t0, t0, 25
    or t0, t0, a0
    csrr a0, scause
    xor t0, t0, a0
    csrr a0, sepc
    xor t0, t0, a0
    sw t0, 0(t1)
    call set_next_timer
    lw ra, 0(sp)
    lw t0, 4(sp)
    lw t1, 8(sp)
    lw a0, 12(sp)
    lw a1, 16(sp)
    lw a7, 20(sp)
    addi sp, sp, 32
    csrrw sp, sscratch, sp
    sret

s_fatal:                        /* an unexpected trap: report scause as the checksum */
    mv a0, t0
    li a1, 0
    li a2, 0
    li a7, SBI_DONE
    ecall

    .data
    .balign 4
k_ticks: .word 0
k_ecalls: .word 0
k_log: .word 0x811c9dc5
m_frame: .word 0, 0
m_woke: .word 0                 /* minstret (low word) in the firmware's timer handler */

/* No user program: the page kernel.h maps for one stays empty */
    .section .text.user, "ax"
    .balign 4096
user_text:
    j user_text
