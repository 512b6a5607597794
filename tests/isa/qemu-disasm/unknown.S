/* Instructions QEMU's disassembler knows but rvirt does not implement (F, D, RV64,
 * sfence.vm, uret, ..., rv32's compressed float loads and stores, c.subw/c.addw, shifts
 * with bit 26 set) and encodings longer than 32 bits.  rvirt prints these as `illegal`:
 * the recorded log documents what QEMU prints instead.  None is run. */
#include "harness.h"

main:
    NOT_RUN .word 0x0005a507 /* flw fa0, 0(a1) */
    NOT_RUN .word 0x00a5a027 /* fsw fa0, 0(a1) */
    NOT_RUN .word 0x00b57553 /* fadd.s fa0, fa0, fa1 */
    NOT_RUN .word 0x60b57543 /* fmadd.s */
    NOT_RUN .word 0xc0057553 /* fcvt.w.s */
    NOT_RUN .word 0xe0050553 /* fmv.x.w */
    NOT_RUN .word 0x0005b507 /* fld */
    NOT_RUN .word 0x02b57553 /* fadd.d */
    NOT_RUN .word 0x0005b503 /* ld */
    NOT_RUN .word 0x00a5b023 /* sd */
    NOT_RUN .word 0x0005e503 /* lwu */
    NOT_RUN .word 0x00007003 /* ldu */
    NOT_RUN .word 0x0015051b /* addiw */
    NOT_RUN .word 0x00b5053b /* addw */
    NOT_RUN .word 0x40b5053b /* subw */
    NOT_RUN .word 0x1005b52f /* lr.d */
    NOT_RUN .word 0x00b5b52f /* amoadd.d */
    NOT_RUN .word 0x00200073 /* uret */
    NOT_RUN .word 0x7b200073 /* dret */
    NOT_RUN .word 0x10450073 /* sfence.vm a0 */
    NOT_RUN .word 0x04059513 /* slli a0, a1 with shamt bit 6 set */
    NOT_RUN .word 0x0405d513 /* srli, same */
    NOT_RUN .word 0x0c0572d7 /* vsetvli (OP-V) */
    NOT_RUN .word 0x0000001f /* 48-bit length */
    NOT_RUN .word 0x0000003f /* 64-bit length */
    .option rvc
    NOT_RUN .half 0x6188 /* c.flw fa0, 0(a1) */
    NOT_RUN .half 0xe188 /* c.fsw */
    NOT_RUN .half 0x2188 /* c.fld */
    NOT_RUN .half 0xa188 /* c.fsd */
    NOT_RUN .half 0x6502 /* c.flwsp fa0, 0(sp) */
    NOT_RUN .half 0xe02a /* c.fswsp */
    NOT_RUN .half 0x2502 /* c.fldsp */
    NOT_RUN .half 0xa02a /* c.fsdsp */
    NOT_RUN .half 0x9c01 /* c.subw s0, s0 */
    NOT_RUN .half 0x9c21 /* c.addw s0, s0 */
    .option norvc
    EXIT
