# A driver for virtio-blk and virtio-rng on the virt board's virtio-mmio transports,
# legacy (version 1) or modern (version 2), whichever the transport reports.  Each line is
#   <case> <values...>  in hex, printed on UART0; the run ends at the test finisher.
#
#   10..17  each slot: magic, version, device ID, vendor
#   20      virtio-blk: features 0..31, 32..63, QueueNumMax, status after FEATURES_OK,
#           QueueReady, status after DRIVER_OK
#   21, 22  the configuration space's words at 0x100..0x13c (57 bytes, then all ones)
#   23      a byte at 0x139 and a half-word at 0x13a (past the end)
#   30..3a  requests (3a: a buffer outside RAM): status byte, used length, used id, interrupt status, avail_event,
#           used index
#   131, 133, 135: the first words and the sum of the sector read by 31, 33, 35
#   136     the first word of GET_ID's buffer
#   3b      a function's result, then after the device read new code over it
#   40      virtio-rng: features 0, used length, interrupt status
#   50      a zero-sized buffer: status, interrupt status, used index, config generation
#   52      after acknowledging: interrupt status, PLIC pending bits
#   51      after reset: status, interrupt status, PLIC pending bits
#include "probe.h"
#define VIRTIO0 0x10001000
#define NUM 8                    /* queue size the driver chooses */
#define AVAIL 128                /* avail ring after 8 descriptors */
#define USED 4096                /* used ring on the next page (legacy QueueAlign 4096) */
#define USED_EVENT (AVAIL + 4 + 2 * NUM)
#define AVAIL_EVENT (4 + 8 * NUM)
#define NEXT 1
#define WRITE 2
#define INDIRECT 4
/* features the driver takes when offered: SEG_MAX, BLK_SIZE, FLUSH, INDIRECT, EVENT_IDX */
#define WANT0 ((1 << 2) | (1 << 6) | (1 << 9) | (1 << 28) | (1 << 29))

/* descriptor i of the table at register \tab */
.macro DESC tab, i, sym, len, flags, next
    la t0, \sym
    sw t0, (\i * 16)(\tab)
    sw zero, (\i * 16 + 4)(\tab)
    li t0, \len
    sw t0, (\i * 16 + 8)(\tab)
    li t0, \flags | (\next << 16)
    sw t0, (\i * 16 + 12)(\tab)
.endm

/* a 3-descriptor request in the blk ring: header, 512-byte buffer (\dir), status */
.macro REQ3 type, sector, dir
    HDR \type, \sector
    DESC s6, 0, hdr, 16, NEXT, 1
    DESC s6, 1, buf, 512, \dir | NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
.endm

.macro HDR type, sector
    la t0, hdr
    li t1, \type
    sw t1, 0(t0)
    sw zero, 4(t0)
    li t1, \sector
    sw t1, 8(t0)
    sw zero, 12(t0)
    la t0, st
    li t1, 0xff
    sb t1, 0(t0)
.endm

.macro SHOW id
    li a0, \id
    call puthex
    call show_req
.endm

    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap
    csrw mtvec, t0

    # --- every slot's identification; find virtio-blk (2) and virtio-rng (4) ---------
    li s0, 0                    # blk base
    li s1, 0                    # rng base
    li s7, 0
1:  li t0, 0x1000
    mul t0, t0, s7
    li s8, VIRTIO0
    add s8, s8, t0
    addi a0, s7, 0x10
    call puthex
    lw a0, 0(s8)
    call puthex
    lw a0, 4(s8)
    call puthex
    lw a0, 8(s8)
    mv s9, a0
    call puthex
    lw a0, 12(s8)
    call puthex
    call newline
    li t0, 2
    bne s9, t0, 2f
    mv s0, s8
2:  li t0, 4
    bne s9, t0, 3f
    mv s1, s8
3:  addi s7, s7, 1
    li t0, 8
    blt s7, t0, 1b
    beqz s0, done

    # --- virtio-blk: negotiate, one queue of 8 ---------------------------------------
    lw s2, 4(s0)                # 1 legacy, 2 modern
    mv a0, s0
    la a1, ring_blk
    call setup
    li a0, 0x20
    call puthex
    la s10, saved
    li s7, 6
