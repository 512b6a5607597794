# Debug triggers (debug spec 0.13 5.2; QEMU 7.2 target/riscv/debug.c): tselect, tdata1-3
# and tinfo, reset values, WARL writes of mcontrol (type 2), and address matches on
# execute, load and store raising a breakpoint exception (cause 3) before the access.
#include "priv.h"
#define TYPE2   0x20000000
#define M_BIT   0x40
#define S_BIT   0x10
#define U_BIT   0x08
#define EXEC    0x04
#define STORE   0x02
#define LOAD    0x01
/* Select trigger n, set tdata2 = address, tdata1 = control. */
#define ARM(n, addr, ctl)                                                   \
        li t0, n; csrw tselect, t0;                                         \
        la t0, addr; csrw tdata2, t0;                                       \
        li t0, ctl; csrw tdata1, t0
#define DISARM(n)                                                           \
        li t0, n; csrw tselect, t0;                                         \
        li t0, TYPE2; csrw tdata1, t0
PRIV_BEGIN
    PMP_ALLOW_ALL
    # reset values
    PRINT_CSR(tselect); PRINT_CSR(tdata1); PRINT_CSR(tdata2); PRINT_CSR(tdata3); NL
    PROBE_M(csrr a0, 0x7a4)
    PUTX(a0); NL
    # tinfo is read-only; tcontrol (0x7a5) and mcontext (0x7a8) do not exist
    PROBE_M(csrw 0x7a4, zero)
    PROBE_M(csrr a0, 0x7a5)
    PROBE_M(csrr a0, 0x7a8)
    li t0, 1
    csrw tselect, t0
    PRINT_CSR(tselect); PRINT_CSR(tdata1); PRINT_CSR(tdata2); PRINT_CSR(tdata3); NL
    # tselect out of range keeps the old value
    li t0, 2
    csrw tselect, t0
    PRINT_CSR(tselect)
    li t0, -1
    csrw tselect, t0
    PRINT_CSR(tselect)
    csrw tselect, zero
    PRINT_CSR(tselect); NL
    # WARL tdata1: all ones, type 2 with every bit, other types, zero
    li t0, -1
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x2fffffff
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x28000000 | 0x7ff80 | 0x3f
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x20030000
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x20020000
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x20010000
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x3000005f
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    csrw tdata1, zero
    PRINT_CSR(tdata1)
    li t0, 0x6fffffff
    csrw tdata1, t0
    PRINT_CSR(tdata1)
    li t0, 0x2000005f
    csrw tdata1, t0
    PRINT_CSR(tdata1); NL
    li t0, 0x12345678
    csrw tdata2, t0
    li t0, -1
    csrw tdata3, t0
    PRINT_CSR(tdata1); PRINT_CSR(tdata2); PRINT_CSR(tdata3)
    li t0, 1
    csrw tselect, t0
    PRINT_CSR(tdata2)
    csrw tselect, zero
    PRINT_CSR(tdata2); NL
    csrw tdata2, zero
    csrw tdata3, zero
    # execute match in U: breakpoint before the instruction runs
    ARM(0, u_exec2, TYPE2 | U_BIT | EXEC)
    PRINT_CSR(tdata1); NL
    li s7, 0
    PROBE(0, u_exec)
    PUTX(s7); NL
    # same trigger, but only S enabled: U runs through to its ecall
    ARM(0, u_exec2, TYPE2 | S_BIT | EXEC)
    li s7, 0
    PROBE(0, u_exec)
    PUTX(s7); NL
    # ... and S hits it
    li s7, 0
    PROBE(1, u_exec)
    PUTX(s7); NL
    DISARM(0)
    # load match on trigger 1, any size (4 bytes on RV32)
    ARM(1, tword, TYPE2 | U_BIT | S_BIT | LOAD)
    li s7, 0
    la s1, tword
    PROBE(0, u_lw)
    PUTX(s7); NL
    la s1, tword + 3
    PROBE(0, u_lb)
    la s1, tword + 4
    PROBE(0, u_lb)
    la s1, tword - 1
    PROBE(0, u_lw)
    la s1, tword - 2
    PROBE(0, u_lh)
    # the store is not matched by a load trigger
    la s1, tword
    PROBE(0, u_sw)
    # size 1 byte: a byte load at +1 misses, at +0 hits
    ARM(1, tword, TYPE2 | U_BIT | LOAD | 0x10000)
    la s1, tword + 1
    PROBE(0, u_lb)
    la s1, tword
    PROBE(0, u_lb)
    la s1, tword
    PROBE(0, u_lw)
    # size 2 bytes
    ARM(1, tword, TYPE2 | U_BIT | LOAD | 0x20000)
    la s1, tword + 2
    PROBE(0, u_lb)
    la s1, tword + 1
    PROBE(0, u_lb)
    # type 6 (mcontrol6), size 1 byte at +1
    ARM(1, tword + 1, 0x60000000 | U_BIT | LOAD | 0x10000)
    PRINT_CSR(tdata1); NL
    la s1, tword
    PROBE(0, u_lb)
    la s1, tword + 1
    PROBE(0, u_lb)
    DISARM(1)
    PRINT_CSR(tdata1); NL
    # store match: the store does not happen
    ARM(0, tword, TYPE2 | U_BIT | STORE)
    la s1, tword
    li t0, 0x11111111
    sw t0, 0(s1)
    PROBE(0, u_sw)
    lw t0, 0(s1)
    PUTX(t0); NL
    # store-only trigger ignores loads; an AMO is both
    PROBE(0, u_lw)
    PROBE(0, u_amo)
    lw t0, 0(s1)
    PUTX(t0); NL
    # LR/SC and AMOs: a load trigger sees the LR and the AMO, a store trigger the SC
    li s7, 0
    PROBE(0, u_lrsc)
    PUTX(s7); NL
    ARM(0, tword, TYPE2 | U_BIT | LOAD)
    PROBE(0, u_amo)
    PROBE(0, u_lrsc)
    DISARM(0)
    # M-mode: the M bit matches in M, with MIE clear (the handler runs with MIE=0)
    ARM(0, m_exec2, TYPE2 | M_BIT | EXEC)
    li s7, 0
    PROBE_M(j m_exec)
    PUTX(s7); NL
    DISARM(0)
    ARM(1, tword, TYPE2 | M_BIT | LOAD | STORE)
    la s1, tword
    PROBE_M(lw s7, 0(s1))
    PROBE_M(sw zero, 0(s1))
    # with MIE set
    csrsi mstatus, 8
    PROBE_M(lw s7, 0(s1))
    csrci mstatus, 8
    # MPRV: M loading as U; the trigger has only U: QEMU compares the hart's mode
    ARM(1, tword, TYPE2 | U_BIT | LOAD)
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 1 << 17
    csrs mstatus, t0
    lw s7, 0(s1)
    li t0, 1 << 17
    csrc mstatus, t0
    PUTX(s7); NL
    DISARM(1)
    PRINT_CSR(tdata1); NL
    # an exec trigger on the first instruction of the trap handler would loop: skipped
    # a trigger with no mode bits or no access bits is off
    ARM(0, u_exec2, TYPE2 | EXEC)
    li s7, 0
    PROBE(0, u_exec)
    PUTX(s7); NL
    ARM(0, u_exec2, TYPE2 | U_BIT)
    li s7, 0
    PROBE(0, u_exec)
    PUTX(s7); NL
    DISARM(0)
PRIV_END

u_exec:  li s7, 1
u_exec2: li s7, 2
         ecall
u_lw:    lw s7, 0(s1)
         ecall
u_lh:    lh s7, 0(s1)
         ecall
u_lb:    lb s7, 0(s1)
         ecall
u_sw:    li t0, 0x2222
         sw t0, 0(s1)
         ecall
u_amo:   li t0, 0x3333
         amoswap.w t0, t0, (s1)
         ecall
u_lrsc:  li t0, 0x5555
         lr.w t1, (s1)
         sc.w s7, t0, (s1)
         ecall
m_exec:  li s7, 1
m_exec2: li s7, 2
         jr s0

    .section .data
    .balign 16
    .word 0xaaaaaaaa
tword:
    .word 0x44332211
    .word 0x88776655
