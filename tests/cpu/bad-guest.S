# A guest that misbehaves on purpose; rvirt must keep running as QEMU does and report
# what happened: writes to the ROM are dropped, PLIC holes and bad sizes read 0 or fault,
# a jump to unmapped memory faults, and a trap storm (mtvec pointing at unmapped memory)
# goes on until the finisher is reached from the outside (here: by a countdown in RAM).
    .section .text.init
    .globl _start
_start:
    la t0, handler
    csrw mtvec, t0
    # 1. store to the boot ROM: silently dropped
    li a0, 0x1000
    lw a1, 0(a0)
    li t1, 0x12345678
    sw t1, 0(a0)
    lw a2, 0(a0)
    li a0, 'R'
    bne a1, a2, fail
    call putc
    # 2. PLIC: 0x0 (priority 0, reserved) and holes read 0; writes are ignored
    li s1, 0x0c000000
    lw a1, 0(s1)
    sw t1, 0(s1)
    li s2, 0x0c001100        # hole after the pending bits
    lw a2, 0(s2)
    sw t1, 0(s2)
    lw a3, 0(s2)
    or a1, a1, a2
    or a1, a1, a3
    li a0, 'P'
    bnez a1, fail
    call putc
    # 3. byte access to the PLIC: access fault (only 32-bit accesses are valid)
    li s3, 0
    lb a1, 4(s1)
    li a0, 'B'
    li t2, 5                 # expected load access fault
    bne s3, t2, fail
    call putc
    # 4. jump to unmapped memory: instruction access fault, mepc = target
    li s3, 0
    la ra, back
    li t0, 0x90000000
    jr t0
back:
    li a0, 'J'
    li t2, 1
    bne s3, t2, fail
    call putc
    li a0, '\n'
    call putc
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
fail:
    call putc
    li a0, '!'
    call putc
    li t0, 0x100000
    li t1, 0x13333
    sw t1, 0(t0)
2:  j 2b
putc:
    li t6, 0x10000000
    sb a0, 0(t6)
    ret
    .align 2
handler:                     # record mcause in s3; resume at ra for fetch faults,
    csrr s3, mcause          # after the faulting instruction otherwise
    li t3, 1
    beq s3, t3, 3f
    csrr t3, mepc
    addi t3, t3, 4
    csrw mepc, t3
    mret
3:  csrw mepc, ra
    mret
