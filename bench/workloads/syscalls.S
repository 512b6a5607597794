/* System calls: a user program under Sv32 paging (bench/workloads/kernel.h) makes
 * 2 * ITERS + 1 `ecall`s to a small S-mode kernel (medeleg sends U-mode ecalls to S),
 * whose handler swaps to the kernel stack through sscratch, saves what it uses, checks
 * the call number and dispatches through a table, and returns with sret:
 *   getpid() -> a pid that changes with the calls made;
 *   write(buf, words) -> bytes: the kernel checks that the buffer is in the user's data
 *     page, reads it through the user mapping (sstatus.SUM) and folds it into its log;
 *   exit(status): ends the count and goes back to M-mode.
 * Per iteration the user program stores a word into its data page, calls getpid and
 * write, and mixes the answers into its state.  The count: from the kernel's sret into
 * the user program to exit's handler, less the trapping ecalls where the emulator counts
 * them (kernel.h); the checksum: the user's state, the kernel's log and its call count. */
#define WORK_COUNTS_ITSELF
#include "harness.h"
#include "kernel.h"

#define SYS_GETPID 0
#define SYS_WRITE 1
#define SYS_EXIT 2
#define SYS_CALLS 3
#define ENOSYS 38
#define EFAULT 14
#define SCAUSE_U_ECALL 8

    .text
/* M-mode, before the kernel starts: U-mode ecalls go to S; the kernel's own ecall (from
 * S, cause 9) comes back to M at m_return */
m_setup:
    li t0, 1 << SCAUSE_U_ECALL
    csrw medeleg, t0
    la t0, m_return
    csrw mtvec, t0
    ret

/* S-mode, a0 = ITERS: start the user program at USER_VA in U-mode */
s_main:
    la t0, s_trap
    csrw stvec, t0
    la t0, kstack_top           /* swapped in by s_trap */
    csrw sscratch, t0
    li t0, SSTATUS_SPP          /* sret to U */
    csrc sstatus, t0
    li t0, SSTATUS_SUM          /* the kernel reads user pages (write) */
    csrs sstatus, t0
    li t0, USER_VA
    csrw sepc, t0
    li sp, USER_DATA_VA + 4096  /* the user's stack: the top of its data page */
    READ_INSTRET_S t1, t2, t0
    la t0, k_start
    sw t1, 0(t0)
    sw t2, 4(t0)
    sret

    .balign 4
s_trap:
    csrrw sp, sscratch, sp      /* the kernel stack; the user's sp in sscratch */
    addi sp, sp, -32
    sw ra, 0(sp)
    sw t0, 4(sp)
    sw t1, 8(sp)
    sw t2, 12(sp)
    sw t3, 16(sp)
    csrr t0, scause
    li t1, SCAUSE_U_ECALL
    bne t0, t1, s_fatal         /* nothing else is delegated */
    la t0, k_calls
    lw t1, 0(t0)
    addi t1, t1, 1
    sw t1, 0(t0)
    csrr t0, sepc               /* return after the ecall */
    addi t0, t0, 4
    csrw sepc, t0
    li t0, SYS_CALLS
    bgeu a7, t0, 1f
    la t0, syscall_table
    slli t1, a7, 2
    add t0, t0, t1
    lw t0, 0(t0)
    jalr t0
    j 2f
1:  li a0, -ENOSYS
2:  lw ra, 0(sp)
    lw t0, 4(sp)
    lw t1, 8(sp)
    lw t2, 12(sp)
    lw t3, 16(sp)
    addi sp, sp, 32
    csrrw sp, sscratch, sp
    sret

s_fatal:                        /* an unexpected trap: report scause as the checksum */
    mv a0, t0
    li a1, 0
    li a2, 0
    ecall

/* getpid() -> 1000 + the calls made so far, modulo 256 */
sys_getpid:
    la t0, k_calls
    lw a0, 0(t0)
    andi a0, a0, 0xff
    addi a0, a0, 1000
    ret

/* write(a0 = buf, a1 = words) -> bytes, or -EFAULT if buf is not in the data page */
sys_write:
    li t0, USER_DATA_VA
    bltu a0, t0, 2f
    slli t1, a1, 2
    add t1, a0, t1
    li t0, USER_DATA_VA + 4096
    bltu t0, t1, 2f
    la t2, k_log
    lw t2, 0(t2)
    mv t3, a0
1:  beq t3, t1, 3f              /* k_log = rotl(k_log, 5) ^ word, for each word */
    lw t0, 0(t3)
    slli a0, t2, 5
    srli t2, t2, 27
    or t2, t2, a0
    xor t2, t2, t0
    addi t3, t3, 4
    j 1b
2:  li a0, -EFAULT
    ret
3:  la t0, k_log
    sw t2, 0(t0)
    slli a0, a1, 2
    ret

/* exit(a0 = the user's state): the count and checksum to M-mode; does not return */
sys_exit:
    READ_INSTRET_S a1, a2, t0
    la t0, k_start              /* 64-bit a2:a1 -= k_start */
    lw t1, 0(t0)
    lw t2, 4(t0)
    sltu t3, a1, t1
    sub a1, a1, t1
    sub a2, a2, t2
    sub a2, a2, t3
    la t3, k_calls
    lw t3, 0(t3)
    LESS_COUNTED_ECALLS a1, a2, t3
    la t0, k_log
    lw t0, 0(t0)
    xor a0, a0, t0
    slli t0, t3, 16
    xor a0, a0, t0
    ecall                       /* to M-mode: m_return */

    .section .rodata
    .balign 4
syscall_table:
    .word sys_getpid, sys_write, sys_exit

    .data
    .balign 8
k_start: .word 0, 0             /* instret when the user program started */
k_calls: .word 0
k_log: .word 0x811c9dc5

/* The user program, a0 = iterations; U-mode, at USER_VA */
    .section .text.user, "ax"
    .balign 4096
user_text:
    mv s0, a0
    li s1, 0x9e3779b9           /* its state */
    li s2, USER_DATA_VA
    li s3, 0
1:  andi t0, s3, 63             /* buf = data[(i % 64) * 4] */
    slli t0, t0, 2
    add s4, s2, t0
    xor t1, s1, s3
    sw t1, 0(s4)
    li a7, SYS_GETPID
    ecall
    add s1, s1, a0
    mv a0, s4
    li a1, 1
    li a7, SYS_WRITE
    ecall
    add s1, s1, a0
    slli t0, s1, 13             /* xorshift the state */
    xor s1, s1, t0
    srli t0, s1, 17
    xor s1, s1, t0
    slli t0, s1, 5
    xor s1, s1, t0
    addi s3, s3, 1
    bne s3, s0, 1b
    mv a0, s1
    li a7, SYS_EXIT
    ecall
2:  j 2b                        /* exit does not return */
