/* 32-bit words of every major opcode rvirt implements, with every funct3 and funct7 and
 * rs2 (or the immediate's low bits) 0, 12 or 31, and every SYSTEM funct12 with x0
 * operands; none of them run (live test only: too many lines to record). */
#include "harness.h"

.macro ALONE word
    NOT_RUN .word \word
    j 1f
1:
.endm

main:
    .irp opcode, 0x03, 0x0f, 0x13, 0x17, 0x23, 0x2f, 0x33, 0x37, 0x63, 0x67, 0x6f, 0x73
    .set f3, 0
    .rept 8
    .set f7, 0
    .rept 128
    .irp rs2, 0, 12, 31
    ALONE (f7 << 25) | (\rs2 << 20) | (11 << 15) | (f3 << 12) | (10 << 7) | \opcode
    .endr
    .set f7, f7 + 1
    .endr
    .set f3, f3 + 1
    .endr
    .endr
    .set f12, 0
    .rept 4096
    ALONE (f12 << 20) | 0x73
    .set f12, f12 + 1
    .endr
    EXIT
