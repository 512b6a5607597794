# Machine timer interrupts: program mtimecmp, enable MTIE and MIE, wait with wfi, count
# three interrupts in a direct-mode handler, then a vectored-mode one; print what the
# handler saw (mcause, whether mepc pointed just past the wfi) and exit.
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, handler
    csrw mtvec, t0
    li s0, 0              # interrupts taken
    li s2, 0x2004000      # mtimecmp
    li s3, 0x200bff8      # mtime
    li t0, -1             # mtimecmp resets to 0, so MTIP is pending: push it away first
    sw t0, 4(s2)
    sw t0, 0(s2)
    li t0, 0x80           # MTIE
    csrs mie, t0
    # Wait with MIE clear and take the interrupt just after the wfi: no interrupt can
    # slip in between the check and the wfi (wfi wakes on a pending interrupt even
    # while MIE is clear, privileged spec 3.3.3).
1:  call arm
    mv s4, s0
2:  bne s0, s4, 3f
    wfi
    csrsi mstatus, 8      # MIE: the pending timer interrupt is taken here
after_wfi:
    csrci mstatus, 8
    j 2b
3:  li t0, 3
    blt s0, t0, 1b
    # vectored mode: the timer interrupt enters at base + 4*7
    la t0, vtable
    ori t0, t0, 1
    csrw mtvec, t0
    call arm
    mv s4, s0
4:  bne s0, s4, 5f
    wfi
    csrsi mstatus, 8
    nop
    csrci mstatus, 8
    j 4b
5:
    li a0, 'D'
    call putc
    li a0, '\n'
    call putc
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
3:  j 3b

arm:                      # mtimecmp = mtime + 500
    lw t0, 0(s3)
    addi t0, t0, 500
    sw zero, 4(s2)
    sw t0, 0(s2)
    ret

putc:
    li t6, 0x10000000
    sb a0, 0(t6)
    ret

    .align 2
handler:
    addi sp, sp, -16
    sw ra, 0(sp)
    csrr t0, mcause
    li a0, 'I'
    bltz t0, 4f           # interrupt bit set
    li a0, 'E'
4:  call putc
    andi a0, t0, 15
    addi a0, a0, '0'
    call putc
    csrr t0, mepc
    la t1, after_wfi
    li a0, 'w'
    beq t0, t1, 5f
    li a0, '?'
5:  call putc
    li a0, '\n'
    call putc
    addi s0, s0, 1
    li t0, -1             # mtimecmp = max: MTIP goes low
    sw t0, 4(s2)
    sw t0, 0(s2)
    lw ra, 0(sp)
    addi sp, sp, 16
    mret

    .align 2
    .option push
    .option norvc         # vector entries are 4 bytes apart
vtable:
    .rept 7
    j bad
    .endr
    j handler             # cause 7: machine timer
    .option pop
bad:
    li a0, 'B'
    call putc
    j bad
    .bss
    .space 1024
stack_top:
