/* Entry: a stack, then kmain. */
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    call kmain
1:  j 1b
