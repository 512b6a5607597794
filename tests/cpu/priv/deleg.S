# medeleg/mideleg delegation to S (privileged spec 3.1.8, 4.1.1): exceptions from U and
# S taken by S through stvec (direct), an SSIP interrupt through a vectored stvec, traps
# in M never delegated, and the sstatus/sie/sip views of mstatus/mie/mip.
#include "priv.h"
PRIV_BEGIN
    PMP_ALLOW_ALL
    # delegate illegal instruction (2), breakpoint (3), ecall from U (8)
    li t0, (1 << 2) | (1 << 3) | (1 << 8)
    csrw medeleg, t0
    PRINT_CSR(medeleg); NL
    # ecall from U -> S handler (SPP=0), which ecalls to M
    PROBE(0, u_ecall)
    PRINT_S_RECORD
    # illegal instruction in U -> S (stval = the bits)
    PROBE(0, u_illegal)
    PRINT_S_RECORD
    # illegal instruction in S -> S (SPP=1), SIE=1 before -> SPIE=1
    li t0, 2
    csrs mstatus, t0
    PROBE(1, s_illegal)
    PRINT_S_RECORD
    li t0, 2
    csrc mstatus, t0
    # ebreak in S -> S
    PROBE(1, s_ebreak)
    PRINT_S_RECORD
    # ebreak in M stays in M even though delegated
    PROBE_M(ebreak)
    csrw medeleg, zero
    # views: sstatus, sie, sip
    li t0, 0x222
    csrw mideleg, t0
    li t0, 0x2aa
    csrw mie, t0
    PRINT_CSR(mie); PRINT_CSR(sie); NL
    li t0, 0x222
    csrs mip, t0
    PRINT_CSR(mip); PRINT_CSR(sip); NL
    csrw sip, zero
    PRINT_CSR(mip); PRINT_CSR(sip); NL
    li t0, 0x20
    csrc mip, t0
    csrw sie, zero
    PRINT_CSR(mie); PRINT_CSR(sie); NL
    li t0, 0x200
    csrc mip, t0
    csrw mie, zero
    li t0, 0x000c0122
    csrw sstatus, t0
    PRINT_CSR(mstatus); PRINT_CSR(sstatus); NL
    li t0, 0x19aa
    csrs mstatus, t0
    PRINT_CSR(mstatus); PRINT_CSR(sstatus); NL
    csrw sstatus, zero
    PRINT_CSR(mstatus); PRINT_CSR(sstatus); NL
    li t0, 0x1888
    csrc mstatus, t0
    # an SSIP delegated to S with a vectored stvec: S takes it at base + 4 * 1 as soon
    # as it runs with SIE=1
    li t0, 2
    csrw mideleg, t0
    csrw mie, t0
    la t0, s_vectors
    ori t0, t0, 1
    csrw stvec, t0
    li t0, 2
    csrs mstatus, t0
    csrs mip, t0
    li s6, 0
    PROBE(1, s_spin)
    PRINT_S_RECORD
    PUTX(s6); NL
    # the same interrupt is not taken in S while SIE=0, and never in M; U takes it
    li t0, 2
    csrc mstatus, t0
    csrs mip, t0
    li s6, 0
    PROBE(1, s_ecall)
    PUTX(s6); NL
    PROBE(0, u_ecall)
    PRINT_S_RECORD
    PUTX(s6); NL
    PRINT_CSR(mip); NL
PRIV_END

u_ecall:   ecall
u_illegal: .word 0
s_illegal: csrr a1, mstatus
s_ebreak:  ebreak
s_ecall:   ecall
s_spin:    nop
           nop
           ecall

    .balign 64
s_vectors:
    j s_vec_other
    j s_vec_ssi
    j s_vec_other
    j s_vec_other
    j s_vec_other
    j s_vec_other
s_vec_other:
    li s6, 0xee
    j __strap
s_vec_ssi:
    li s6, 1
    csrc sip, 2
    j __strap
