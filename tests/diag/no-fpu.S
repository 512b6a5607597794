/* A kernel built for F and D on a hart without them (NuttX's upstream build): its start
 * code clears fcsr, which is illegal here, and the trap handler then faults on its own,
 * storing through a null context pointer (as riscv_doirq's store to 0xa8 does), over and
 * over.  Assembled with -march=rv32imafc_zicsr; the M-mode code below runs in M-mode
 * all along.
 */
        .section .text.init
        .globl _start
_start:
        la sp, stack_top
        la t0, trap
        csrw mtvec, t0
        li t0, 1 << 13              # mstatus.FS = Initial, as a kernel with an FPU sets it
        csrs mstatus, t0
        fscsr zero                  # the first cause: an F instruction
1:
        j 1b

        .align 2
trap:
        lw t0, current_regs         # null: no context was ever set up
        sw ra, 0xa8(t0)             # the secondary fault, again at each trap
        mret

        .data
current_regs:
        .word 0
        .align 4
        .zero 1024
stack_top:
