/* RVC: every compressed instruction, shown by QEMU as the base instruction it expands
 * to; every register its fields can name, immediate edges, offsets at their limits, the
 * HINT encodings (rd = x0 and the like) and shift amounts 32..63. */
#include "harness.h"

main:
    .option rvc
    SCRATCH sp
    .irp r, NONZERO_REGS
    c.li \r, 1
    c.li \r, -32
    c.li \r, 31
    c.li \r, 0
    c.addi \r, 1
    c.addi \r, -32
    c.addi \r, 31
    c.mv \r, a0
    c.mv a0, \r
    c.add \r, a1
    c.add a1, \r
    c.slli \r, 1
    c.slli \r, 31
    .endr
    .irp r, ra, gp, tp, t0, a0, s11, t6
    c.lui \r, 1
    c.lui \r, 31
    c.lui \r, 0xfffe0
    c.lui \r, 0xfffff
    .endr
    c.nop
    SCRATCH sp
    c.addi16sp sp, 16
    c.addi16sp sp, -16
    c.addi16sp sp, 496
    c.addi16sp sp, -512
    SCRATCH sp
    .irp r, RVC_REGS
    c.addi4spn \r, sp, 4
    c.addi4spn \r, sp, 1020
    .endr

    /* loads and stores */
    .irp r, RVC_REGS
    SCRATCH \r
    c.lw a0, 0(\r)
    SCRATCH \r
    c.sw a0, 124(\r)
    c.lw \r, 4(\r)
    c.sw \r, 0(\r)
    .endr
    SCRATCH a1
    c.lw s0, 64(a1)
    c.sw a5, 8(a1)
    SCRATCH sp
    .irp r, NONZERO_REGS
    c.swsp \r, 0(sp)
    c.lwsp \r, 0(sp)
    .endr
    SCRATCH sp
    c.swsp zero, 4(sp)
    c.lwsp a0, 252(sp)
    c.swsp a0, 252(sp)
    c.lwsp a1, 128(sp)

    /* arithmetic on x8..x15 */
    .irp r, RVC_REGS
    c.srli \r, 1
    c.srli \r, 31
    c.srai \r, 1
    c.srai \r, 31
    c.andi \r, 0
    c.andi \r, -1
    c.andi \r, -32
    c.andi \r, 31
    c.sub \r, a0
    c.xor a1, \r
    c.or \r, s1
    c.and a5, \r
    .endr

    /* HINTs and rv32's reserved shift amounts: QEMU prints what they would be */
    .half 0x4015 /* c.li zero, 5 */
    .half 0x4001 /* c.li zero, 0 */
    .half 0x6005 /* c.lui zero, 1 */
    .half 0x802a /* c.mv zero, a0 */
    .half 0x902a /* c.add zero, a0 */
    .half 0x0006 /* c.slli zero, 1 */
    .half 0x0015 /* c.addi zero, 5 */
    .half 0x107d /* c.addi zero, -1 */
    .half 0x9001 /* c.srli s0, 32 */
    .half 0x9505 /* c.srai a0, 33 */
    .half 0x157e /* c.slli a0, 63 */
    .half 0x4012 /* c.lwsp zero, 4(sp) (reserved) */
    .half 0x8002 /* c.jr zero (reserved) */

    /* jumps and branches: forward, backward, at the offset limits */
    c.j 10f
11: c.j 12f
10: c.j 11b
12: c.jal 10f
10: c.nop
    li a0, 0
    li s1, 1
13:
    .irp r, RVC_REGS
    c.beqz \r, 10f
10: c.bnez \r, 10f
10:
    .endr
    c.bnez a0, 13b
    c.beqz s1, 13b
    NOT_RUN c.j . + 2046
    NOT_RUN c.j . - 2048
    NOT_RUN c.jal . - 2
    NOT_RUN c.beqz a0, . + 254
    NOT_RUN c.bnez s1, . - 256
    NOT_RUN c.beqz a5, . - 2
    .irp r, NONZERO_REGS
    la \r, 10f
    c.jr \r
10: la \r, 10f
    c.jalr \r
10:
    .endr

    c.ebreak
    .option norvc
    EXIT
