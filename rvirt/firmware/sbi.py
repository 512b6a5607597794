"""The built-in SBI firmware: OpenSBI's part of QEMU's `-bios default`, in Python.

What a guest sees is what OpenSBI v1.3 (`fw_dynamic`, platform generic) shows it on the
virt board, with SBI v2.0's calls:

- Memory: the firmware owns [0x80000000, +256 KiB), OpenSBI's 192 KiB rounded up to one
  PMP NAPOT region.  A few real instructions live there (`STUB`): the entry, which
  points mtvec into the region and `ecall`s; the parking loop of a stopped or
  suspended hart (`wfi; ecall`); and the trap vector.  The hart's trap entry hands any
  trap whose vector is the firmware's to `Firmware.trap` (`Hart.m_handler`), which does
  the handler's work and returns with the hart's own `mret`, so every execution tier
  (interpreter, Python blocks, native code) runs the firmware the same way.
- Boot (OpenSBI `sbi_init`, `fw_dynamic`): the next stage's address and mode come from
  QEMU's `struct fw_dynamic_info` (a2); PMP denies S/U the firmware region and allows
  everything else; medeleg/mideleg, mcounteren/scounteren/mcountinhibit and menvcfg as
  OpenSBI's `delegate_traps` and `mstatus_init` write them; the device tree at a1 gets
  OpenSBI's fix-ups (a /reserved-memory `mmode_resv0` node with no-map, the PLIC's
  M-mode contexts disabled); then S-mode at the kernel with a0 = hart id, a1 = the DTB.
- Timer: the hart has Sstc, so the SBI timer is its stimecmp, as OpenSBI's
  `sbi_timer_event_start` sets it on QEMU 7.2 (menvcfg.STCE on at boot); STIP comes from
  the comparator, with no M-mode interrupt between.
- Traps: the M timer interrupt only masks MTIE (OpenSBI `sbi_timer_process`); the M
  software interrupt carries IPIs, remote fences and HSM starts between harts; other
  exceptions from S/U are redirected to S-mode as OpenSBI's `sbi_trap_redirect` does.
- Per-hart state (HSM status, pending IPI events) is keyed by hart id, so the same code
  serves N harts; CLINT registers are addressed by hart id.

Every guest value is checked: an SBI call returns an SBI error for bad input and never
raises anything but the machine's own exit and reset requests.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rvirt.cpu import csr as C
from rvirt.cpu.mmu import LOAD
from rvirt.cpu.trap import ECALL_M, ECALL_S, IRQ_MSI, IRQ_MTI, Trap
from rvirt.errors import MachineExit, MachineReset
from rvirt.fdt import Node, build_dtb, parse_dtb
from rvirt.isa.xlen import MASK
from rvirt.mem.bus import BusError

if TYPE_CHECKING:
    from rvirt.cpu.hart import Hart
    from rvirt.mem.bus import Bus

FIRMWARE_NAME = "rvirt SBI firmware"
FIRMWARE_VERSION = (0, 1)
SPEC_VERSION = 2 << 24 | 0  # SBI v2.0: major in bits 30:24, minor in 23:0
# sbi_get_impl_id: the SBI spec's registry has 0-11 (0 BBL, 1 OpenSBI, ... 11 bhyve);
# rvirt's firmware is not registered and answers "RVIR" in ASCII, far from that range.
IMPL_ID = 0x52564952
IMPL_VERSION = FIRMWARE_VERSION[0] << 16 | FIRMWARE_VERSION[1]
BANNER = (f"{FIRMWARE_NAME} v{FIRMWARE_VERSION[0]}.{FIRMWARE_VERSION[1]}, "
          f"SBI v{SPEC_VERSION >> 24}.{SPEC_VERSION & 0xFFFFFF}")

REGION_SIZE = 0x40000  # 256 KiB: a NAPOT region holding OpenSBI v1.3's 192 KiB on rv32
ENTRY = 0x0C  # the entry's ecall (cold boot)
PARK = 0x10  # wfi of the parking loop
PARK_ECALL = 0x14
VECTOR = 0x20  # mtvec: traps arriving here are the firmware's
# The region's code (assembled with the GNU assembler, rv32 without compression):
STUB = struct.pack(
    "<9I",
    0x00000297,  # 0x00: auipc t0, 0
    0x02028293,  # 0x04: addi  t0, t0, 0x20
    0x30529073,  # 0x08: csrw  mtvec, t0
    0x00000073,  # 0x0c: ecall              -> cold (or warm) boot
    0x10500073,  # 0x10: wfi                <- a stopped or suspended hart waits here
    0x00000073,  # 0x14: ecall              -> start it, resume it, or back to wfi
    0xFF9FF06F,  # 0x18: j     0x10
    0x00000013,  # 0x1c: nop
    0x0000006F,  # 0x20: j     .            (mtvec: the hart hands its traps over)
)

# SBI error codes (SBI v2.0 section 3.2)
SUCCESS = 0
ERR_FAILED = -1
ERR_NOT_SUPPORTED = -2
ERR_INVALID_PARAM = -3
ERR_DENIED = -4
ERR_INVALID_ADDRESS = -5
ERR_ALREADY_AVAILABLE = -6
ERR_ALREADY_STARTED = -7
ERR_ALREADY_STOPPED = -8

# Extension ids (SBI v2.0 chapters 4-12)
EXT_BASE = 0x10
EXT_TIME = 0x54494D45
EXT_IPI = 0x735049
EXT_RFENCE = 0x52464E43
EXT_HSM = 0x48534D
EXT_SRST = 0x53525354
EXT_DBCN = 0x4442434E
LEGACY = range(0x00, 0x09)  # v0.1: set_timer .. shutdown
EXT_NAMES = {EXT_BASE: "BASE", EXT_TIME: "TIME", EXT_IPI: "IPI", EXT_RFENCE: "RFENCE",
             EXT_HSM: "HSM", EXT_SRST: "SRST", EXT_DBCN: "DBCN",
             **{i: "legacy" for i in LEGACY}}

# HSM states (SBI v2.0 section 9)
STARTED, STOPPED, START_PENDING, STOP_PENDING = 0, 1, 2, 3
SUSPENDED, SUSPEND_PENDING, RESUME_PENDING = 4, 5, 6
SUSPEND_RET_DEFAULT = 0x00000000
SUSPEND_NON_RET_DEFAULT = 0x80000000

# What OpenSBI v1.3 writes (lib/sbi/sbi_hart.c delegate_traps, mstatus_init).
MIDELEG = C.SSIP | C.STIP | C.SEIP
MEDELEG = (1 << 0) | (1 << 3) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
SCOUNTEREN = 7  # CY, TM, IR for U-mode
MCOUNTEREN = MASK
MCOUNTINHIBIT = 0xFFFFFFF8
MENVCFG = 0xF0  # CBZE | CBCFE | CBIE: WARL, so what the hart lacks reads back 0
MENVCFGH = C.MENVCFGH_STCE  # the hart has Sstc: S-mode's stimecmp on (mstatus_init)

MIP_MSIP = 1 << IRQ_MSI
MIP_MTIP = 1 << IRQ_MTI
CLINT_MTIMECMP = 0x4000
UART_THR, UART_LSR = 0, 5
LSR_DR, LSR_THRE = 0x01, 0x20
TEST_PASS, TEST_FAIL, TEST_RESET = 0x5555, 0x3333, 0x7777
NO_RETURN = 1 << 64  # (not an SBI error) the call does not return to its caller
DBCN_MAX = 4096  # bytes one console call moves at most (the spec allows partial writes)
FDT_GROWTH = 4096  # room the fix-ups may add to the device tree (OpenSBI allows 1 KiB)
FW_DYNAMIC_INFO_MAGIC = 0x4942534F  # "OSBI"


@dataclass
class SbiCall:
    """One SBI call as the firmware answered it (for the -d int log and the hints)."""

    hart: int
    ext: int
    fid: int
    args: tuple[int, ...]
    error: int
    value: int | None  # None for a legacy call (it returns a0 only) or no return
    returned: bool = True  # False: the hart stopped or suspended, or the machine ended

    @property
    def name(self) -> str:
        return EXT_NAMES.get(self.ext, "unknown")


@dataclass
class HartState:
    """The firmware's view of one hart (OpenSBI's per-hart scratch and HSM data)."""

    hsm: int = STOPPED
    start_addr: int = 0
    opaque: int = 0
    suspend_type: int = 0
    resume_pc: int = 0  # retentive suspend: where the call returns
    saved_mie: int = 0
    # IPI events other harts (or itself) queued for it, carried by its MSIP
    ssip: bool = False
    sfence: bool = False


@dataclass
class Firmware:
    """The firmware of one board; `attach` each hart, `reset` at each system reset."""

    bus: Bus
    ram_base: int
    ram_size: int
    clint_base: int
    uart_base: int
    test_base: int
    harts: dict[int, Hart] = field(default_factory=dict)
    states: dict[int, HartState] = field(default_factory=dict)
    booted: bool = False  # the cold boot happened (OpenSBI's coldboot lottery)
    call_hooks: list[Callable[[Hart, SbiCall], None]] = field(default_factory=list)

    @property
    def base(self) -> int:
        return self.ram_base

    @property
    def vector(self) -> int:
        return self.ram_base + VECTOR

    def image(self) -> bytes:
        return STUB

    def attach(self, h: Hart) -> None:
        hartid = h.csr_peek(0xF14) or 0
        self.harts[hartid] = h
        self.states[hartid] = HartState()
        h.m_vector = self.vector
        h.m_handler = self.trap

    def reset(self) -> None:
        self.booted = False
        for hartid in self.states:
            self.states[hartid] = HartState()

    # --- state, for snapshots and reverse execution ------------------------------------
    def state(self) -> dict[str, object]:
        return {"booted": self.booted,
                "harts": {i: dict(vars(s)) for i, s in self.states.items()}}

    def set_state(self, state: dict[str, Any]) -> None:
        self.booted = state["booted"]
        self.states = {int(i): HartState(**s) for i, s in state["harts"].items()}

    # --- the trap handler ----------------------------------------------------------------
    def trap(self, h: Hart) -> None:
        """The hart took a trap into the firmware's vector (it is in M-mode with mcause,
        mepc, mtval and mstatus.MPP/MPIE set): handle it and return as mret does."""
        c = h.csr
        cause = c["mcause"]
        epc = c["mepc"]
        prev = (c["mstatus"] >> 11) & 3
        hartid = self._hartid(h)
        if cause >> 31:
            self._interrupt(h, hartid, cause & 0x7FFFFFFF)
            self._return(h, epc)
        elif cause == ECALL_S and prev == C.PRV_S:
            self._ecall(h, hartid, epc)
        elif cause == ECALL_M and prev == C.PRV_M and epc == self.base + ENTRY:
            self._boot(h, hartid)
        elif cause == ECALL_M and prev == C.PRV_M and epc == self.base + PARK_ECALL:
            self._parked(h, hartid)
        elif prev != C.PRV_M:
            self._redirect(h, cause, epc, c["mtval"], prev)
        else:
            # M-mode code of the firmware's own faulted (someone rewrote it): stop
            # this hart as OpenSBI's sbi_trap_error hangs it.
            self._print(f"{FIRMWARE_NAME}: unexpected trap (mcause {cause:#x}, mepc "
                        f"{epc:#010x}) in M-mode; hart {hartid} stopped\n")
            self._park(h, hartid, STOPPED)

    def _hartid(self, h: Hart) -> int:
        return h.csr_peek(0xF14) or 0

    def _return(self, h: Hart, pc: int) -> None:
        """mret to `pc` in mstatus.MPP's mode (the hart's own mret: its mode switch,
        hooks and batch end); PMP is set again if someone cleared it, since the hart
        refuses an mret to S/U without an active entry (QEMU 7.2)."""
        if (h.csr["mstatus"] >> 11) & 3 != C.PRV_M and not h.pmp_active():
            self._pmp(h)
        h.csr["mepc"] = pc & MASK
        h.pc = h.mret()

    def _enter_s(self, h: Hart, pc: int, a0: int, a1: int) -> None:
        """Leave M-mode for S-mode at pc with a0/a1 (OpenSBI sbi_hart_switch_mode): MPP =
        S, MPIE = 0, so S starts with SIE off; satp 0, stvec at pc, sie 0."""
        st = h.csr["mstatus"]
        st = (st & ~(C.MSTATUS_MPP | C.MSTATUS_MPIE | C.MSTATUS_SIE | C.MSTATUS_SPIE
                     | C.MSTATUS_SPP)) | C.PRV_S << 11
        h.write_mstatus(st)
        h.csr_poke(0x105, pc)  # stvec
        h.csr_poke(0x140, 0)  # sscratch
        h.csr_poke(0x180, 0)  # satp
        h.csr["mie"] &= ~(C.SSIP | C.STIP | C.SEIP)  # sie = 0
        h.x[10], h.x[11] = a0 & MASK, a1 & MASK
        self._return(h, pc)

    def _redirect(self, h: Hart, cause: int, epc: int, tval: int, prev: int) -> None:
        """An exception from S/U that is not delegated: S-mode's trap handler gets it
        as if it had been (OpenSBI sbi_trap_redirect; privileged spec 3.1.6.1)."""
        c = h.csr
        c["scause"] = cause
        c["sepc"] = epc & ~1
        c["stval"] = tval & MASK
        st = c["mstatus"]
        spie = C.MSTATUS_SPIE if st & C.MSTATUS_SIE else 0
        spp = C.MSTATUS_SPP if prev == C.PRV_S else 0
        st = (st & ~(C.MSTATUS_SPIE | C.MSTATUS_SIE | C.MSTATUS_SPP | C.MSTATUS_MPP)) \
            | spie | spp | C.PRV_S << 11
        c["mstatus"] = st
        self._return(h, c["stvec"] & ~3)

    def _interrupt(self, h: Hart, hartid: int, cause: int) -> None:
        if cause == IRQ_MTI:
            # MTIE off until the next set_timer (OpenSBI sbi_timer_process).  With Sstc
            # (this hart's) the SBI timer is stimecmp, which raises STIP itself: the M
            # timer is not the firmware's, and STIP is left alone.
            h.csr["mie"] &= ~MIP_MTIP
        elif cause == IRQ_MSI:
            self._clint_store(hartid * 4, 4, 0)
            self._ipi_events(h, hartid)
        else:
            # Nothing else is enabled at M level by the firmware; if the guest could
            # enable it, mask it rather than loop on it.
            h.csr["mie"] &= ~(1 << cause)

    def _ipi_events(self, h: Hart, hartid: int) -> None:
        s = self.states[hartid]
        if s.ssip:
            s.ssip = False
            h.write_mip(h.csr["mip"] | C.SSIP, C.SSIP)
        if s.sfence:
            s.sfence = False
            h.mmu.flush()

    # --- boot, parking, HSM ------------------------------------------------------------------
    def _boot(self, h: Hart, hartid: int) -> None:
        """The entry's ecall: cold boot on the first hart (the others wait, stopped,
        for an HSM start, as OpenSBI's secondary harts do)."""
        if self.booted:
            self._init_hart(h)
            self._park(h, hartid, STOPPED)
            return
        self.booted = True
        next_addr, next_mode = self._fw_dynamic_info(h.x[12])
        fdt = h.x[11]
        self._print(BANNER + "\n")
        self._fixup_fdt(fdt)
        self._init_hart(h)
        if next_addr == 0 or next_mode != 1:
            self._print(f"{FIRMWARE_NAME}: no S-mode kernel to start (give -kernel "
                        f"FILE); hart {hartid} stopped\n")
            self._park(h, hartid, STOPPED)
            return
        self.states[hartid].hsm = STARTED
        self._enter_s(h, next_addr, hartid, fdt)

    def _fw_dynamic_info(self, addr: int) -> tuple[int, int]:
        """(next_addr, next_mode) of QEMU's fw_dynamic_info at addr; (0, 0) if absent."""
        try:
            words = [self.bus.load(addr + 4 * i, 4) for i in range(4)]
        except BusError:
            return 0, 0
        magic, version, next_addr, next_mode = words
        if magic != FW_DYNAMIC_INFO_MAGIC or version < 1:
            return 0, 0
        return next_addr, next_mode

    def _pmp(self, h: Hart) -> None:
        """PMP entry 0 denies S/U the firmware region, entry 1 allows the rest (OpenSBI's
        root domain); both NAPOT, no L bit, so M-mode is not checked."""
        h.csr_poke(0x3B0, (self.base >> 2) | (REGION_SIZE >> 3) - 1)
        h.csr_poke(0x3B1, MASK)  # NAPOT of all ones: the whole physical space
        h.csr_poke(0x3A0, 0x18 | 0x1F << 8)  # A=NAPOT, no RWX; A=NAPOT, RWX

    def _init_hart(self, h: Hart) -> None:
        """OpenSBI's per-hart init: mstatus, counters, menvcfg, delegation, PMP, and
        the M software interrupt enabled for IPIs."""
        h.write_mstatus(0)
        for num, value in ((0x106, SCOUNTEREN), (0x306, MCOUNTEREN),
                           (0x320, MCOUNTINHIBIT), (0x30A, MENVCFG), (0x31A, MENVCFGH),
                           (0x303, MIDELEG), (0x302, MEDELEG), (0x304, MIP_MSIP)):
            h.csr_poke(num, value)
        h.write_mip(0, C.STIP | C.SSIP)
        # OpenSBI's ACLINT timer warm init sets this hart's mtimecmp to all ones: MTIP,
        # up since reset (mtimecmp = 0 = mtime), goes down, and the M timer stays quiet
        # (with Sstc the SBI timer is stimecmp).
        off = CLINT_MTIMECMP + 8 * h.hartid
        self._clint_store(off + 4, 4, 0xFFFFFFFF)
        self._clint_store(off, 4, 0xFFFFFFFF)
        self._pmp(h)

    def _park(self, h: Hart, hartid: int, hsm: int) -> None:
        """Send the hart to the parking loop in M-mode with M interrupts off; its wfi
        ends on what mie enables (only MSIP for a stopped hart)."""
        s = self.states[hartid]
        s.hsm = hsm
        if hsm == STOPPED:
            h.csr["mie"] = MIP_MSIP
        st = h.csr["mstatus"]
        h.csr["mstatus"] = (st & ~C.MSTATUS_MPIE) | C.MSTATUS_MPP
        self._return(h, self.base + PARK)

    def _parked(self, h: Hart, hartid: int) -> None:
        """The parking loop's ecall: its wfi ended.  Start, resume, or wait again."""
        s = self.states[hartid]
        c = h.csr
        if h.read_mip() & MIP_MSIP:
            self._clint_store(hartid * 4, 4, 0)
            self._ipi_events(h, hartid)
        if s.hsm == START_PENDING:
            self._init_hart(h)
            s.hsm = STARTED
            self._enter_s(h, s.start_addr, hartid, s.opaque)
            return
        if s.hsm == SUSPENDED and h.read_mip() & c["mie"]:
            if h.read_mip() & c["mie"] & MIP_MTIP:
                self._interrupt(h, hartid, IRQ_MTI)
            s.hsm = STARTED
            if s.suspend_type == SUSPEND_NON_RET_DEFAULT:
                self._init_hart(h)
                c["mie"] = s.saved_mie | MIP_MSIP
                self._enter_s(h, s.start_addr, hartid, s.opaque)
                return
            st = c["mstatus"]
            c["mstatus"] = (st & ~(C.MSTATUS_MPP | C.MSTATUS_MPIE)) | C.PRV_S << 11
            h.x[10] = SUCCESS
            self._return(h, s.resume_pc)
            return
        # Nothing for it yet: back to its wfi (still M-mode, MIE off)
        c["mstatus"] = (c["mstatus"] & ~C.MSTATUS_MPIE) | C.MSTATUS_MPP
        self._return(h, self.base + PARK)

    # --- SBI calls -----------------------------------------------------------------------
    def _ecall(self, h: Hart, hartid: int, epc: int) -> None:
        x = h.x
        ext, fid = x[17], x[16]
        args = tuple(x[10:16])
        legacy = ext in LEGACY
        try:
            if legacy:
                error, value = self._legacy(h, hartid, ext, args)
            else:
                handler = self.EXTENSIONS.get(ext)
                error, value = ((ERR_NOT_SUPPORTED, 0) if handler is None
                                else handler(self, h, hartid, fid, args))
        except (MachineExit, MachineReset):  # SRST and legacy shutdown: the machine ends
            self._told(h, SbiCall(hartid, ext, fid, args, SUCCESS, None, returned=False))
            raise
        returned = error != NO_RETURN
        self._told(h, SbiCall(hartid, ext, fid, args, error if returned else SUCCESS,
                              None if legacy or not returned else value, returned))
        if not returned:
            return  # the hart went elsewhere (stopped, suspended)
        x[10] = error & MASK
        if not legacy:
            x[11] = value & MASK
        self._return(h, epc + 4)

    def _told(self, h: Hart, call: SbiCall) -> None:
        for hook in self.call_hooks:
            hook(h, call)

    def _base(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid == 0:
            return SUCCESS, SPEC_VERSION
        if fid == 1:
            return SUCCESS, IMPL_ID
        if fid == 2:
            return SUCCESS, IMPL_VERSION
        if fid == 3:
            return SUCCESS, int(a[0] in self.EXTENSIONS or a[0] in LEGACY)
        if fid in (4, 5, 6):  # mvendorid, marchid, mimpid as the hart has them
            return SUCCESS, h.csr_peek(0xF11 + fid - 4) or 0
        return ERR_NOT_SUPPORTED, 0

    def _time(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid != 0:
            return ERR_NOT_SUPPORTED, 0
        self._set_timer(h, a[0] | a[1] << 32)  # rv32: stime_value in a0/a1
        return SUCCESS, 0

    def _set_timer(self, h: Hart, when: int) -> None:
        """OpenSBI sbi_timer_event_start on a hart with Sstc: stimecmp, low half then
        high half as OpenSBI writes them on rv32 (the comparator clears STIP, or raises
        it for a time already past), then MTIE set."""
        h.write_stimecmp(when & 0xFFFFFFFF, False)
        h.write_stimecmp(when >> 32 & 0xFFFFFFFF, True)
        h.csr["mie"] |= MIP_MTIP
        h.end_batch()  # STIP may be up already: the loop looks at interrupts

    def _targets(self, mask: int, base: int) -> list[int] | None:
        """Hart ids a (hart_mask, hart_mask_base) pair names; None if one is invalid.
        base = -1 names every hart (SBI v2.0 section 3.1)."""
        if base == MASK:
            return sorted(self.states)
        out = []
        for bit in range(mask.bit_length()):
            if mask >> bit & 1:
                hartid = base + bit
                if hartid not in self.states:
                    return None
                out.append(hartid)
        return out

    def _send(self, targets: list[int], event: str) -> None:
        for hartid in targets:
            s = self.states[hartid]
            if s.hsm not in (STARTED, SUSPENDED):  # OpenSBI skips harts not running
                continue
            setattr(s, event, True)
            self._clint_store(4 * hartid, 4, 1)

    def _ipi(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid != 0:
            return ERR_NOT_SUPPORTED, 0
        targets = self._targets(a[0], a[1])
        if targets is None:
            return ERR_INVALID_PARAM, 0
        self._send(targets, "ssip")
        return SUCCESS, 0

    def _rfence(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid > 2:  # the hfence calls need the H extension
            return ERR_NOT_SUPPORTED, 0
        targets = self._targets(a[0], a[1])
        if targets is None:
            return ERR_INVALID_PARAM, 0
        if fid == 0:
            # fence.i on each target hart: its translations of code that another hart
            # rewrote go (a hart's own stores and DMA drop them at once)
            for t in targets:
                if t in self.harts:
                    self.harts[t].fence_i()
            return SUCCESS, 0
        # sfence.vma (with or without ASID): this hart at once, the others by IPI
        if hartid in targets and self.states[hartid].hsm == STARTED:
            h.mmu.flush()
            targets = [t for t in targets if t != hartid]
        self._send(targets, "sfence")
        return SUCCESS, 0

    def _hsm(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid == 0:  # hart_start(hartid, start_addr, opaque)
            target = a[0]
            s = self.states.get(target)
            if s is None:
                return ERR_INVALID_PARAM, 0
            if self._in_firmware(a[1], 1):  # S-mode may not execute there
                return ERR_INVALID_ADDRESS, 0
            if s.hsm == STARTED:
                return ERR_ALREADY_AVAILABLE, 0
            if s.hsm != STOPPED:
                return ERR_INVALID_PARAM, 0
            s.hsm, s.start_addr, s.opaque = START_PENDING, a[1], a[2]
            self._clint_store(4 * target, 4, 1)
            return SUCCESS, 0
        if fid == 1:  # hart_stop()
            self._park(h, hartid, STOPPED)
            return NO_RETURN, 0
        if fid == 2:  # hart_get_status(hartid)
            s = self.states.get(a[0])
            return (ERR_INVALID_PARAM, 0) if s is None else (SUCCESS, s.hsm)
        if fid == 3:  # hart_suspend(suspend_type, resume_addr, opaque)
            kind = a[0]
            if kind not in (SUSPEND_RET_DEFAULT, SUSPEND_NON_RET_DEFAULT):
                # reserved types are invalid; platform-specific ones (0x10000000-
                # 0x7FFFFFFF, 0x90000000-) this platform does not have
                platform = 0x10000000 <= kind <= 0x7FFFFFFF or kind >= 0x90000000
                return (ERR_NOT_SUPPORTED if platform else ERR_INVALID_PARAM), 0
            s = self.states[hartid]
            if kind == SUSPEND_NON_RET_DEFAULT:
                if self._in_firmware(a[1], 1):
                    return ERR_INVALID_ADDRESS, 0
                s.start_addr, s.opaque = a[1], a[2]
                s.saved_mie = h.csr["mie"]
            s.suspend_type = kind
            s.resume_pc = (h.csr["mepc"] + 4) & MASK
            self._park(h, hartid, SUSPENDED)
            return NO_RETURN, 0
        return ERR_NOT_SUPPORTED, 0

    def _srst(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid != 0:
            return ERR_NOT_SUPPORTED, 0
        kind, reason = a[0], a[1]
        if kind > 2 or reason > 1:  # shutdown, cold or warm reboot; no reason or failure
            return ERR_INVALID_PARAM, 0
        # OpenSBI's sifive_test driver: the test device ends the machine.
        if kind == 0:
            self._test(TEST_PASS if reason == 0 else TEST_FAIL)
        else:
            self._test(TEST_RESET)
        return ERR_FAILED, 0  # (the device raised the machine's exit or reset)

    def _dbcn(self, h: Hart, hartid: int, fid: int, a: tuple[int, ...]) -> tuple[int, int]:
        if fid in (0, 1):  # console_write / console_read(num_bytes, base_lo, base_hi)
            n, lo, hi = a[0], a[1], a[2]
            n = min(n, DBCN_MAX)
            if hi or not self._in_ram(lo, n) or self._in_firmware(lo, n):
                return ERR_INVALID_PARAM, 0
            o = lo - self.ram_base
            if fid == 0:
                data = bytes(h.ram[o:o + n])
                for b in data:
                    self._putc(b)
                return SUCCESS, len(data)
            got = 0
            store = h.fast["sb"]  # physical, and translated code follows it (a
            # debugger's watchpoint wrappers are not for the firmware's own stores)
            while got < n:
                ch = self._getc()
                if ch < 0:
                    break
                store(lo + got, ch)
                got += 1
            return SUCCESS, got
        if fid == 2:  # console_write_byte
            self._putc(a[0] & 0xFF)
            return SUCCESS, 0
        return ERR_NOT_SUPPORTED, 0

    def _legacy(self, h: Hart, hartid: int, ext: int, a: tuple[int, ...]) -> tuple[int, int]:
        """SBI v0.1 (SBI v2.0 chapter 5): a0 is the only result."""
        if ext == 0x00:
            self._set_timer(h, a[0] | a[1] << 32)
            return SUCCESS, 0
        if ext == 0x01:
            self._putc(a[0] & 0xFF)
            return SUCCESS, 0
        if ext == 0x02:
            return self._getc(), 0
        if ext == 0x03:  # clear_ipi
            h.write_mip(0, C.SSIP)
            return SUCCESS, 0
        if ext == 0x08:
            self._test(TEST_PASS)
            return ERR_FAILED, 0
        # send_ipi / remote fences take a pointer to a hart mask in S-mode's memory
        mask = self._legacy_mask(h, a[0])
        if mask is None:
            return ERR_INVALID_ADDRESS, 0
        targets = self._targets(mask, 0)
        if targets is None:
            return ERR_INVALID_PARAM, 0
        if ext == 0x04:
            self._send(targets, "ssip")
        elif ext in (0x06, 0x07):
            self._rfence(h, hartid, 1, (mask, 0))
        return SUCCESS, 0

    def _legacy_mask(self, h: Hart, ptr: int) -> int | None:
        """The hart mask at S-mode's virtual address ptr (0: every hart)."""
        if ptr == 0:
            return (1 << (max(self.states) + 1)) - 1
        pa = ptr
        if h.csr["satp"] >> 31:
            try:
                pa = h.mmu.walk(ptr, LOAD, C.PRV_S, debug=True) | (ptr & 0xFFF)
            except Trap:
                return None
        if not self._in_ram(pa, 4) or self._in_firmware(pa, 4):
            return None
        o = pa - self.ram_base
        return int.from_bytes(h.ram[o:o + 4], "little")

    EXTENSIONS: ClassVar[dict[int, Callable[[Firmware, Hart, int, int, tuple[int, ...]],
                                           tuple[int, int]]]] = {
        EXT_BASE: _base, EXT_TIME: _time, EXT_IPI: _ipi, EXT_RFENCE: _rfence,
        EXT_HSM: _hsm, EXT_SRST: _srst, EXT_DBCN: _dbcn,
    }

    # --- devices, as OpenSBI's drivers use them --------------------------------------------
    def _clint_store(self, offset: int, size: int, value: int) -> None:
        try:
            self.bus.store(self.clint_base + offset, size, value)
        except BusError:
            pass  # (a hart id beyond the CLINT's window: nothing to signal)

    def _test(self, value: int) -> None:
        self.bus.store(self.test_base, 4, value)  # raises the machine's exit or reset

    def _putc(self, ch: int) -> None:
        """OpenSBI's sbi_putc: a newline goes out as CR LF, each byte by uart8250_putc
        (THR once LSR says it is empty; rvirt's UART always is).  The legacy putchar,
        DBCN's writes and the firmware's own lines all come here, as in OpenSBI."""
        if ch == 0x0A:
            self.bus.store(self.uart_base + UART_THR, 1, 0x0D)
        self.bus.store(self.uart_base + UART_THR, 1, ch)

    def _getc(self) -> int:
        """uart8250_getc: RBR when LSR says data is ready, else -1."""
        if self.bus.load(self.uart_base + UART_LSR, 1) & LSR_DR:
            return self.bus.load(self.uart_base + UART_THR, 1)
        return -1

    def _print(self, text: str) -> None:
        for ch in text.encode():
            self._putc(ch)

    # --- guest addresses -------------------------------------------------------------------
    def _in_ram(self, addr: int, n: int) -> bool:
        return self.ram_base <= addr and addr + n <= self.ram_base + self.ram_size

    def _in_firmware(self, addr: int, n: int) -> bool:
        return addr < self.base + REGION_SIZE and self.base < addr + max(n, 1)

    # --- the device tree (OpenSBI fdt_fixups) --------------------------------------------
    def _fixup_fdt(self, addr: int) -> None:
        """Add the firmware's reserved memory and disable the PLIC's M-mode contexts in
        the DTB at addr, in place, as OpenSBI does before starting the kernel.  A blob
        that is not a device tree, or does not fit, is left alone."""
        if not self._in_ram(addr, 40):
            return
        o = addr - self.ram_base
        ram = self.harts[min(self.harts)].ram
        try:
            total = struct.unpack_from(">I", ram, o + 4)[0]
            if not self._in_ram(addr, total):
                return
            root, reserved = parse_dtb(bytes(ram[o:o + total]))
            patched = build_dtb(self._fixed_tree(root), reserved=reserved)
        except (ValueError, KeyError, IndexError, UnicodeDecodeError, struct.error):
            self._print(f"{FIRMWARE_NAME}: the device tree at {addr:#010x} is not "
                        f"valid; passed on unchanged\n")
            return
        if len(patched) > total + FDT_GROWTH or not self._in_ram(addr, len(patched)):
            return
        ram[o:o + len(patched)] = patched

    def _fixed_tree(self, root: Node) -> Node:
        na = int.from_bytes(root.props.get("#address-cells", b"\0\0\0\2"), "big")
        ns = int.from_bytes(root.props.get("#size-cells", b"\0\0\0\1"), "big")
        for _, node in root.walk():
            compat = node.props.get("compatible", b"").split(b"\0")
            if b"sifive,plic-1.0.0" in compat or b"riscv,plic0" in compat:
                cells = node.props.get("interrupts-extended")
                if cells:
                    words = list(struct.unpack(f">{len(cells) // 4}I", cells))
                    for i in range(1, len(words), 2):
                        if words[i] == 11:  # IRQ_M_EXT: no M-mode context for S-mode
                            words[i] = 0xFFFFFFFF
                    node.props["interrupts-extended"] = struct.pack(f">{len(words)}I", *words)
        try:
            parent = root.child("reserved-memory")
        except KeyError:
            parent = Node("reserved-memory", [("ranges", True), ("#size-cells", ns),
                                              ("#address-cells", na)])
            root.children.insert(0, parent)  # libfdt adds a subnode first
        node = Node(f"mmode_resv{len(parent.children)}@{self.base:x}")
        node.set("no-map", True)
        cells = ([self.base >> 32] if na > 1 else []) + [self.base & 0xFFFFFFFF]
        cells += ([0] if ns > 1 else []) + [REGION_SIZE]
        node.props["reg"] = struct.pack(f">{len(cells)}I", *cells)
        parent.children.insert(0, node)
        return root

