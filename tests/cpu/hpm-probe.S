# Hardware performance counters, probed as OpenSBI does (lib/sbi/sbi_hart.c): write 1 to
# mhpmcounterN and count N when 1 reads back; a trapping access counts as absent.  Prints
#   <count> <mask of counters that read back 1> <mask of counters whose access trapped>
# then the same for mhpmeventN, then mhpmcounter3 after 1000 instructions (it must not
# count) and hpmcounter3 read in U-mode through mcounteren and scounteren, with mcause.
#include "probe.h"
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, skip_trap
    csrw mtvec, t0

    li s2, 0            # count
    li s3, 0            # read back 1
    li s4, 0            # trapped
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    li s5, 0            # set by the trap handler
    li t0, 1
    csrw mhpmcounter\n, t0
    li a0, 0
    csrr a0, mhpmcounter\n
    PROBE_RECORD \n
    .endr
    PROBE_REPORT

    li s2, 0
    li s3, 0
    li s4, 0
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    li s5, 0
    li t0, 1
    csrw mhpmevent\n, t0
    li a0, 0
    csrr a0, mhpmevent\n
    PROBE_RECORD \n
    .endr
    PROBE_REPORT
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    csrw mhpmevent\n, zero
    .endr

    # no events: a counter holds what was written, however much runs (QEMU 7.2 counts
    # cycles or instructions once mhpmevent selects its event 1 or 2: not probed here)
    li t0, 0x12345
    csrw mhpmcounter3, t0
    li t1, 500
1:  addi t1, t1, -1
    bnez t1, 1b
    csrr a0, mhpmcounter3
    call puthex
    csrr a0, mhpmcounter3h
    call puthex
    # hpmcounter3 from U-mode, allowed by mcounteren bit 3 (PMP opened for U first)
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    li t0, 8            # U needs the bit in both (priv spec 3.1.11, 4.1.5)
    csrw mcounteren, t0
    csrw scounteren, t0
    la t0, umode
    csrw mepc, t0
    li t0, 0x1800
    csrc mstatus, t0
    la t0, from_u
    csrw mtvec, t0
    mret
umode:
    li a0, 0xdead
    csrr a0, hpmcounter3
    ecall
    .align 2
from_u:
    call puthex
    csrr a0, mcause     # 8: the ecall, so the read did not trap
    call puthex
    call newline
    FINISH

    .align 2
skip_trap:              # skip the trapping 4-byte csr instruction, note it in s5
    li s5, 1
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret

    PROBE_HELPERS
