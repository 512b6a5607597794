/* The frame every bench workload runs in: set up a stack, read minstret, call the
 * workload's `work(a0 = ITERS) -> a0 = checksum`, read minstret again, print
 *     instret=<64-bit count, 16 hex digits> checksum=<8 hex digits>
 * on UART0 and leave through the SiFive test finisher.  The count covers the call of
 * `work` and nothing else, so it is exact and comes from the guest itself.
 * A workload that defines WORK_COUNTS_ITSELF measures its own window instead (e.g. in
 * S-mode, with the instret counter): its `work` returns a0 = checksum and a2:a1 = the
 * 64-bit count, and the harness prints that count.
 * ITERS is given on the command line (-DITERS=N): a short run for rvirt, a long one
 * for QEMU.
 * With PARK_OTHER_HARTS defined, only hart 0 runs the workload: every other hart (each
 * starts at the ROM too, which hands it a0 = mhartid) parks in wfi with its interrupts
 * off, so it never wakes (bench/board.py's -smp rows). */

#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#define UART0 0x10000000
#define FINISHER 0x100000
#define FINISHER_PASS 0x5555

#ifndef ITERS
#error "assemble with -DITERS=N"
#endif

/* hi:lo <- minstreth:minstret; read again when the low word wrapped in between
 * (the RISC-V privileged spec's idiom for 64-bit counters on RV32). */
.macro READ_INSTRET lo, hi, tmp
1:  csrr \hi, minstreth
    csrr \lo, minstret
    csrr \tmp, minstreth
    bne \hi, \tmp, 1b
.endm

    .section .text.init
    .globl _start
_start:
#ifdef PARK_OTHER_HARTS
    bnez a0, park_hart
#endif
    la sp, stack_top
    READ_INSTRET s2, s3, t0
    li a0, ITERS
    call work
    mv s4, a0
#ifdef WORK_COUNTS_ITSELF
    mv s5, a1
    mv s6, a2
#else
    READ_INSTRET s5, s6, t0
    sltu t0, s5, s2             /* 64-bit s6:s5 -= s3:s2 */
    sub s5, s5, s2
    sub s6, s6, s3
    sub s6, s6, t0
#endif
    la a0, key_instret
    call puts
    mv a0, s6
    call puthex
    mv a0, s5
    call puthex
    la a0, key_checksum
    call puts
    mv a0, s4
    call puthex
    li a0, '\n'
    call putc
    li t0, FINISHER
    li t1, FINISHER_PASS
    sw t1, 0(t0)
1:  j 1b

#ifdef PARK_OTHER_HARTS
/* Interrupts off at both levels (mstatus.MIE and mie), so nothing is ever pending and
 * enabled: wfi waits for good (privileged spec 3.3.3), on rvirt as on QEMU. */
park_hart:
    csrci mstatus, 8
    csrw mie, zero
1:  wfi
    j 1b
#endif

/* putc(a0): one byte to the UART's transmit register (always ready on virt) */
putc:
    li t0, UART0
    sb a0, 0(t0)
    ret

/* puts(a0): a NUL-terminated string */
puts:
    li t0, UART0
1:  lbu t1, 0(a0)
    beqz t1, 2f
    sb t1, 0(t0)
    addi a0, a0, 1
    j 1b
2:  ret

/* puthex(a0): 8 lower-case hex digits, most significant first */
puthex:
    li t0, UART0
    li t1, 8
1:  srli t2, a0, 28
    slli a0, a0, 4
    addi t2, t2, '0'
    li t3, '9'
    ble t2, t3, 2f
    addi t2, t2, 'a' - '9' - 1
2:  sb t2, 0(t0)
    addi t1, t1, -1
    bnez t1, 1b
    ret

    .section .rodata
key_instret:  .asciz "instret="
key_checksum: .asciz " checksum="

    .bss
    .balign 16
    .space 4096
stack_top:
    .text

#endif /* BENCH_HARNESS_H */
