/* A stand-in for QEMU's OpenSBI in a -L directory: prints what the boot ROM handed it
 * (a0, a1, and fw_dynamic_info's magic, version, next_addr, next_mode at a2) on the
 * UART, then ends the run through the test finisher. */
	.section .text.init
	.globl _start
_start:
	mv s0, a0
	mv s1, a1
	mv s2, a2
	li s3, 0x10000000
	la a0, tag
	call puts
	mv a0, s0
	call hex
	mv a0, s1
	call hex
	lw a0, 0(s2)
	call hex
	lw a0, 4(s2)
	call hex
	lw a0, 8(s2)
	call hex
	lw a0, 12(s2)
	call hex
	li a0, '\n'
	sb a0, 0(s3)
	li t0, 0x100000
	li t1, 0x5555
	sw t1, 0(t0)
1:	j 1b

puts:	lbu t0, 0(a0)
	beqz t0, 2f
	sb t0, 0(s3)
	addi a0, a0, 1
	j puts
2:	ret

hex:	li t0, ' '
	sb t0, 0(s3)
	li t1, 28
3:	srl t0, a0, t1
	andi t0, t0, 15
	la t2, digits
	add t2, t2, t0
	lbu t0, 0(t2)
	sb t0, 0(s3)
	addi t1, t1, -4
	bgez t1, 3b
	ret

tag:	.string "fake-opensbi"
digits:	.ascii "0123456789abcdef"