4:  lw a0, 0(s10)
    call puthex
    addi s10, s10, 4
    addi s7, s7, -1
    bnez s7, 4b
    call newline

    # configuration space: 16 words, then narrow reads past its end
    li a0, 0x21
    call puthex
    addi s10, s0, 0x100
    li s7, 8
5:  lw a0, 0(s10)
    call puthex
    addi s10, s10, 4
    addi s7, s7, -1
    bnez s7, 5b
    call newline
    li a0, 0x22
    call puthex
    li s7, 8
6:  lw a0, 0(s10)
    call puthex
    addi s10, s10, 4
    addi s7, s7, -1
    bnez s7, 6b
    call newline
    li a0, 0x23
    call puthex
    lbu a0, 0x139(s0)
    call puthex
    lhu a0, 0x13a(s0)
    call puthex
    call newline

    la s6, ring_blk
    mv s5, s0

    # 30: flush before anything (status, used length 1)
    HDR 4, 0
    DESC s6, 0, hdr, 16, NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
    call kick
    SHOW 0x30
    # 31: read sector 0
    REQ3 0, 0, WRITE
    call kick
    SHOW 0x31
    li a0, 0x131
    call show_buf
    # 32: write sector 1 with a pattern
    la t0, buf
    li t1, 0
    li t2, 0x9e3779b9
7:  mul t3, t1, t2
    xori t3, t3, 0x5a5
    sw t3, 0(t0)
    addi t0, t0, 4
    addi t1, t1, 1
    li t3, 128
    blt t1, t3, 7b
    REQ3 1, 1, 0
    call kick
    SHOW 0x32
    # 33: read it back (the buffer cleared first)
    call clear_buf
    REQ3 0, 1, WRITE
    call kick
    SHOW 0x33
    li a0, 0x133
    call show_buf
    # 34: flush
    HDR 4, 0
    DESC s6, 0, hdr, 16, NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
    call kick
    SHOW 0x34
    # 35: read sector 2 through an indirect table
    call clear_buf
    HDR 0, 2
    la s10, itab
    DESC s10, 0, hdr, 16, NEXT, 1
    DESC s10, 1, buf, 512, WRITE | NEXT, 2
    DESC s10, 2, st, 1, WRITE, 0
    DESC s6, 0, itab, 48, INDIRECT, 0
    call kick
    SHOW 0x35
    li a0, 0x135
    call show_buf
    # 36: GET_ID into a 20-byte buffer of 0xaa
    la t0, idbuf
    li t1, 0xaaaaaaaa
    sw t1, 0(t0)
    sw t1, 4(t0)
    HDR 8, 0
    DESC s6, 0, hdr, 16, NEXT, 1
    DESC s6, 1, idbuf, 20, WRITE | NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
    call kick
    SHOW 0x36
    li a0, 0x136
    call puthex
    la t0, idbuf
    lw a0, 0(t0)
    call puthex
    call newline
    # 37: an unknown request type, then a read past the end of the disk
    REQ3 0x20, 0, WRITE
    call kick
    SHOW 0x37
    REQ3 0, 0x10000, WRITE
    call kick
    SHOW 0x38
    # 39: write sector 5 from two buffers (header+first half, second half)
    HDR 1, 5
    DESC s6, 0, hdr, 16, NEXT, 1
    DESC s6, 1, buf, 256, NEXT, 3
    DESC s6, 3, buf + 256, 256, NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
    call kick
    SHOW 0x39
    # 3a: read sector 0 into memory that is not RAM (QEMU's bounce buffer)
    HDR 0, 0
    DESC s6, 0, hdr, 16, NEXT, 1
    DESC s6, 1, 0x50000000, 512, WRITE | NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
    call kick
    SHOW 0x3a
    # 3b: code the device overwrites runs anew (no fence.i: QEMU drops its translations
    # on DMA, rvirt as on a store): the value the code returns, hot, then after the read
    li s8, 100
9:  call code
    addi s8, s8, -1
    bnez s8, 9b
    mv s9, a0
    HDR 0, 7
    DESC s6, 0, hdr, 16, NEXT, 1
    DESC s6, 1, code, 512, WRITE | NEXT, 2
    DESC s6, 2, st, 1, WRITE, 0
    call kick
    call code
    mv s8, a0
    li a0, 0x3b
    call puthex
    mv a0, s9
    call puthex
    mv a0, s8
    call puthex
    call newline

    # --- virtio-rng: 16 bytes ------------------------------------------------------------
    beqz s1, 8f
    mv a0, s1
    la a1, ring_rng
    call setup
    la s6, ring_rng
    mv s5, s1
    DESC s6, 0, rngbuf, 16, WRITE, 0
    call kick
    li a0, 0x40
    call puthex
    la t0, saved
    lw a0, 0(t0)
    call puthex
    li t5, 4096
    add t5, s6, t5
    lw a0, 8(t5)                # used element 0: length
    call puthex
    la t0, last_isr
    lw a0, 0(t0)
    call puthex
    call newline
8:
    # --- the guest breaks the protocol: a zero-sized buffer ------------------------------
    la s6, ring_blk
    mv s5, s0
    REQ3 0, 0, WRITE
    la t0, ring_blk
    sw zero, 24(t0)             # descriptor 1's length: 0
    call post                   # no completion comes
    li a0, 0x50
    call puthex
    lw a0, 0x70(s0)
    call puthex
    lw a0, 0x60(s0)
    call puthex
    li t5, 4096
    add t5, s6, t5
    lhu a0, 2(t5)
    call puthex
    lw a0, 0xfc(s0)
    call puthex
    call newline
    li t0, 3                    # acknowledge: the interrupt status clears ...
    sw t0, 0x64(s0)
    li a0, 0x52
    call puthex
    lw a0, 0x60(s0)
    call puthex
    li t0, 0x0c001000           # ... but a broken device's line stays as it was
    lw a0, 0(t0)
    call puthex
    call newline
    sw zero, 0x70(s0)           # reset
    li a0, 0x51
    call puthex
    lw a0, 0x70(s0)
    call puthex
    lw a0, 0x60(s0)
    call puthex
    li t0, 0x0c001000
    lw a0, 0(t0)
    call puthex
    call newline
done:
    FINISH

# setup: a0 = transport, a1 = ring (page aligned).  Saves in `saved`: features 0, 1,
# QueueNumMax, status after FEATURES_OK (modern), QueueReady (modern), final status.
setup:
    la t6, saved
    sw zero, 0x70(a0)           # reset
    li t0, 3                    # ACKNOWLEDGE | DRIVER
    sw t0, 0x70(a0)
    sw zero, 0x14(a0)
    lw t1, 0x10(a0)
    sw t1, 0(t6)
    li t0, 1
    sw t0, 0x14(a0)
    lw t2, 0x10(a0)
    sw t2, 4(t6)
    li t0, WANT0
    and t0, t0, t1
    sw zero, 0x24(a0)
    sw t0, 0x20(a0)
    lw t3, 4(a0)
    li t0, 1
    beq t3, t0, 1f
    li t0, 1                    # modern: VERSION_1, then FEATURES_OK
    sw t0, 0x24(a0)
    andi t0, t2, 1
    sw t0, 0x20(a0)
    li t0, 0xb
    sw t0, 0x70(a0)
1:  lw t0, 0x70(a0)
    sw t0, 12(t6)
    sw zero, 0x30(a0)           # queue 0
    lw t0, 0x34(a0)
    sw t0, 8(t6)
    li t0, NUM
    sw t0, 0x38(a0)
    li t0, 1
    bne t3, t0, 2f
    li t0, 4096                 # legacy: page size, alignment, page frame number
    sw t0, 0x28(a0)
    sw t0, 0x3c(a0)
    srli t0, a1, 12
    sw t0, 0x40(a0)
    j 3f
2:  sw a1, 0x80(a0)             # modern: the three ring addresses, then ready
    sw zero, 0x84(a0)
    addi t0, a1, AVAIL
    sw t0, 0x90(a0)
    sw zero, 0x94(a0)
    li t0, USED
    add t0, a1, t0
    sw t0, 0xa0(a0)
    sw zero, 0xa4(a0)
    li t0, 1
    sw t0, 0x44(a0)
3:  lw t0, 0x44(a0)
    sw t0, 16(t6)
    lw t0, 0x70(a0)
    ori t0, t0, 4               # DRIVER_OK
    sw t0, 0x70(a0)
    lw t0, 0x70(a0)
    sw t0, 20(t6)
    ret

# post: descriptor 0 of ring s6 made available on transport s5; t1 = the new avail idx,
# t5 = the used ring.  used_event is set to the used index now, so the completion
# interrupts.
post:
    li t5, USED
    add t5, s6, t5
    lhu t0, 2(t5)
    sh t0, USED_EVENT(s6)
    lhu t1, (AVAIL + 2)(s6)
    andi t2, t1, NUM - 1
    slli t2, t2, 1
    add t2, t2, s6
    sh zero, (AVAIL + 4)(t2)    # head: descriptor 0
    fence
    addi t1, t1, 1
    sh t1, (AVAIL + 2)(s6)
    fence
    sw zero, 0x50(s5)           # QueueNotify 0
    ret

# kick: post, then wait for the used index to reach it and for the interrupt, which is
# acknowledged; the interrupt status seen goes to last_isr.
kick:
    mv s11, ra
    call post
    li t3, 50000000
1:  lhu t4, 2(t5)
    beq t4, t1, 2f
    addi t3, t3, -1
    bnez t3, 1b
2:  li t3, 50000000
3:  lw t4, 0x60(s5)
    bnez t4, 4f
    addi t3, t3, -1
    bnez t3, 3b
4:  sw t4, 0x64(s5)
    la t0, last_isr
    sw t4, 0(t0)
    mv ra, s11
    ret

# show_req: the rest of a request's line (status byte, used length and id of the last
# used element, interrupt status, avail_event, used index)
show_req:
    mv s11, ra
    la t0, st
    lbu a0, 0(t0)
    call puthex
    li t5, USED
    add t5, s6, t5
    lhu s10, 2(t5)
    addi t0, s10, -1
    andi t0, t0, NUM - 1
    slli t0, t0, 3
    add t0, t0, t5
    lw a0, 8(t0)
    call puthex
    lw a0, 4(t0)
    call puthex
    la t0, last_isr
    lw a0, 0(t0)
    call puthex
    lhu a0, AVAIL_EVENT(t5)
    call puthex
    mv a0, s10
    call puthex
    call newline
    mv ra, s11
    ret

# show_buf: a line (case a0) with the buffer's first 3 words and the sum of its 128 words
show_buf:
    mv s11, ra
    call puthex
    la s10, buf
    lw a0, 0(s10)
    call puthex
    lw a0, 4(s10)
    call puthex
    lw a0, 8(s10)
    call puthex
    li t0, 0
    li t1, 128
1:  lw t2, 0(s10)
    add t0, t0, t2
    addi s10, s10, 4
    addi t1, t1, -1
    bnez t1, 1b
    mv a0, t0
    call puthex
    call newline
    mv ra, s11
    ret

clear_buf:
    la t0, buf
    li t1, 128
1:  sw zero, 0(t0)
    addi t0, t0, 4
    addi t1, t1, -1
    bnez t1, 1b
    ret

SKIP_TRAP_HANDLER
PROBE_HELPERS

    .section .data
    .align 9
code:                           /* sector 7 of the disk holds: li a0, 42; ret */
    li a0, 7
    ret
    .space 512 - 6

    .section .bss
    .align 12
ring_blk: .space 8192
ring_rng: .space 8192
hdr: .space 16
buf: .space 512
st: .space 4
idbuf: .space 20
itab: .space 48
rngbuf: .space 16
saved: .space 24
last_isr: .space 4
