/* Zicsr: each form with x0 and other registers, immediates 0, 1, 31, the CSRs behind
 * QEMU's pseudo-instructions (rdcycle..., frcsr..., fscsr..., fsrmi...) in their pseudo and
 * non-pseudo forms, and CSR numbers QEMU has no name for.  Writes go to sscratch or are
 * not run: the harness owns mscratch, mtvec and mepc. */
#include "harness.h"

main:
    .irp op, csrrw, csrrs, csrrc
    \op a0, sscratch, a1
    \op zero, sscratch, a1
    \op a0, sscratch, zero
    \op zero, sscratch, zero
    \op t6, sscratch, t5
    .endr
    .irp op, csrrwi, csrrsi, csrrci
    .irp imm, 0, 1, 2, 16, 31
    \op a0, sscratch, \imm
    .endr
    \op zero, sscratch, 0
    \op zero, sscratch, 31
    .endr
    .irp r, ALL_REGS
    csrrs \r, sscratch, zero
    csrrw zero, sscratch, \r
    .endr

    /* counters: rdcycle... only for csrrs with rs1 = x0 */
    .irp csr, cycle, time, instret, cycleh, timeh, instreth
    csrrs a0, \csr, zero
    csrrs zero, \csr, zero
    csrrs a0, \csr, a1
    csrrc a0, \csr, zero
    csrrw a0, \csr, a1
    csrrsi a0, \csr, 0
    csrrci a0, \csr, 0
    .endr
    /* floating-point CSRs: frcsr/frrm/frflags, fscsr/fsrm/fsflags, fsrmi/fsflagsi */
    .irp csr, fflags, frm, fcsr
    csrrs a0, \csr, zero
    csrrs a0, \csr, a1
    csrrw a0, \csr, a1
    csrrw zero, \csr, a1
    csrrw a0, \csr, zero
    csrrc a0, \csr, a1
    csrrwi a0, \csr, 5
    csrrwi zero, \csr, 0
    csrrsi a0, \csr, 1
    csrrci a0, \csr, 31
    .endr
    /* machine CSRs, named and not */
    .irp csr, mstatus, misa, mie, mip, mcause, mtval, mhartid, satp, 0x7c0, 0x800, 0xfff, 0x5c0, 0x123
    csrrs a0, \csr, zero
    csrrc a0, \csr, zero
    csrrsi a0, \csr, 0
    .endr
    NOT_RUN csrrw zero, mtvec, a0
    NOT_RUN csrrw a0, mscratch, a1
    NOT_RUN csrrwi a0, mepc, 4
    NOT_RUN csrrw a0, 0xfff, a1
    EXIT
