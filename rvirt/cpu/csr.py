"""The CSR registry: number -> name, read and write behaviour, WARL masks, reset values.

Privilege and read-only checks follow the number encoding (privileged spec 2.1: bits 11:10
= 3 read-only, bits 9:8 = lowest privilege).  Values and writable masks are QEMU 7.2's
for `-cpu rv32` (target/riscv/csr.c; shared/ref/virt-rv32.md 5.1-5.5) less F, D and H,
which rvirt does not implement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.cpu.triggers import TINFO
from rvirt.isa.csrs import CSR_NAMES
from rvirt.isa.xlen import MASK

if TYPE_CHECKING:
    from rvirt.cpu.hart import Hart

# mstatus fields (privileged spec 3.1.6)
MSTATUS_SIE = 1 << 1
MSTATUS_MIE = 1 << 3
MSTATUS_SPIE = 1 << 5
MSTATUS_MPIE = 1 << 7
MSTATUS_SPP = 1 << 8
MSTATUS_VS = 3 << 9
MSTATUS_MPP = 3 << 11
MSTATUS_FS = 3 << 13
MSTATUS_XS = 3 << 15
MSTATUS_MPRV = 1 << 17
MSTATUS_SUM = 1 << 18
MSTATUS_MXR = 1 << 19
MSTATUS_TVM = 1 << 20
MSTATUS_TW = 1 << 21
MSTATUS_TSR = 1 << 22
MSTATUS_SD = 1 << 31
# QEMU 7.2 write_mstatus mask without F (FS stays 0).
MSTATUS_WMASK = (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_SPP
                 | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MPP | MSTATUS_MXR | MSTATUS_TVM
                 | MSTATUS_TSR | MSTATUS_TW | MSTATUS_VS)
SSTATUS_MASK = (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_XS
                | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_VS | MSTATUS_SD)

# Interrupt bits (mip/mie)
SSIP, MSIP, STIP, MTIP, SEIP, MEIP, LCOFIP = (1 << 1, 1 << 3, 1 << 5, 1 << 7, 1 << 9,
                                              1 << 11, 1 << 13)
MIE_WMASK = SSIP | MSIP | STIP | MTIP | SEIP | MEIP | LCOFIP
MIP_WMASK = SSIP | STIP | SEIP | LCOFIP  # MSIP/MTIP/MEIP are wires from CLINT and PLIC
SIP_WMASK = SSIP | LCOFIP
MIDELEG_WMASK = SSIP | STIP | SEIP | LCOFIP
# menvcfgh (RV32's upper half of menvcfg): STCE, bit 63 of menvcfg, turns Sstc's
# stimecmp on for S-mode.  QEMU 7.2's write_menvcfgh also keeps PBMTE (bit 62), which
# means nothing under Sv32 (Svpbmt's PTE bits are Sv39's and up): kept as QEMU does.
MENVCFGH_STCE = 1 << 31
MENVCFGH_PBMTE = 1 << 30
COUNTEREN_TM = 1 << 1
# QEMU 7.2 DELEGABLE_EXCPS (its H bits 20-23 included even without H) [obs 0x00f0bfff]
MEDELEG_WMASK = 0x00F0BFFF

# misa: MXL=1, A C I M S U (virt-rv32.md 5.1: "value for an IMAC+SU emulator")
MISA = 0x40141105
# marchid and mimpid: QEMU packs its version, 7.2.22 -> 0x00070216; rvirt reports the same
# so software that prints them sees what it sees on QEMU.
QEMU_VERSION_ID = 0x00070216

PRV_U, PRV_S, PRV_M = 0, 1, 3
HPM_COUNTERS = 16  # QEMU 7.2's pmu-num default: mhpmcounter3..18 are implemented


class CsrAccessError(Exception):
    """The access is illegal (unknown CSR, privilege, read-only): illegal instruction."""


class Csr:
    """One CSR's accessors (a plain class: start-up paid for a dataclass's methods)."""

    def __init__(self, number: int, name: str, read: Callable[[], int],
                 write: Callable[[int], None] | None,
                 predicate: Callable[[int], bool] | None = None,
                 rmw_base: Callable[[], int] | None = None) -> None:
        self.number = number
        self.name = name
        self.read = read
        self.write = write  # None: writes are ignored (WARL zero / read-only)
        self.predicate = predicate  # extra access check by privilege
        # The value csrrs/csrrc modify, where it is not what a read returns: for mip and
        # sip only the software-writable bits, without the interrupt wires ORed into a
        # read (privileged spec 3.1.9).  None: the read value.
        self.rmw_base = rmw_base

    def __repr__(self) -> str:
        return f"Csr({self.number:#x}, {self.name!r})"


def _counter_ok(h: Hart, bit: int) -> Callable[[int], bool]:
    """cycle/time/instret in S need mcounteren, in U also scounteren (priv spec 3.1.11)."""

    def ok(priv: int) -> bool:
        if priv == PRV_M:
            return True
        if not h.csr["mcounteren"] >> bit & 1:
            return False
        return priv == PRV_S or bool(h.csr["scounteren"] >> bit & 1)

    return ok


def _sstc_ok(h: Hart) -> Callable[[int], bool]:
    """stimecmp/stimecmph below M need mcounteren.TM and menvcfg.STCE (Sstc; QEMU 7.2's
    `sstc` predicate); U-mode is refused by the CSRs' number."""

    def ok(priv: int) -> bool:
        c = h.csr
        return priv == PRV_M or bool(c["mcounteren"] & COUNTEREN_TM
                                     and c["menvcfgh"] & MENVCFGH_STCE)

    return ok


