# mret/sret into S and U, ecall from U/S/M, and the MPP/MPIE/SPP/SPIE bookkeeping
# (privileged spec 3.1.6.1, 3.3.1, 3.3.2).
#include "priv.h"
PRIV_BEGIN
    # QEMU 7.2: an mret to S while no PMP entry is active is an illegal instruction
    # (mtval = the mret); rvirt keeps that behaviour.
    PROBE(1, s_ecall)
    PMP_ALLOW_ALL
    # ecall from S (9) with MIE=1 before the mret: MPIE/MIE/MPP after the trap
    li t0, 0x8
    csrs mstatus, t0
    PROBE(1, s_ecall)
    PRINT_CSR(mstatus); NL
    # ecall from U (8)
    PROBE(0, u_ecall)
    PRINT_CSR(mstatus); NL
    # ecall from M (11)
    PROBE_M(ecall)
    PRINT_CSR(mstatus); NL
    # sret from M with SPP=S, SPIE=1: S runs with SIE=1, SPIE=1, SPP=0, then its own
    # sret (SPP=0) drops to U, which ecalls
    li t0, 0x122
    csrs mstatus, t0
    li t0, 0x2
    csrc mstatus, t0
    la t0, s_then_u
    csrw sepc, t0
    la s0, 10f
    sret
10: PUTX(s2); NL
    PRINT_CSR(mstatus); NL
    # mret returns MPP to U and MPIE to 1; observed from S through sstatus-free means:
    # S reads nothing of mstatus, so M checks after S ecalls back
    li t0, 0x80
    csrc mstatus, t0
    PROBE(1, s_ecall)
    PRINT_CSR(mstatus); NL
    PRINT_CSR(mepc); NL
PRIV_END

s_ecall:
    ecall
u_ecall:
    ecall
s_then_u:
    csrr s2, sstatus
    la t0, u_ecall
    csrw sepc, t0
    sret
