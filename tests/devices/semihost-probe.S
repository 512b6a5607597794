/* The semihosting probe: RISC-V semihosting calls (riscv-semihosting spec; the Arm
 * operations as QEMU 7.2 serves them), each printed as `<case> <a0> [<more>]` in hex
 * with SYS_WRITE0.  Run in an empty working directory; it writes probe.txt there.
 * `../x` is opened for reading: rvirt refuses it (EACCES), QEMU opens the host's file.
 * A hot loop of SYS_WRITEC calls gets the block tiers to translate the call site. */
    .section .text.init
    .globl _start
    .option norvc
_start:
    la sp, stack_top
    la s11, blk

    /* 01: WRITEC, WRITE0 */
    li a0, 0x03
    la a1, ch_s
    call semi
    li a0, 0x04
    la a1, s_write0
    call semi

    /* 02: the call site hot: 300 WRITEC of '.', then a newline */
    li s0, 300
1:  li a0, 0x03
    la a1, ch_dot
    call semi
    addi s0, s0, -1
    bnez s0, 1b
    li a0, 0x03
    la a1, ch_nl
    call semi

    /* 03: open ":tt" for writing (stdout) and WRITE to it */
    la t0, s_tt
    li t1, 4
    li t2, 3
    call open3
    mv s1, a0
    mv a1, a0
    li a0, 0x03
    call line_a1
    sw s1, 0(s11)
    la t0, s_ttmsg
    sw t0, 4(s11)
    li t0, 6
    sw t0, 8(s11)
    li a0, 0x05
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x04
    call line_a1

    /* 05: open probe.txt "w+", WRITE ten bytes */
    la t0, s_file
    li t1, 6
    li t2, 9
    call open3
    mv s2, a0
    mv a1, a0
    li a0, 0x05
    call line_a1
    sw s2, 0(s11)
    la t0, s_digits
    sw t0, 4(s11)
    li t0, 10
    sw t0, 8(s11)
    li a0, 0x05
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x06
    call line_a1

    /* 07: SEEK 3, READ 4 -> "3456" */
    sw s2, 0(s11)
    li t0, 3
    sw t0, 4(s11)
    li a0, 0x0a
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x07
    call line_a1
    sw s2, 0(s11)
    la t0, rbuf
    sw t0, 4(s11)
    li t0, 4
    sw t0, 8(s11)
    li a0, 0x06
    mv a1, s11
    call semi
    mv s3, a0
    la t0, rbuf
    lw a2, 0(t0)
    mv a1, s3
    li a0, 0x08
    call line2

    /* 09: FLEN, then READ 100 at 7: 97 not read */
    sw s2, 0(s11)
    li a0, 0x0c
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x09
    call line_a1
    sw s2, 0(s11)
    la t0, rbuf
    sw t0, 4(s11)
    li t0, 100
    sw t0, 8(s11)
    li a0, 0x06
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x0a
    call line_a1

    /* 0b: a bad buffer (nothing at 0x80000) and a huge length: all left unwritten */
    sw s2, 0(s11)
    li t0, 0x80000
    sw t0, 4(s11)
    li t0, 4
    sw t0, 8(s11)
    li a0, 0x05
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x0b
    call line_a1
    sw s2, 0(s11)
    la t0, rbuf
    sw t0, 4(s11)
    li t0, 0x10000000
    sw t0, 8(s11)
    li a0, 0x05
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x0c
    call line_a1

    /* 0d: CLOSE, CLOSE again: -1, ERRNO EBADF */
    sw s2, 0(s11)
    li a0, 0x02
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x0d
    call line_a1
    sw s2, 0(s11)
    li a0, 0x02
    mv a1, s11
    call semi
    call errno_line_e

    /* 0f: open a missing file: -1, ERRNO ENOENT; ISERROR of -1 */
    la t0, s_missing
    li t1, 0
    li t2, 11
    call open3
    call errno_line_f
    li t0, -1
    sw t0, 0(s11)
    li a0, 0x08
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x11
    call line_a1

    /* 12: a parameter block where nothing is: -1, EFAULT */
    li a0, 0x02
    li a1, 0x80000
    call semi
    mv a1, a0
    li a0, 0x13
    call semi
    mv a2, a0
    li a0, 0x12
    call line2

    /* 13: CLOCK and TIME, sane; TICKFREQ */
    li a0, 0x10
    li a1, 0
    call semi
    sltiu a1, a0, 100         /* under a second of centiseconds */
    li a0, 0x13
    call line_a1
    li a0, 0x11
    li a1, 0
    call semi
    li t0, 1600000000
    sltu a1, t0, a0
    li a0, 0x14
    call line_a1
    li a0, 0x31
    li a1, 0
    call semi
    mv a1, a0
    li a0, 0x15
    call line_a1

    /* 16: HEAPINFO, the first two words */
    la t0, heap
    sw t0, 0(s11)
    li a0, 0x16
    mv a1, s11
    call semi
    la t0, heap
    lw a1, 0(t0)
    lw a2, 4(t0)
    li a0, 0x16
    call line2

    /* 18: WRITE0 and WRITEC of a pointer to nothing: a0 "corrupted" all the same */
    li a0, 0x04
    li a1, 0x80000
    call semi
    mv s3, a0
    li a0, 0x03
    li a1, 0x80000
    call semi
    mv a2, a0
    mv a1, s3
    li a0, 0x18
    call line2

    /* 19: ":semihosting-features": FLEN, then its five bytes ("SHFB", then 3) */
    la t0, s_features
    li t1, 0
    li t2, 21
    call open3
    mv s4, a0
    sw s4, 0(s11)
    li a0, 0x0c
    mv a1, s11
    call semi
    mv a1, a0
    li a0, 0x19
    call line_a1
    sw s4, 0(s11)
    la t0, rbuf
    sw t0, 4(s11)
    li t0, 8
    sw t0, 8(s11)
    li a0, 0x06
    mv a1, s11
    call semi
    la t0, rbuf
    lw a2, 0(t0)
    lbu t1, 4(t0)
    add a1, a0, t1
    slli t1, t1, 8
    add a1, a1, t1      /* not read (3) + the feature byte * 0x101 */
    li a0, 0x1a
    call line2
    sw s4, 0(s11)
    li a0, 0x02
    mv a1, s11
    call semi

    /* 17: "../x" (the test makes one): rvirt refuses it, QEMU opens it */
    la t0, s_dotdot
    li t1, 0
    li t2, 4
    call open3
    mv a1, a0
    li a0, 0x13
    call semi
    mv a2, a0
    li a0, 0x17
    call line2

    /* EXIT_EXTENDED, ApplicationExit, code 42 */
    li t0, 0x20026
    sw t0, 0(s11)
    li t0, 42
    sw t0, 4(s11)
    li a0, 0x20
    mv a1, s11
    call semi
    li a0, 0xee
    li a1, 0
    call line_a1
