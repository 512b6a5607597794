# cycle/time/instret (and an hpmcounter) below M: S needs the mcounteren bit, U needs
# both mcounteren and scounteren; otherwise an illegal instruction (spec 3.1.11, 4.1.3).
#include "priv.h"
PRIV_BEGIN
    PMP_ALLOW_ALL
    PROBE(1, s_cycle)
    PROBE(1, s_time)
    PROBE(1, s_instret)
    PROBE(1, s_hpm3)
    PROBE(0, u_cycle)
    li t0, 0xf
    csrw mcounteren, t0
    PROBE(1, s_cycle)
    PROBE(1, s_time)
    PROBE(1, s_instret)
    PROBE(1, s_hpm3)
    PROBE(1, s_cycleh)
    PROBE(0, u_cycle)
    li t0, 0x5
    csrw scounteren, t0
    PROBE(0, u_cycle)
    PROBE(0, u_time)
    PROBE(0, u_instret)
    li t0, 0x2
    csrw mcounteren, t0
    li t0, 0x7
    csrw scounteren, t0
    PROBE(0, u_cycle)
    PROBE(0, u_time)
    PRINT_CSR(mcounteren); PRINT_CSR(scounteren); NL
PRIV_END

s_cycle:   rdcycle a1
           ecall
s_time:    rdtime a1
           ecall
s_instret: rdinstret a1
           ecall
s_hpm3:    csrr a1, hpmcounter3
           ecall
s_cycleh:  rdcycleh a1
           ecall
u_cycle:   rdcycle a1
           ecall
u_time:    rdtime a1
           ecall
u_instret: rdinstret a1
           ecall
