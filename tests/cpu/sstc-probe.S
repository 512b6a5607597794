# Sstc (QEMU 7.2's -cpu rv32 has it): stimecmp/stimecmph, menvcfgh.STCE, mcounteren.TM, and
# STIP driven by time >= stimecmp (QEMU's riscv_timer_write_timecmp: evaluated at each
# write, then raised when time gets there).  Each line is  <case> <value> [<value>]; no
# value depends on how long anything takes.
#include "probe.h"
#define STIP 0x20
#define STCE 0x80000000
#define TM 2

.macro CASE2 id, a, b
    li s1, \id
    mv a1, \a
    mv a2, \b
    call report
.endm

    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap
    csrw mtvec, t0
    csrw mie, zero
    li t0, -1                   # S-mode may touch all memory (QEMU 7.2 needs a PMP entry)
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0

    csrr a1, stimecmp           # 1: reset values
    csrr a2, stimecmph
    CASE2 1, a1, a2
    li t0, -1                   # 2: only STCE is writable in menvcfgh
    csrw menvcfgh, t0
    csrr a1, menvcfgh
    csrw menvcfgh, zero
    csrr a2, menvcfgh
    CASE2 2, a1, a2

    li t0, STIP                 # 3: with STCE = 0, mip.STIP is software's
    csrs mip, t0
    csrr a1, mip
    andi a1, a1, STIP
    csrc mip, t0
    csrr a2, mip
    andi a2, a2, STIP
    CASE2 3, a1, a2

    li t0, STCE                 # 4: with STCE = 1 it is not
    csrw menvcfgh, t0
    li t0, STIP
    csrs mip, t0
    csrr a1, mip
    andi a1, a1, STIP
    CASE2 4, a1, zero

    csrw stimecmph, zero        # 5: a time already past raises STIP at once
    csrw stimecmp, zero
    csrr a1, mip
    andi a1, a1, STIP
    li t0, STIP                 # ... which software cannot clear while STCE = 1
    csrc mip, t0
    csrr a2, mip
    andi a2, a2, STIP
    CASE2 5, a1, a2

    csrw stimecmph, zero        # 6: a time ahead clears it; time's arrival raises it
    csrr t0, time
    li t1, 3000
    add t0, t0, t1
    csrw stimecmp, t0
    csrr a1, mip
    andi a1, a1, STIP
    li t2, 2000000
1:  csrr t1, mip
    andi t1, t1, STIP
    bnez t1, 2f
    addi t2, t2, -1
    bnez t2, 1b
2:  mv a2, t1
    CASE2 6, a1, a2

    li t0, -1                   # 7: all ones (no time reaches it) clears STIP
    csrw stimecmph, t0
    csrw stimecmp, t0
    csrr a1, mip
    andi a1, a1, STIP
    csrr a2, stimecmph
    CASE2 7, a1, a2

    # S-mode's access: needs mcounteren.TM and menvcfg.STCE (s_read: a1 = stimecmph,
    # then ecall; a2 = the cause that brought it back).
    li t0, TM                   # 8: both set
    csrw mcounteren, t0
    la a0, s_read
    call run_in_s
    CASE2 8, a1, a2
    csrw mcounteren, zero       # 9: no TM
    la a0, s_read
    call run_in_s
    CASE2 9, a1, a2
    li t0, TM                   # 10: no STCE
    csrw mcounteren, t0
    csrw menvcfgh, zero
    la a0, s_read
    call run_in_s
    CASE2 10, a1, a2

    # 11: S-mode takes its own timer interrupt from stimecmp, delegated
    li t0, STCE
    csrw menvcfgh, t0
    li t0, STIP
    csrw mideleg, t0
    csrw mie, t0
    la a0, s_timer
    call run_in_s
    CASE2 11, a3, a2

    li t0, -1                   # 12: menvcfg's low half after all ones (not Sstc's:
    csrw menvcfg, t0            # CBIE/CBCFE/CBZE without Zicbom/Zicboz, FIOM)
    csrr a1, menvcfg
    CASE2 12, a1, zero
    FINISH

# run_in_s(a0 = entry): run the S-mode routine at a0 until it traps to M; a2 = mcause.
run_in_s:
    mv s7, ra
    csrw mepc, a0
    li t0, 0x1800               # MPP = S
    csrc mstatus, t0
    li t0, 0x800
    csrs mstatus, t0
    li a1, 0
    li a2, 0
    mret
back_in_m:
    mv ra, s7
    ret

s_read:
    csrr a1, stimecmph
    ecall

s_timer:                        # arm stimecmp 500 ticks ahead and wait for the interrupt
    la t0, s_trap
    csrw stvec, t0
    li a3, 0
    csrr t0, time
    addi t0, t0, 500
    csrw stimecmph, zero
    csrw stimecmp, t0
    csrsi sstatus, 2            # SIE
    li t2, 2000000
1:  bnez a3, 2f
    addi t2, t2, -1
    bnez t2, 1b
2:  csrci sstatus, 2
    csrr a1, sip
    ecall

    .align 2
s_trap:
    csrr a3, scause
    li t0, -1                   # the next interrupt never: STIP goes down
    csrw stimecmph, t0
    csrw stimecmp, t0
    sret

report:
    mv s2, ra
    mv s3, a2
    mv a0, s1
    call puthex
    mv a0, a1
    call puthex
    mv a0, s3
    call puthex
    call newline
    mv ra, s2
    ret

    .align 2
trap:                           # from S (an ecall or an illegal access): back to M
    csrr a2, mcause
    li t0, 0x1800
    csrs mstatus, t0            # MPP = M
    la t0, back_in_m
    csrw mepc, t0
    mret
    PROBE_HELPERS
