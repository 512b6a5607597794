/* How rvirt and QEMU 7.2 -icount shift=0 count instructions and time around traps and
 * timer interrupts (see README.md).  M-mode only; prints `name=value` lines (hex) on the
 * UART and leaves through the SiFive test finisher.  Assemble with -DWINDOW=N (the
 * iterations of the interrupt-count windows). */

#define UART0 0x10000000
#define FINISHER 0x100000
#define FINISHER_PASS 0x5555
#define MTIMECMP 0x2004000
#define MTIME 0x200bff8
#define PERIOD 20                   /* ticks between interrupts in the count windows */

#ifndef WINDOW
#define WINDOW 20000
#endif

    .option norvc                   /* every instruction 4 bytes (computed jumps below), */
    .option norelax                 /* and the linker must not shorten calls either */
    .section .text.init
    .globl _start
_start:
    csrr s11, minstret              /* 0. minstret as the first instruction here reads */
    la sp, stack_top
    li t0, -1                       /* no timer until asked: mtimecmp = max */
    li t1, MTIMECMP
    sw t0, 4(t1)
    sw t0, 0(t1)

    la a0, key_start
    mv a1, s11
    call put_kv

/* 1. Does an instruction that traps count?  delta = minstret after the handler's mret
 * minus minstret before the trapping instruction, minus the handler's own 4
 * instructions (csrr, addi, csrw, mret): 1 if the trapping instruction counted. */
    la t0, skip_handler
    csrw mtvec, t0
    csrr s0, minstret
    ecall
    csrr s1, minstret
    la a0, key_ecall
    call put_delta
    csrr s0, minstret
    ebreak
    csrr s1, minstret
    la a0, key_ebreak
    call put_delta
    csrr s0, minstret
    .word 0                         /* illegal instruction */
    csrr s1, minstret
    la a0, key_illegal
    call put_delta
    csrr s0, minstret
    li t0, 0                        /* not counted below: one instruction... */
    lw t0, 0(t0)                    /* ...then a load access fault (nothing at 0) */
    csrr s1, minstret
    addi s0, s0, 1                  /* leave the li out */
    la a0, key_loadfault
    call put_delta
    csrr s0, minstret
    csrr t0, 0x7ff                  /* no such CSR: illegal instruction from a helper */
    csrr s1, minstret
    la a0, key_badcsr
    call put_delta

/* 2. mtime against minstret: for 200 samples at every phase mod 100, each a csrr
 * minstret right before an lw of mtime, c = mtime * 100 - (minstret + 1) is narrowed
 * to the one value consistent with mtime = floor((instructions before the lw + c')/100)
 * (lo = max of c, hi = min of c + 99).  Printed: lo and hi (equal when pinned). */
    li s2, 0x80000000               /* lo: most negative */
    li s3, 0x7fffffff               /* hi: most positive */
    li s4, 200
    li t6, MTIME
    li t5, 100
2:  csrr a2, minstret
    lw a3, 0(t6)
    mul a3, a3, t5
    addi a2, a2, 1
    sub a3, a3, a2                  /* mtime*100 - instructions before the lw */
    bge s2, a3, 3f
    mv s2, a3
3:  addi a3, a3, 99
    bge a3, s3, 4f
    mv s3, a3
4:  nop                             /* 13 instructions a round (taken branches): */
    addi s4, s4, -1                 /* coprime with 100, so every phase comes up */
    bnez s4, 2b
    la a0, key_phase_lo
    mv a1, s2
    call put_kv
    la a0, key_phase_hi
    mv a1, s3
    call put_kv

