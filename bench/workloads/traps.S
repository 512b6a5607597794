/* Trap-heavy mix: per iteration a little arithmetic and an ecall, whose M-mode handler
 * steps over it and folds a value into the checksum; a timer interrupt every 20 ticks
 * (2000 instructions at -icount shift=0) re-arms itself.  Only ecall work reaches the
 * checksum, so it does not depend on when the timer fires (QEMU runs without -icount
 * in its timed runs). */
#include "harness.h"

#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME 0x200bff8
#define PERIOD 20

    .text
/* work(a0 = iterations) -> a0 = checksum */
work:
    mv a5, a0
    li a0, 0x9e3779b9
    li a1, 0
    la t0, trap
    csrw mtvec, t0
    li t5, CLINT_MTIMECMP
    li t6, -1
    sw t6, 4(t5)               /* mtimecmp = now + PERIOD, high word first */
    li t6, CLINT_MTIME
    lw t6, 0(t6)
    addi t6, t6, PERIOD
    sw t6, 0(t5)
    sw zero, 4(t5)
    li t6, 0x80                /* MTIE */
    csrw mie, t6
    csrsi mstatus, 8           /* MIE */
1:  slli t0, a0, 3
    xor a0, a0, t0
    srli t0, a0, 5
    xor a0, a0, t0
    addi a1, a1, 1
    ecall                      /* a0 += a1 * 3 in the handler */
    addi a5, a5, -1
    bnez a5, 1b
    csrci mstatus, 8
    csrw mie, zero
    ret

/* t5, t6 belong to the handler (work saves nothing in them across an ecall). */
    .balign 4
trap:
    csrr t6, mcause
    bltz t6, 2f                /* interrupt: the timer */
    slli t5, a1, 1
    add t5, t5, a1
    add a0, a0, t5
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    mret
2:  li t5, CLINT_MTIME
    lw t6, 0(t5)
    addi t6, t6, PERIOD
    li t5, CLINT_MTIMECMP
    sw t6, 0(t5)
    mret