2:  j 2b

/* a0 = open(t0 name, t1 mode, t2 length) */
open3:
    sw t0, 0(s11)
    sw t1, 4(s11)
    sw t2, 8(s11)
    li a0, 0x01
    mv a1, s11
    j semi

/* print "<case> <result> <errno>" for a call whose result is in a0 */
errno_line_e:
    mv s10, a0
    li a0, 0x13
    li a1, 0
    mv s9, ra
    call semi
    mv a2, a0
    mv a1, s10
    li a0, 0x0e
    mv ra, s9
    j line2
errno_line_f:
    mv s10, a0
    li a0, 0x13
    li a1, 0
    mv s9, ra
    call semi
    mv a2, a0
    mv a1, s10
    li a0, 0x0f
    mv ra, s9
    j line2

line_a1:                    /* a0 = case, a1 = value */
    li a2, -1
    j emit
line2:                      /* a0 = case, a1, a2 = values */
emit:
    la t0, out
    mv t6, ra
    li t1, 2
    call hex                /* the case: 2 digits */
    li t2, ' '
    sb t2, 0(t0)
    addi t0, t0, 1
    mv a0, a1
    li t1, 8
    call hex
    li t2, -1
    beq a2, t2, 3f
    li t2, ' '
    sb t2, 0(t0)
    addi t0, t0, 1
    mv a0, a2
    li t1, 8
    call hex
3:  li t2, '\n'
    sb t2, 0(t0)
    sb zero, 1(t0)
    li a0, 0x04
    la a1, out
    mv ra, t6
    j semi

/* hex: t1 digits of a0 at t0 (t0 advanced); uses t2-t5 */
hex:
    slli t3, t1, 2
4:  addi t3, t3, -4
    srl t4, a0, t3
    andi t4, t4, 15
    li t5, 10
    blt t4, t5, 5f
    addi t4, t4, 'a' - 10
    j 6f
5:  addi t4, t4, '0'
6:  sb t4, 0(t0)
    addi t0, t0, 1
    bnez t3, 4b
    ret

    .balign 16
semi:
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
    ret

    .data
ch_s: .byte 'S'
ch_dot: .byte '.'
ch_nl: .byte '\n'
s_write0: .asciz "\nwrite0 ok\n"
s_tt: .asciz ":tt"
s_ttmsg: .ascii "tt ok\n"
s_file: .asciz "probe.txt"
s_digits: .ascii "0123456789"
s_missing: .asciz "missing.txt"
s_dotdot: .asciz "../x"
s_features: .asciz ":semihosting-features"
    .balign 4
blk: .word 0, 0, 0, 0
heap: .word 0, 0, 0, 0
rbuf: .space 128
out: .space 64
    .balign 16
    .space 1024
stack_top:
