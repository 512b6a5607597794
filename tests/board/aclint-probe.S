# -machine virt,aclint=on with -smp HARTS: the ACLINT's three parts on every hart.
#   MSWI   at 0x02000000: hart h's msip at 4*h             (M software interrupt)
#   MTIMER at 0x02004000: hart h's mtimecmp at 8*h, mtime at 0x7ff8  (M timer interrupt)
#   SSWI   at 0x02f00000: hart h's setssip at 4*h          (S software interrupt: SSIP)
# Each hart first raises each interrupt on itself and takes it (M-mode, nothing
# delegated), then raises them with interrupts off and reads mip, the registers and what
# faults; then a chain: hart h raises all three on hart h+1 (the last one on hart 0),
# which waits for them in wfi (mstatus.MIE off: it wakes, and takes none).  Every hart
# records what it saw; the lines are printed in hart order, so the output is the same on
# every run and on QEMU:
#   1 <hart> <causes taken, in order, one per nibble> <how many>
#   2 <hart> <msip read> <mip: msip set, cleared> <setssip read>
#     <mip: setssip 1, csrc, setssip 0, setssip 1, setssip 0> <mip: mtimecmp 0>
#     <mtimecmp lo, hi> <mip: mtimecmp -1> <reads past the harts' words>
#   3 <hart> <mcause: sb setssip, lh setssip, lw and sw past the SSWI> <mtval of the sb>
#   4 <hart> <mip: raised by the previous hart, then taken down>
#include "probe.h"
#define MSWI 0x02000000
#define MTIMECMP 0x02004000
#define MTIME 0x0200bff8
#define SSWI 0x02f00000
#define SSWI_END 0x02f04000
#define MIE_BITS 0x8a               /* MTIE, MSIE, SSIE */
#define MIP_BITS 0xaa               /* MTIP, STIP, MSIP, SSIP */
#define AREA 128                    /* bytes per hart in `areas` */
/* a hart's area: handler's saved registers at 0..8, then */
#define LAST_CAUSE 12               /* the last exception's mcause */
#define LAST_TVAL 16                /* and mtval */
#define SEEN 20                     /* interrupts taken: mask of causes */
#define COUNT 24                    /* how many */
#define ORDER 28                    /* causes, one per nibble, the first the highest */
#define RES 32                      /* results: RES + 4*i */

    .option norvc                   /* the handler skips 4-byte instructions */

#include "harts.h"

.macro SEEN_WAIT bit                /* until the interrupt `bit` was taken (no wfi: */
84: lw t0, SEEN(s1)                 /* QEMU may take it at the wfi, which then sleeps) */
    andi t0, t0, \bit
    beqz t0, 84b
.endm

.macro SAVE i, reg                  /* result i of this hart := reg */
    sw \reg, RES + 4 * \i(s1)
.endm

.macro MIP i                        /* result i := mip's software and timer bits */
    csrr t0, mip
    andi t0, t0, MIP_BITS
    SAVE \i, t0
.endm

.macro FAULT i, insn                /* result i := mcause of insn (0: no fault) */
    sw zero, LAST_CAUSE(s1)
    \insn
    lw t0, LAST_CAUSE(s1)
    SAVE \i, t0
.endm

.macro PRINT tag, first, last       /* a line: tag, hart, results first..last */
    li a0, \tag
    call puthex
    mv a0, s0
    call puthex
    li s2, \first
83: slli t0, s2, 2
    add t0, t0, s1
    lw a0, RES(t0)
    call puthex
    addi s2, s2, 1
    li t0, \last
    ble s2, t0, 83b
    call newline
.endm

    .section .text.init
    .globl _start
_start:
    csrr s0, mhartid
    la s1, areas                    /* s1: my area */
    li t0, AREA
    mul t0, t0, s0
    add s1, s1, t0
    csrw mscratch, s1
    la t0, trap
    csrw mtvec, t0
    slli t0, s0, 2                  /* s3: my msip, s4: my setssip, s5: my mtimecmp */
    li s3, MSWI
    add s3, s3, t0
    li s4, SSWI
    add s4, s4, t0
    slli t0, s0, 3
    li s5, MTIMECMP
    add s5, s5, t0
    li t0, -1                       /* no timer of mine yet */
    sw t0, 4(s5)
    sw t0, 0(s5)
    li t0, MIE_BITS
    csrw mie, t0

    # 1: each interrupt raised on myself and taken, one after the other (QEMU takes an
    # interrupt at the end of a translation block: the loops end one)
    csrsi mstatus, 8
    li t1, 1
    sw t1, 0(s3)                    /* M software */
    SEEN_WAIT 0x08
    li t1, 1
    sw t1, 0(s4)                    /* S software */
    SEEN_WAIT 0x02
    li t0, MTIME                    /* M timer, 100 ticks from now */
    lw t1, 0(t0)
    addi t1, t1, 100
    sw zero, 4(s5)
    sw t1, 0(s5)
    SEEN_WAIT 0x80
    csrci mstatus, 8
    lw t0, ORDER(s1)
    SAVE 0, t0
    lw t0, COUNT(s1)
    SAVE 1, t0

    # 2: the same with interrupts off: what mip and the registers show
    li t1, 1
    sw t1, 0(s3)
    lw t0, 0(s3)
    SAVE 2, t0
    MIP 3
    sw zero, 0(s3)
    MIP 4
    sw t1, 0(s4)
    lw t0, 0(s4)
    SAVE 5, t0
    MIP 6
    csrci mip, 2
    MIP 7
    sw zero, 0(s4)                  /* 0 lowers nothing and raises nothing */
    MIP 8
    sw t1, 0(s4)                    /* again after the guest cleared it */
    MIP 9
    sw zero, 0(s4)
    MIP 10
    csrci mip, 2
    sw zero, 0(s5)                  /* mtimecmp = 0xffffffff_00000000, then 0 */
    sw zero, 4(s5)
    MIP 11
    lw t0, 0(s5)
    SAVE 12, t0
    lw t0, 4(s5)
    SAVE 13, t0
    li t0, -1
    sw t0, 4(s5)
    sw t0, 0(s5)
    MIP 14
    li t0, SSWI + 4 * HARTS         /* words past the last hart's read 0 */
    lw t1, 0(t0)
    li t0, MSWI + 4 * HARTS
    lw t2, 0(t0)
    or t1, t1, t2
    SAVE 15, t1

    # 3: what the SSWI does not decode
    li t1, 1
    FAULT 16, "sb t1, 0(s4)"
    lw t0, LAST_TVAL(s1)
    SAVE 20, t0
    FAULT 17, "lh t2, 0(s4)"
    li t3, SSWI_END
    FAULT 18, "lw t2, 0(t3)"
    FAULT 19, "sw t1, 0(t3)"

    # 4: the chain, hart 0 first: raise all three on the next hart, which waits for
    # them in wfi with interrupts off, takes them down and goes on
    BARRIER barrier1
    bnez s0, 41f
    call send
41: csrr t0, mip
    andi t0, t0, MIE_BITS
    li t1, MIE_BITS
    beq t0, t1, 42f
    wfi
    j 41b
42: SAVE 21, t0
    sw zero, 0(s3)
    csrci mip, 2
    li t0, -1
    sw t0, 4(s5)
    sw t0, 0(s5)
    MIP 22
    beqz s0, 43f
    call send
43:
    WAIT_TURN ticket, s0            # the lines, in hart order
    PRINT 1, 0, 1
    PRINT 2, 2, 15
    PRINT 3, 16, 20
    PRINT 4, 21, 22
    NEXT_TURN ticket
    bnez s0, 9f
    li s2, HARTS
    WAIT_TURN ticket, s2
    FINISH
9:  wfi
    j 9b

send:                               /* msip, setssip and mtimecmp = 0 of hart s0 + 1 */
    addi t0, s0, 1
    li t1, HARTS
    blt t0, t1, 1f
    li t0, 0
1:  slli t1, t0, 2
    li t2, MSWI
    add t2, t2, t1
    li t3, 1
    sw t3, 0(t2)
    li t2, SSWI
    add t2, t2, t1
    sw t3, 0(t2)
    slli t1, t0, 3
    li t2, MTIMECMP
    add t2, t2, t1
    sw zero, 0(t2)
    sw zero, 4(t2)
    ret

    .align 2
trap:                               /* sp: my area while here */
    csrrw sp, mscratch, sp
    sw t0, 0(sp)
    sw t1, 4(sp)
    sw t2, 8(sp)
    csrr t0, mcause
    bltz t0, 2f
    sw t0, LAST_CAUSE(sp)           /* an exception: note it, skip the instruction */
    csrr t1, mtval
    sw t1, LAST_TVAL(sp)
    csrr t1, mepc
    addi t1, t1, 4
    csrw mepc, t1
    j 9f
2:  andi t0, t0, 31                 /* an interrupt: note it, take its source down */
    li t1, 1
    sll t1, t1, t0
    lw t2, SEEN(sp)
    or t2, t2, t1
    sw t2, SEEN(sp)
    lw t2, COUNT(sp)
    addi t2, t2, 1
    sw t2, COUNT(sp)
    lw t2, ORDER(sp)
    slli t2, t2, 4
    or t2, t2, t0
    sw t2, ORDER(sp)
    li t2, 3
    beq t0, t2, 3f
    li t2, 7
    beq t0, t2, 7f
    li t2, 1
    beq t0, t2, 1f
    csrc mie, t1                    /* anything else: never again */
    j 9f
3:  csrr t1, mhartid                /* msip = 0 */
    slli t1, t1, 2
    li t2, MSWI
    add t2, t2, t1
    sw zero, 0(t2)
    j 9f
7:  csrr t1, mhartid                /* mtimecmp = all ones */
    slli t1, t1, 3
    li t2, MTIMECMP
    add t2, t2, t1
    li t1, -1
    sw t1, 4(t2)
    sw t1, 0(t2)
    j 9f
1:  csrci mip, 2                    /* SSIP is the guest's to clear */
9:  lw t0, 0(sp)
    lw t1, 4(sp)
    lw t2, 8(sp)
    csrrw sp, mscratch, sp
    mret

    PROBE_HELPERS

    .section .data
    .align 4
ticket: .word 0
barrier1: .word 0
    .section .bss
    .align 4
areas:
    .space AREA * HARTS
