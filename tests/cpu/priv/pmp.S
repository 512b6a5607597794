# PMP (privileged spec 3.7): TOR, NA4 and NAPOT entries, lowest-numbered match wins, a
# partial match fails, no match denies S/U, unlocked entries do not bind M, locked ones
# do and ignore writes; WARL pmpcfg bits (QEMU 7.2 keeps reserved values: differences.md).
#include "priv.h"
PRIV_BEGIN
    # only entry 1 (TOR over the pdata page, R) active: U's fetches match nothing -> 1
    la t0, pdata
    srli t0, t0, 2
    csrw pmpaddr0, t0
    la t0, pdata + 4096
    srli t0, t0, 2
    csrw pmpaddr1, t0
    li t0, 0x0900
    csrw pmpcfg0, t0
    PROBE(0, u_load)
    # entries: 1 TOR [pexec, pexec+4K) R only; 2 NA4 pdata R; 3 NAPOT pdata+0x100 size
    # 0x100 no access; 4 NAPOT everything RWX
    la t0, pexec
    srli t0, t0, 2
    csrw pmpaddr0, t0
    la t0, pexec + 4096
    srli t0, t0, 2
    csrw pmpaddr1, t0
    la t0, pdata
    srli t0, t0, 2
    csrw pmpaddr2, t0
    la t0, pdata + 0x100
    srli t0, t0, 2
    ori t0, t0, 0x1f
    csrw pmpaddr3, t0
    li t0, -1
    csrw pmpaddr4, t0
    li t0, 0x18110900
    csrw pmpcfg0, t0
    li t0, 0x1f
    csrw pmpcfg1, t0
    PRINT_CSR(pmpcfg0); PRINT_CSR(pmpcfg1); PRINT_CSR(pmpaddr3); NL
    la s1, pdata
    PROBE(0, u_load)
    PUTX(s7); NL
    PROBE(0, u_store)
    # 4 bytes at pdata+2: straddles the NA4 entry: partial match -> fault
    addi s1, s1, 2
    PROBE(1, u_loadh)
    PROBE(1, u_load)
    la s1, pdata + 0x104
    PROBE(1, u_load)
    la s1, pdata + 0x200
    PROBE(0, u_load)
    PUTX(s7); NL
    # a fetch from the R-only TOR region -> 1
    la s1, pexec
    PROBE(0, u_jump)
    # M ignores unlocked entries
    la s1, pdata
    li t0, 0x77
    sw t0, 0(s1)
    lw s7, 0x104(s1)
    PUTX(s7); NL
    # WARL: reserved bits 6:5 and R=0 W=1 in entries 5 and 6
    li t0, 0x00626100
    csrs pmpcfg1, t0
    PRINT_CSR(pmpcfg1); NL
    # lock entry 2 (NA4 pdata, R): now M's store faults (7) and its load works
    li t0, 0x80 << 16
    csrs pmpcfg0, t0
    PRINT_CSR(pmpcfg0); NL
    PROBE_M(sw t0, 0(s1))
    lw s7, 0(s1)
    PUTX(s7); NL
    # writes to a locked entry's cfg and address are ignored
    li t0, 0x07 << 16
    csrs pmpcfg0, t0
    csrw pmpaddr2, zero
    PRINT_CSR(pmpcfg0); PRINT_CSR(pmpaddr2); NL
    # lock entry 1 (TOR): pmpaddr0, its bottom, becomes read-only too
    li t0, 0x80 << 8
    csrs pmpcfg0, t0
    csrw pmpaddr0, zero
    PRINT_CSR(pmpaddr0); NL
    # M fetching from the locked R-only TOR region -> 1
    la s1, pexec
    PROBE_M(jr s1)
    # but S still runs outside the locked entries
    la s1, pdata + 0x800
    PROBE(1, u_load)
PRIV_END

u_load:  lw s7, 0(s1)
         ecall
u_loadh: lh s7, 0(s1)
         ecall
u_store: sw s1, 0(s1)
         ecall
u_jump:  jr s1

    .balign 4096
pexec:
    ecall
    .balign 4096

    .section .data
    .balign 4096
pdata:
    .word 0x01020304, 0x05060708
    .balign 256
    .word 0x11223344, 0x55667788
    .balign 4096
