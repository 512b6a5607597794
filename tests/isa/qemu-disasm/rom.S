/* pc-relative targets below address 0: QEMU adds the offset to a 64-bit pc and prints
 * 0xffffffff........  The code runs from QEMU's boot ROM (mrom) at 0x2000, past the reset
 * vector; the linker script puts section .rom there. */
#include "harness.h"

main:
    la t0, low
    jr t0
back:
    EXIT

    .section .rom, "ax"
low:
    auipc t0, 0x80000
    auipc t0, 0x80001
    auipc t0, 0xfffff
    auipc t0, 0xffffd
    auipc t0, 0x7ffff
    NOT_RUN jal zero, . - 0x100000
    NOT_RUN jal ra, . + 0xffffe
    NOT_RUN beq a0, a1, . - 4096
    .option rvc
    NOT_RUN c.j . - 2048
    .option norvc
    la t0, back
    jr t0
