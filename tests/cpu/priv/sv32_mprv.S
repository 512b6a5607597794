# MPRV (privileged spec 3.1.6.3): M-mode loads and stores translated and checked with the
# privilege in MPP, fetches never; PMP checks on the page-table walk (3.7.1).
#include "priv.h"
#include "sv32.h"

/* One M-mode access with MPRV=1 and MPP=mode; MPRV is cleared again at once (after
 * a trap the handler's mret leaves MPP=U, and the helpers must run untranslated). */
#define MPRV_PROBE(mode, insn...)                                           \
        li t4, 0x1800;                                                      \
        csrc mstatus, t4;                                                   \
        li t4, ((mode) << 11) | (1 << 17);                                  \
        la s0, 1f;                                                          \
        csrs mstatus, t4;                                                   \
        insn;                                                               \
1:      li t4, 1 << 17;                                                     \
        csrc mstatus, t4

PRIV_BEGIN
    PMP_ALLOW_ALL
    SV32_SETUP
    li s1, 0x40000010
    li s7, 0
    MPRV_PROBE(1, lw s7, 0(s1))
    PUTX(s7); NL
    li t0, 1 << 18
    csrs mstatus, t0
    MPRV_PROBE(1, lw s7, 0(s1))
    PUTX(s7); NL
    li t0, 1 << 18
    csrc mstatus, t0
    MPRV_PROBE(0, lw s7, 4(s1))
    PUTX(s7); NL
    MPRV_PROBE(0, sw s1, 8(s1))
    MPRV_PROBE(0, lw s7, 8(s1))
    PUTX(s7); NL
    # kernel page has no U bit
    la s2, kdata
    MPRV_PROBE(0, lw s7, 0(s2))
    MPRV_PROBE(1, lw s7, 4(s2))
    PUTX(s7); NL
    # read-only page
    li s3, 0x40001000
    MPRV_PROBE(0, sw s3, 0(s3))
    MPRV_PROBE(3, lw s7, 0(s2))
    PUTX(s7); NL
    # MPRV with MPP=M is plain M: physical
    PRINT_CSR(mstatus); NL
    # PMP denies S-mode reads of the root table: the walk itself fails -> access fault
    la t0, pt_root
    srli t0, t0, 2
    ori t0, t0, 0x1ff
    csrw pmpaddr0, t0
    li t0, -1
    csrw pmpaddr1, t0
    li t0, 0x1f18
    csrw pmpcfg0, t0
    MPRV_PROBE(1, lw s7, 0(s2))
    MPRV_PROBE(1, sw s7, 0(s2))
    # M-mode itself is not bound by the unlocked entry
    lw s7, 0(s2)
    PUTX(s7); NL
    PMP_ALLOW_ALL
    # satp bare: MPRV still applies PMP with MPP's privilege
    csrw satp, zero
    la t0, kdata
    srli t0, t0, 2
    csrw pmpaddr0, t0
    li t0, -1
    csrw pmpaddr1, t0
    li t0, 0x1f10
    csrw pmpcfg0, t0
    MPRV_PROBE(0, lw s7, 0(s2))
    MPRV_PROBE(0, lw s7, 4(s2))
    PUTX(s7); NL
PRIV_END

SV32_DATA
    .section .text
    .balign 4096
ucode:
    ecall
