# csrrs/csrrc/csrrw on mip and sip while an interrupt wire is high (privileged spec 3.1.9):
# a read returns the software-writable bits with the wires ORed in, but the
# read-modify-write starts from the software bits alone, so a wire that is high during a
# csrs/csrc is never latched into its software bit.
#
# The UART's THR-empty interrupt (PLIC source 10) is routed to the S-mode context of hart 0,
# which drives mip.SEIP.  Interrupts stay disabled (mie = 0): nothing is taken, only read.
# Each line is  <step> <rd of the csr instruction> <mip afterwards> <sip afterwards>.
#include "probe.h"
#define PLIC 0x0c000000
#define PLIC_S_ENABLE (PLIC + 0x2080)     /* context 1: hart 0, S-mode */
#define PLIC_S_THRESHOLD (PLIC + 0x201000)
#define PLIC_S_CLAIM (PLIC + 0x201004)
#define CLINT_MTIMECMP 0x02004000
#define UART_SRC 10
#define STIP 0x20
#define SSIP 0x02
#define SEIP 0x200

.macro STEP id
    li s1, \id
    call report
.endm

    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap
    csrw mtvec, t0
    csrw mie, zero
    li t0, 0x222
    csrw mideleg, t0            # SSIP, STIP, SEIP visible in sip
    li t0, CLINT_MTIMECMP       # no timer interrupt: mtimecmp = all ones
    li t1, -1
    sw t1, 0(t0)
    sw t1, 4(t0)

    li a1, 0
    STEP 1                      # nothing pending yet

    # Raise the wire: PLIC source 10 at priority 1, enabled for context 1, threshold 0,
    # and the UART's transmitter-empty interrupt enabled (THR is empty, so it fires).
    li t0, PLIC + 4 * UART_SRC
    li t1, 1
    sw t1, 0(t0)
    li t0, PLIC_S_ENABLE
    li t1, 1 << UART_SRC
    sw t1, 0(t0)
    li t0, PLIC_S_THRESHOLD
    sw zero, 0(t0)
    li t0, UART0
    li t1, 0x02                 # IER.ETBEI
    sb t1, 1(t0)
    li a1, 0
    STEP 2                      # SEIP from the wire

    li t0, STIP
    csrrs a1, mip, t0           # OpenSBI's timer path: csrs mip, STIP ...
    STEP 3
    li t0, STIP
    csrrc a1, mip, t0           # ... then csrc mip, STIP
    STEP 4
    li t0, SSIP
    csrrs a1, sip, t0
    STEP 5
    li t0, SSIP
    csrrc a1, sip, t0
    STEP 6
    csrrsi a1, mip, SSIP        # the immediate forms take the same path
    STEP 7
    csrrci a1, mip, SSIP
    STEP 8

    call drop_wire              # claim, silence the UART, complete
    STEP 9                      # nothing may be left pending

    # csrrw writes the software SEIP bit; it stays set with the wire low, and the wire
    # does not clear it.
    call raise_wire
    li t0, SEIP
    csrrw a1, mip, t0
    STEP 10
    call drop_wire
    STEP 11
    li t0, SEIP
    csrrc a1, mip, t0
    STEP 12
    li t0, STIP | SSIP
    csrrw a1, mip, t0
    STEP 13
    csrrw a1, mip, zero
    STEP 14
    FINISH

raise_wire:
    li t0, UART0
    li t1, 0x02
    sb t1, 1(t0)
    li a1, 0
    ret

drop_wire:
    li t0, PLIC_S_CLAIM
    lw a1, 0(t0)                # the claimed source: 10
    li t1, UART0
    sb zero, 1(t1)              # IER = 0: the UART's line goes low
    sw a1, 0(t0)                # complete
    ret

report:
    mv s2, ra
    mv s3, a1
    mv a0, s1
    call puthex
    mv a0, s3
    call puthex
    csrr a0, mip
    call puthex
    csrr a0, sip
    call puthex
    call newline
    mv ra, s2
    ret

    .align 2
trap:                           # nothing should trap: report the cause and stop
    li s1, 0xdead
    csrr a1, mcause
    call report
    FINISH
    PROBE_HELPERS
