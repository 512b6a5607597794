/* Shared pieces of the small probes in tests/cpu: printing on UART0 and the finisher. */
#define UART0 0x10000000

/* After probing counter \n: a0 read back, s5 = 1 if the access trapped. */
.macro PROBE_RECORD n
    li t0, 1 << \n
    beqz s5, 91f
    or s4, s4, t0
    j 92f
91: li t1, 1
    bne a0, t1, 92f
    or s3, s3, t0
    addi s2, s2, 1
92:
.endm

.macro PROBE_REPORT
    mv a0, s2
    call puthex
    mv a0, s3
    call puthex
    mv a0, s4
    call puthex
    call newline
.endm

/* One case of a fault probe: s1 = its number, mcause and mtval cleared, a1 = 0, the
 * instruction, then the probe's own `report` prints the line. */
.macro CASE id, insn
    li s1, \id
    csrw mcause, zero
    csrw mtval, zero
    li a1, 0
    \insn
    call report
.endm

/* A trap handler that skips the 4-byte instruction that trapped (a load or store the probe
 * expects to fault); mcause and mtval stay for the probe to read. */
.macro SKIP_TRAP_HANDLER
    .align 2
trap:
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret
.endm

.macro FINISH
    li t1, 0x100000
    li t2, 0x5555
    sw t2, 0(t1)
99: j 99b
.endm

.macro PROBE_HELPERS
puthex:  /* a0 as 8 hex digits and a space */
    li t4, 28
    li t6, UART0
81: srl t3, a0, t4
    andi t3, t3, 15
    li t2, 10
    blt t3, t2, 82f
    addi t3, t3, 'a' - 10
    j 83f
82: addi t3, t3, '0'
83: sb t3, 0(t6)
    addi t4, t4, -4
    bgez t4, 81b
    li t3, ' '
    sb t3, 0(t6)
    ret
newline:
    li t6, UART0
    li t3, '\n'
    sb t3, 0(t6)
    ret
    .section .bss
    .align 4
    .space 1024
stack_top:
.endm
