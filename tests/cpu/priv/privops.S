# Privileged instructions and CSRs below M: mret/sret/wfi/sfence.vma/CSR accesses that
# are illegal in U or S, and the TW, TSR and TVM traps (privileged spec 3.1.6.5, 3.3).
#include "priv.h"
PRIV_BEGIN
    PMP_ALLOW_ALL
    # U-mode: each of these is an illegal instruction (mtval = its bits)
    PROBE(0, u_mret)
    PROBE(0, u_sret)
    PROBE(0, u_wfi)
    PROBE(0, u_sfence)
    PROBE(0, u_csr_sstatus)
    PROBE(0, u_csr_mstatus)
    PROBE(0, u_csr_satp)
    # S-mode: mret and M CSRs are illegal
    PROBE(1, s_mret)
    PROBE(1, s_csr_mstatus)
    PROBE(1, s_csr_mscratch_w)
    # S-mode, TVM=0: satp and sfence.vma are fine
    PROBE(1, s_satp)
    PROBE(1, s_sfence)
    # TVM=1: both are illegal
    li t0, 1 << 20
    csrs mstatus, t0
    PROBE(1, s_satp)
    PROBE(1, s_sfence)
    li t0, 1 << 20
    csrc mstatus, t0
    # wfi in S with TW=0 completes (an SSIP is pending in mie, delegated, SIE=0)
    li t0, 2
    csrw mideleg, t0
    csrw mie, t0
    csrs mip, t0
    PROBE(1, s_wfi)
    # TW=1: wfi in S is illegal
    li t0, 1 << 21
    csrs mstatus, t0
    PROBE(1, s_wfi)
    li t0, 1 << 21
    csrc mstatus, t0
    li t0, 2
    csrc mip, t0
    csrw mie, zero
    csrw mideleg, zero
    # sret in S: fine with TSR=0 (to U, SPP=0), illegal with TSR=1
    la t0, u_ecall
    csrw sepc, t0
    PROBE(1, s_sret)
    li t0, 1 << 22
    csrs mstatus, t0
    PROBE(1, s_sret)
    li t0, 1 << 22
    csrc mstatus, t0
PRIV_END

u_mret:   mret
u_sret:   sret
u_wfi:    wfi
u_sfence: sfence.vma
u_csr_sstatus: csrr a1, sstatus
u_csr_mstatus: csrr a1, mstatus
u_csr_satp: csrr a1, satp
s_mret:   mret
s_csr_mstatus: csrr a1, mstatus
s_csr_mscratch_w: csrw mscratch, a1
s_satp:   csrr a1, satp
          ecall
s_sfence: sfence.vma
          ecall
s_wfi:    wfi
          ecall
s_sret:   sret
u_ecall:  ecall