/* 3. When does the timer fire after a write of mtimecmp?  For k = 0..99: k nops (so
 * that the write lands at every phase of the 100-instruction tick), read mtime m, note
 * W = minstret, write mtimecmp = m + 2, spin; the handler notes H = minstret.  Printed:
 * the min and max of H - W over the 100 writes, and of H - 100 * mtimecmp (how many
 * instructions after mtime reached mtimecmp the handler's first one ran, in the
 * minstret scale that section 2 showed mtime follows), and how many of the 100 fit
 * QEMU 7.2's rule H - 100 * mtimecmp = 1 + (W + 1) mod 100 (the deadline is the
 * virtual clock at the write plus (mtimecmp - mtime) * 100 ns, so the write's phase
 * within its tick is added to the wait). */
    la t0, once_handler
    csrw mtvec, t0
    li t0, 0x80                     /* MTIE */
    csrw mie, t0
    li s2, 0x7fffffff               /* min */
    li s3, 0                        /* max */
    li s4, 0                        /* k */
    li s7, 0x7fffffff               /* min of H - 100 * mtimecmp */
    li s8, 0x80000000               /* max */
    li s10, 0                       /* writes that fit QEMU's rule */
5:  la t0, nops_end
    slli t1, s4, 2
    sub t0, t0, t1
    jr t0
    .rept 100
    nop
    .endr
nops_end:
    li t6, MTIME
    lw t0, 0(t6)
    addi t0, t0, 2
    mv s9, t0
    li t6, MTIMECMP
    sw zero, 4(t6)
    csrr s5, minstret               /* W */
    sw t0, 0(t6)
    csrsi mstatus, 8                /* MIE */
6:  j 6b                            /* the handler returns to fired */
fired:
    sub t0, s6, s5                  /* H - W */
    bge t0, s2, 7f
    mv s2, t0
7:  bge s3, t0, 8f
    mv s3, t0
8:  li t1, 100
    mul t1, s9, t1
    sub t0, s6, t1                  /* H - 100 * mtimecmp */
    bge t0, s7, 17f
    mv s7, t0
17: bge s8, t0, 18f
    mv s8, t0
18: addi t1, s5, 1                  /* 1 + (W + 1) mod 100 */
    li t2, 100
    remu t1, t1, t2
    addi t1, t1, 1
    bne t0, t1, 19f
    addi s10, s10, 1
19: addi s4, s4, 1
    li t0, 100
    bne s4, t0, 5b
    la a0, key_fire_min
    mv a1, s2
    call put_kv
    la a0, key_fire_max
    mv a1, s3
    call put_kv
    la a0, key_late_min
    mv a1, s7
    call put_kv
    la a0, key_late_max
    mv a1, s8
    call put_kv
    la a0, key_qemu_rule
    mv a1, s10
    call put_kv

/* 4. Timer interrupts taken over WINDOW rounds of 8 instructions, with a timer every
 * PERIOD ticks re-armed from mtime in the handler (bench/workloads/traps.S's scheme):
 * once with an ecall in each round, once with a jal to a 4-instruction function in
 * its place (the same instructions, no trap).  Printed: the interrupt counts and the
 * minstret deltas. */
    la t0, count_handler
    csrw mtvec, t0
    li a4, 0                        /* interrupts */
    call arm
    csrr s0, minstret
    li a5, WINDOW
9:  addi a1, a1, 1
    addi a1, a1, 1
    addi a1, a1, 1
    addi a1, a1, 1
    addi a1, a1, 1
    ecall                           /* handler: csrr, bltz, mepc += 4, mret */
    addi a5, a5, -1
    bnez a5, 9b
    csrr s1, minstret
    csrci mstatus, 8
    la a0, key_ecall_irqs
    mv a1, a4
    call put_kv
    la a0, key_ecall_insns
    sub a1, s1, s0
    call put_kv
    li a4, 0
    call arm
    csrr s0, minstret
    li a5, WINDOW
10: addi a1, a1, 1
    addi a1, a1, 1
    addi a1, a1, 1
    addi a1, a1, 1
    addi a1, a1, 1
    jal t4, fake_ecall
    addi a5, a5, -1
    bnez a5, 10b
    csrr s1, minstret
    csrci mstatus, 8
    la a0, key_call_irqs
    mv a1, a4
    call put_kv
    la a0, key_call_insns
    sub a1, s1, s0
    call put_kv

    li t0, FINISHER
    li t1, FINISHER_PASS
    sw t1, 0(t0)