def build_csrs(h: Hart) -> dict[int, Csr]:
    """Every CSR rvirt implements, bound to hart `h`."""
    regs: dict[int, Csr] = {}
    c = h.csr  # plain storage by name

    def add(num: int, read: Callable[[], int] | None = None,
            write: Callable[[int], None] | None = None, *, wmask: int | None = None,
            reset: int = 0, predicate: Callable[[int], bool] | None = None,
            rmw_base: Callable[[], int] | None = None) -> None:
        name = CSR_NAMES[num]
        if read is None:
            c.setdefault(name, reset)
            read = lambda: c[name]  # noqa: E731
            if wmask is not None and write is None:
                def write(v: int, _n: str = name, _m: int = wmask) -> None:
                    c[_n] = (c[_n] & ~_m) | (v & _m)
        regs[num] = Csr(num, name, read, write, predicate, rmw_base)

    def const(num: int, value: int) -> None:
        add(num, lambda: value)

    # --- machine information (read-only) ---
    const(0xF11, 0)
    const(0xF12, QEMU_VERSION_ID)
    const(0xF13, QEMU_VERSION_ID)
    const(0xF14, h.hartid)
    const(0xF15, 0)
    # --- machine trap setup ---
    add(0x300, h.read_mstatus, h.write_mstatus)
    add(0x301, lambda: MISA, lambda v: None)  # writes dropped, as on QEMU
    add(0x302, wmask=MEDELEG_WMASK)
    add(0x303, wmask=MIDELEG_WMASK, write=h.csr_writer("mideleg", MIDELEG_WMASK))
    add(0x304, wmask=MIE_WMASK, write=h.csr_writer("mie", MIE_WMASK))
    add(0x305, write=h.tvec_writer("mtvec"))
    add(0x306, wmask=MASK)
    add(0x30A, wmask=1)  # FIOM only: rvirt has none of CBO/Svpbmt
    add(0x31A, wmask=MENVCFGH_STCE | MENVCFGH_PBMTE)
    add(0x310, wmask=0)  # MBE/SBE are 0: little-endian only
    add(0x320, wmask=0xFFFFFFFD)
    # --- machine trap handling ---
    add(0x340, wmask=MASK)
    # Spec: mepc/sepc bit 0 is always zero with IALIGN=16; QEMU 7.2 keeps it
    # (documented difference, docs/differences.md).
    add(0x341, wmask=0xFFFFFFFE)
    add(0x342, wmask=MASK)
    add(0x343, wmask=MASK)
    # While menvcfg.STCE is set, Sstc's comparator drives STIP: software cannot write it
    # (QEMU 7.2 rmw_mip).
    add(0x344, h.read_mip, lambda v: h.write_mip(
        v, MIP_WMASK & ~STIP if c["menvcfgh"] & MENVCFGH_STCE else MIP_WMASK),
        rmw_base=lambda: c["mip"])
    # --- PMP (16 entries, 4-byte granularity; WARL and lock rules in pmp.py) ---
    for i in range(4):
        add(0x3A0 + i, write=lambda v, i=i: h.pmp.write_cfg(i, v))
    for i in range(16):
        add(0x3B0 + i, write=lambda v, i=i: h.pmp.write_addr(i, v))
    # --- debug triggers (QEMU 7.2 debug.c; behaviour in triggers.py) ---
    t = h.triggers
    add(0x7A0, lambda: t.select, t.write_select)
    add(0x7A1, lambda: t.tdata1[t.select], t.write_tdata1)
    add(0x7A2, lambda: t.tdata2[t.select], t.write_tdata2)
    add(0x7A3, lambda: 0, lambda v: None)  # QEMU 7.2: "tdata3 is not supported"
    const(0x7A4, TINFO)
    # --- counters ---
    add(0xB00, lambda: h.counter("cycle") & MASK,
        lambda v: h.set_counter("cycle", v, False))
    add(0xB80, lambda: h.counter("cycle") >> 32,
        lambda v: h.set_counter("cycle", v, True))
    add(0xB02, lambda: h.counter("instret") & MASK,
        lambda v: h.set_counter("instret", v, False))
    add(0xB82, lambda: h.counter("instret") >> 32,
        lambda v: h.set_counter("instret", v, True))
    # mhpmcounter3..18 hold what is written and never count: QEMU 7.2 `-cpu rv32` has 16
    # programmable counters (pmu-num=16).  OpenSBI finds them by writing 1 and reading it
    # back (its banner: "Boot HART MHPM Count : 16").  19..31 must exist (priv spec
    # 3.1.10) and are read-only zero here; QEMU makes them illegal.  All 29 mhpmevent
    # registers hold what is written, as on QEMU, which (unlike rvirt) starts a counter
    # counting when its event selects cycles or instructions (docs/differences.md).
    for i in range(3, 32):
        mask = MASK if i < 3 + HPM_COUNTERS else 0
        add(0xB00 + i, wmask=mask)
        add(0xB80 + i, wmask=mask)
        add(0x320 + i, wmask=MASK)
    for bit, name in ((0, "cycle"), (1, "time"), (2, "instret")):
        ok = _counter_ok(h, bit)
        add(0xC00 + bit, lambda n=name: h.counter(n) & MASK, predicate=ok)
        add(0xC80 + bit, lambda n=name: h.counter(n) >> 32, predicate=ok)
    for i in range(3, 32):  # the user-level views of mhpmcounter3..31 (spec 2.8 Zihpm)
        ok = _counter_ok(h, i)
        add(0xC00 + i, lambda n=f"mhpmcounter{i}": c[n], predicate=ok)
        add(0xC80 + i, lambda n=f"mhpmcounter{i}h": c[n], predicate=ok)
    # --- supervisor ---
    add(0x100, lambda: h.read_mstatus() & SSTATUS_MASK,
        lambda v: h.write_mstatus((h.read_mstatus() & ~SSTATUS_MASK) | (v & SSTATUS_MASK)))
    add(0x104, lambda: c["mie"] & c["mideleg"],
        lambda v: h.csr_writer("mie", c["mideleg"])(v))
    add(0x105, write=h.tvec_writer("stvec"))
    add(0x106, wmask=MASK)
    add(0x10A, wmask=1)
    add(0x140, wmask=MASK)
    add(0x141, wmask=0xFFFFFFFE)
    add(0x142, wmask=MASK)
    add(0x143, wmask=MASK)
    add(0x144, lambda: h.read_mip() & c["mideleg"],
        lambda v: h.write_mip(v, SIP_WMASK & c["mideleg"]),
        rmw_base=lambda: c["mip"] & c["mideleg"])
    # Sstc: stimecmp and stimecmph (RV32's upper half) compare with time (Hart.sstc)
    ok = _sstc_ok(h)
    add(0x14D, write=lambda v: h.write_stimecmp(v, False), predicate=ok)
    add(0x15D, write=lambda v: h.write_stimecmp(v, True), predicate=ok)
    # satp: Sv32 (MODE bit 31), 9-bit ASID, 22-bit PPN; TVM traps S-mode accesses.
    add(0x180, write=h.write_satp,
        predicate=lambda p: not (p == PRV_S and c["mstatus"] & MSTATUS_TVM))
    return regs
