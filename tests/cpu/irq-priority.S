# Two machine-level interrupts pending and enabled at once (SSIP and SEIP set by software
# in mip, not delegated): print the causes in the order the hart takes them.
    .section .text.init
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    li t0, 0x202          # SSIE | SEIE
    csrs mie, t0
    li t0, 0x202          # SSIP | SEIP pending (software-writable bits of mip)
    csrs mip, t0
    csrsi mstatus, 8      # MIE: both are takeable now
    nop
    nop
    li a0, '\n'
    call putc
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
putc:
    li t6, 0x10000000
    sb a0, 0(t6)
    ret
    .align 2
handler:                  # print the cause, clear that pending bit, return
    csrr t0, mcause
    andi t0, t0, 15
    li t1, 1
    sll t1, t1, t0
    csrc mip, t1
    addi a0, t0, 'a'      # cause 1 -> 'b', cause 9 -> 'j'
    call putc
    mret