11: j 11b

/* the same instruction count as count_handler's ecall path plus its ecall */
fake_ecall:
    csrr t6, mcause
    nop
    addi t6, t6, 4
    jr t4

/* mtimecmp = mtime + PERIOD, timer enabled, MIE on */
arm:
    li t5, MTIMECMP
    li t6, -1
    sw t6, 4(t5)
    li t6, MTIME
    lw t6, 0(t6)
    addi t6, t6, PERIOD
    sw t6, 0(t5)
    sw zero, 4(t5)
    li t6, 0x80
    csrw mie, t6
    csrsi mstatus, 8
    ret

    .balign 4
skip_handler:                       /* step over the trapping instruction */
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    mret

    .balign 4
once_handler:                       /* section 3: note H, timer off, resume at fired */
    csrr s6, minstret
    li t6, -1
    li t5, MTIMECMP
    sw t6, 4(t5)
    csrci mstatus, 8
    la t6, fired
    csrw mepc, t6
    li t6, 0x1800                   /* stay in M-mode after mret */
    csrs mstatus, t6
    csrci mstatus, 8
    li t6, 0x80
    csrc mstatus, t6                /* MPIE = 0: MIE stays off after mret */
    mret

    .balign 4
count_handler:                      /* section 4 */
    csrr t6, mcause
    bltz t6, 12f
    csrr t6, mepc                   /* ecall: step over it */
    addi t6, t6, 4
    csrw mepc, t6
    mret
12: addi a4, a4, 1                  /* timer: count, re-arm PERIOD ticks ahead */
    li t5, MTIME
    lw t6, 0(t5)
    addi t6, t6, PERIOD
    li t5, MTIMECMP
    sw t6, 0(t5)
    mret

/* put_delta(a0 = key): key=<s1 - s0 - 5> (the csrr after, the 4 handler instructions) */
put_delta:
    sub a1, s1, s0
    addi a1, a1, -5
    /* fall through */
/* put_kv(a0 = key, a1 = value): "key=<8 hex digits>\n" */
put_kv:
    li t0, UART0
13: lbu t1, 0(a0)
    beqz t1, 14f
    sb t1, 0(t0)
    addi a0, a0, 1
    j 13b
14: li t1, '='
    sb t1, 0(t0)
    li t1, 8
15: srli t2, a1, 28
    slli a1, a1, 4
    addi t2, t2, '0'
    li t3, '9'
    ble t2, t3, 16f
    addi t2, t2, 'a' - '9' - 1
16: sb t2, 0(t0)
    addi t1, t1, -1
    bnez t1, 15b
    li t1, '\n'
    sb t1, 0(t0)
    ret

    .section .rodata
key_start:       .asciz "minstret_at_start"
key_ecall:       .asciz "trap_counted.ecall"
key_ebreak:      .asciz "trap_counted.ebreak"
key_illegal:     .asciz "trap_counted.illegal"
key_loadfault:   .asciz "trap_counted.load_access_fault"
key_badcsr:      .asciz "trap_counted.bad_csr"
key_phase_lo:    .asciz "mtime_phase.lo"
key_phase_hi:    .asciz "mtime_phase.hi"
key_fire_min:    .asciz "fire_after_write.min"
key_fire_max:    .asciz "fire_after_write.max"
key_late_min:    .asciz "fire_after_mtimecmp.min"
key_late_max:    .asciz "fire_after_mtimecmp.max"
key_qemu_rule:   .asciz "fire_fits_qemu_rule"
key_ecall_irqs:  .asciz "window_ecall.interrupts"
key_ecall_insns: .asciz "window_ecall.minstret_delta"
key_call_irqs:   .asciz "window_call.interrupts"
key_call_insns:  .asciz "window_call.minstret_delta"

    .bss
    .balign 16
    .space 1024
stack_top:
