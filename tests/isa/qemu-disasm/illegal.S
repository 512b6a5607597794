/* Bits that are no instruction of RV32IMAC + Zicsr + Zifencei and that QEMU's
 * disassembler also prints as `illegal`: the all-zero halfword, reserved compressed
 * encodings and immediates, reserved 32-bit funct fields.  Each traps and is skipped. */
#include "harness.h"

main:
    .half 0x0000 /* c.unimp */
    .half 0x0000
    .half 0x0004 /* c.addi4spn a1, sp, 0 */
    .half 0x001c /* c.addi4spn a5, sp, 0 */
    .half 0x6101 /* c.addi16sp sp, 0 */
    .half 0x6501 /* c.lui a0, 0 */
    .half 0x6001 /* c.lui zero, 0 */
    .half 0x0501 /* c.addi a0, 0 (a HINT) */
    .half 0x0f81 /* c.addi t6, 0 */
    .half 0x0502 /* c.slli a0, 0 (a HINT) */
    .half 0x0002 /* c.slli zero, 0 */
    .half 0x8101 /* c.srli s0, 0 */
    .half 0x8501 /* c.srai a0, 0 */
    .half 0x8028 /* quadrant 0, funct3 100 (reserved) */
    .half 0x9c41 /* reserved in c.sub's group: funct 110 */
    .half 0x9c61 /* funct 111 */
    .word 0x04000033 /* OP with funct7 0000010 */
    .word 0x80000033 /* OP with funct7 1000000 */
    .word 0x40001033 /* sll with funct7 0100000 */
    .word 0x00002063 /* branch funct3 010 */
    .word 0x00003063 /* branch funct3 011 */
    .word 0x00001067 /* jalr funct3 001 */
    .word 0x00005023 /* store funct3 101 */
    .word 0x00004073 /* system funct3 100 */
    .word 0x00100173 /* ebreak with rd = sp */
    .word 0x00008073 /* ecall with rs1 = ra */
    .word 0x30300073 /* mret with rs2 = 3 */
    .word 0x0000500f /* misc-mem funct3 101 */
    .word 0x0000205b /* custom-2 */
    .word 0x0000000b /* custom-0 */
    .word 0x0000207b /* custom-3 */
    .word 0x0000602f /* AMO funct3 110 */
    .word 0x1080252f /* lr.w with rs2 = s0 */
    .word 0x3000252f /* AMO funct5 00110 */
    .word 0x0000006b /* reserved opcode 1101011 */
    .word 0x00000077 /* reserved opcode 1110111 (OP-P) */
    EXIT
