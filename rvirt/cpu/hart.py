"""One RISC-V hart: x registers, pc, privilege, CSR state, memory access and trap entry.

Register values are unsigned Python ints.  `x` has 33 slots: slot 32 is a sink that
executors use as the destination of writes to x0, so x0 always reads zero without a
branch.  Memory accessors (`lw`, `sw`, ...) are plain functions installed on the instance
with the RAM fast path folded in (STYLE practice 8); the MMU's checking set is swapped
in while Sv32 or PMP applies (`update_mode`), and wrappers while watchpoints or data
triggers are armed.
"""

from __future__ import annotations

import mmap
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rvirt.cpu import csr as C
from rvirt.cpu.mmu import FETCH, SATP_SV32, Mmu, make_accessors
from rvirt.cpu.pmp import PMP_R, PMP_W, PMP_X, Pmp
from rvirt.cpu.trap import (
    BREAKPOINT,
    ILLEGAL,
    INSN_ACCESS,
    LOAD_ACCESS,
    LOAD_MISALIGNED,
    STORE_ACCESS,
    STORE_MISALIGNED,
    Trap,
    illegal,
)
from rvirt.cpu.triggers import Triggers
from rvirt.isa.table import LOAD_WIDTHS, STORE_WIDTHS
from rvirt.isa.xlen import MASK, XLEN
from rvirt.mem.bus import Bus, BusError

MASK32 = MASK  # registers, addresses and CSR values: XLEN bits
RESET_VECTOR = 0x1000  # QEMU env->resetvec for the virt board

# Interrupts in the order the privileged spec (3.1.9) takes them when several are
# pending and enabled: MEI, MSI, MTI, SEI, SSI, STI, then LCOFI.  QEMU 7.2 takes the
# lowest cause number first (docs/differences.md).
IRQ_PRIORITY = (11, 3, 7, 9, 1, 5, 13)

# Writes to these can make an interrupt takeable: end the batch so the loop looks.
IRQ_CSRS = frozenset({0x300, 0x100, 0x304, 0x104, 0x344, 0x144, 0x303})
# Writes to these can change how instructions are fetched (translation, PMP, triggers): end the
# batch so the loop picks up the new fetch path.
FETCH_CSRS = frozenset({0x180, *range(0x3A0, 0x3A4), *range(0x3B0, 0x3C0),
                        *range(0x7A0, 0x7A4)})  # and the debug triggers
# stimecmp/stimecmph: STIP may rise, and the batch must end by the new deadline
BATCH_END_CSRS = IRQ_CSRS | FETCH_CSRS | {0x14D, 0x15D}


class WatchHit(Exception):  # noqa: N818 - a debugger stop, not an error
    """A watched address is about to be accessed; raised before the access commits."""

    def __init__(self, kind: str, addr: int) -> None:
        super().__init__(kind, addr)
        self.kind = kind
        self.addr = addr


class Hart:
    xlen = 32

    def __init__(self, bus: Bus, ram_base: int, ram: bytearray | mmap.mmap,
                 hartid: int = 0, pages_of: Hart | None = None) -> None:
        assert sys.byteorder == "little", "the RAM fast path uses host-endian views"
        self.bus = bus
        self.ram_base = ram_base
        self.ram = ram
        self.hartid = hartid  # mhartid
        self.x: list[int] = [0] * 33
        self.pc = RESET_VECTOR
        self.priv = C.PRV_M
        self.csr: dict[str, int] = {}
        self.mip_hw = 0  # interrupt wires from CLINT/PLIC (MSIP, MTIP, MEIP, SEIP)
        self.reservation: int | None = None
        self.waiting = False  # stopped in wfi
        self.clock: Callable[[], int] = lambda: 0  # mtime, provided by the machine
        # Retired-instruction accounting.  The interpreter runs batches over a range
        # iterator; the count inside a batch is read back from the iterator so that
        # counting costs nothing per instruction.
        self.instret = 0
        # Steps of execution that retire nothing: traps taken (an instruction that traps
        # does not retire, and an interrupt is taken between two), and guest resets.
        # instret + traps names one point of a run exactly (reverse execution counts so).
        self.traps = 0
        self._offsets = {"cycle": 0, "instret": 0}
        self._batch_it: Iterator[int] | None = None
        self._batch_n = 0
        self._batch_end: int | None = None
        # Set by end_batch: the block translator, which keeps `instret` exact itself and
        # runs no batch iterator, stops after the current instruction when it sees this.
        self.ending = False
        self.watchpoints: list[tuple[str, int, int]] = []
        # Set whenever loads and stores start being translated (Sv32 for data): history
        # knows from it which stretches of a run used physical addresses only.
        self.paged = False
        # One flag per 4 KiB page of RAM that holds translated code: a store there calls
        # on_code_write(physical address) so the translator can drop what it made from it.
        # `pages_of`: a hart whose code and watch flags this one shares (the other harts
        # of a board: one RAM).  Shared from here on, since the accessors hold them.
        self.code_pages = (bytearray((len(ram) + 4095) >> 12) if pages_of is None
                           else pages_of.code_pages)
        self.on_code_write: Callable[[int], None] = lambda pa: None
        # One flag per 4 KiB page of RAM that a device watches (HTIF's tohost): a store
        # there calls on_watched_write(physical address, size) once it has landed.
        self.watch_pages = (bytearray(len(self.code_pages)) if pages_of is None
                            else pages_of.watch_pages)
        self.on_watched_write: Callable[[int, int], None] = lambda pa, n: None
        # fence.i (Zifencei): a block tier drops what it translated.
        self.on_fence_i: Callable[[], None] = lambda: None
        # Observers of the diagnostics (-d int, hints, the profile), called on cold paths
        # only: before a trap is taken (epc = pc, the old privilege), after an mret or
        # sret (with the new pc), and for functionality rvirt (like QEMU) leaves out.
        self.trap_hooks: list[Callable[[Hart, int, int, bool], None]] = []
        self.xret_hooks: list[Callable[[Hart, int], None]] = []
        self.unimp_hooks: list[Callable[[str], None]] = []
        # Semihosting (set by the board with -semihosting): offered every breakpoint
        # exception before it is taken; it answers True when it served the call there
        # (a0 and pc set), so no trap is taken and no observer sees one.  All tiers
        # reach it, since they all enter traps through take_trap.
        self.semihost: Callable[[Hart], bool] | None = None
        # M-mode code implemented by the machine (the built-in SBI firmware): a trap
        # whose M-mode vector is m_vector is handed to m_handler once the hart has
        # entered it, the same on every execution tier (all take traps here).
        self.m_vector = -1
        self.m_handler: Callable[[Hart], None] | None = None
        self.pmp = Pmp(self.csr)
        self.mmu = Mmu(self)
        self.triggers = Triggers(self)
        self.csrs = C.build_csrs(self)
        self.csr["mstatus"] = 0
        self.csr["mip"] = 0
        self.csr.setdefault("mtvec", 0)
        self.csr.setdefault("stvec", 0)
        self.csr.setdefault("satp", 0)
        for name in ("stimecmp", "stimecmph", "stimer_armed", "stimer_at"):  # Sstc's
            self.csr.setdefault(name, 0)
        # The interpreter reads instructions straight from RAM at pc - ram_base while
        # fetch_limit > 0; update_mode sets it to 0 when fetches must be translated or
        # PMP-checked, so every fetch takes fetch_slow.
        self.fetch_limit = len(ram) - 2
        self._mode_key: tuple[int, ...] | None = None
        self._install_accessors()
        self.pmp.on_change = self.update_mode
        self.update_mode()

    def reset(self) -> None:
        """Power-on state (QEMU riscv_cpu_reset): everything zero, pc at the ROM."""
        for k in self.csr:
            self.csr[k] = 0
        self.x[:] = [0] * 33
        self.pc = RESET_VECTOR
        self.priv = C.PRV_M
        self.reservation = None
        self.waiting = False
        self.pmp.rebuild()
        self.triggers.reset()
        self.mmu.flush()  # nothing translated before the reset survives it
        self.update_mode()

    # --- instruction counting -----------------------------------------------------------
    def retired(self) -> int:
        """Instructions retired so far, exact even in the middle of a batch."""
        it = self._batch_it
        if it is None:
            return self.instret
        if self._batch_end is not None:
            return self.instret + self._batch_end - 1
        return self.instret + self._batch_n - it.__length_hint__() - 1  # type: ignore[attr-defined]

    def begin_batch(self, it: Iterator[int], n: int) -> None:
        self._batch_it = it
        self._batch_n = n
        self._batch_end = None

    def finish_batch(self, retired: int) -> None:
        self.instret += retired
        self._batch_it = None
        self._batch_end = None

    def end_batch(self) -> None:
        """Stop the running batch after the current instruction (an interrupt may have
        become takeable, or the hart waits): the loop then looks at interrupts."""
        it = self._batch_it
        if it is not None and self._batch_end is None:
            self._batch_end = self._batch_n - it.__length_hint__()  # type: ignore[attr-defined]
            # Move the range iterator to its end in O(1); draining what is left of the
            # batch (up to a whole slice) cost about 1 ms per CSR write or mret.
            it.__setstate__(self._batch_n)  # type: ignore[attr-defined]
        self.ending = True

    def batch_count(self, completed: bool) -> int:
        """How many instructions of the batch retired: all of them, or up to the one the
        batch was ended at (which completed), or up to the one that trapped (which did
        not retire: privileged spec 3.1.11, an instruction that traps does not retire)."""
        if self._batch_end is not None:
            return self._batch_end if completed else self._batch_end - 1
        if completed:
            return self._batch_n
        return self._batch_n - self._batch_it.__length_hint__() - 1  # type: ignore[union-attr]

    def counter(self, name: str) -> int:
        if name == "time":
            return self.clock() & 0xFFFFFFFFFFFFFFFF
        return (self.retired() + self._offsets[name]) & 0xFFFFFFFFFFFFFFFF

    def set_counter(self, name: str, value: int, high: bool) -> None:
        cur = self.counter(name)
        new = ((cur & MASK32) | (value << 32)) if high else ((cur & ~MASK32) | value)
        # The CSR write is the last thing this instruction does; it retires afterwards,
        # and the next read must see the value written (priv spec 3.1.11).
        self._offsets[name] = new - (self.retired() + 1)

    # --- CSR access (Zicsr semantics live in the table; checks here) ---------------------
    def _csr(self, num: int, writing: bool) -> C.Csr:
        c = self.csrs.get(num)
        if (c is None or self.priv < (num >> 8) & 3 or (writing and num >> 10 == 3)
                or (c.predicate is not None and not c.predicate(self.priv))):
            raise illegal()
        return c

    def _csr_written(self, num: int) -> None:
        if num in BATCH_END_CSRS:
            self.end_batch()

    def csr_swap(self, num: int, value: int, do_read: bool) -> int:
        c = self._csr(num, True)
        old = c.read() if do_read else 0
        if c.write is not None:
            c.write(value)
            self._csr_written(num)
        return old

    def csr_set(self, num: int, value: int, do_write: bool) -> int:
        c = self._csr(num, do_write)
        old = c.read()
        if do_write and c.write is not None:
            c.write((old if c.rmw_base is None else c.rmw_base()) | value)
            self._csr_written(num)
        return old

    def csr_clear(self, num: int, value: int, do_write: bool) -> int:
        c = self._csr(num, do_write)
        old = c.read()
        if do_write and c.write is not None:
            c.write((old if c.rmw_base is None else c.rmw_base()) & ~value & MASK32)
            self._csr_written(num)
        return old

    def csr_peek(self, num: int) -> int | None:
        """Debugger read: no privilege check, None if rvirt has no such CSR."""
        c = self.csrs.get(num)
        return None if c is None else c.read() & MASK32

    def csr_poke(self, num: int, value: int) -> bool:
        c = self.csrs.get(num)
        if c is None:
            return False
        if c.write is not None:
            c.write(value & MASK32)
        return True

    def csr_writer(self, name: str, mask: int) -> Callable[[int], None]:
        def write(v: int) -> None:
            self.csr[name] = (self.csr[name] & ~mask) | (v & mask)
        return write

    def tvec_writer(self, name: str) -> Callable[[int], None]:
        def write(v: int) -> None:
            # Modes 0 (direct) and 1 (vectored) only; QEMU 7.2 ignores a write asking
            # for mode 2 or 3 entirely [obs] (virt-rv32.md 5.2).
            if v & 3 < 2:
                self.csr[name] = v
            else:
                for hook in self.unimp_hooks:  # QEMU's LOG_UNIMP line
                    hook(f"CSR_{name.upper()}: reserved mode not supported")
        return write

    def read_mstatus(self) -> int:
        s = self.csr["mstatus"]
        dirty = (s & C.MSTATUS_FS == C.MSTATUS_FS or s & C.MSTATUS_XS == C.MSTATUS_XS
                 or s & C.MSTATUS_VS == C.MSTATUS_VS)
        return s | C.MSTATUS_SD if dirty else s

    def write_mstatus(self, v: int) -> None:
        old = self.csr["mstatus"]
        new = (old & ~C.MSTATUS_WMASK) | (v & C.MSTATUS_WMASK)
        if new & C.MSTATUS_MPP == 2 << 11:  # MPP is WARL: 2 (no H-mode) keeps the old MPP
            new = (new & ~C.MSTATUS_MPP) | (old & C.MSTATUS_MPP)
        self.csr["mstatus"] = new & ~C.MSTATUS_SD
        self.update_mode()  # MPRV, MPP, SUM, MXR change what loads and stores do

    def read_mip(self) -> int:
        return self.csr["mip"] | self.mip_hw

    def write_mip(self, v: int, mask: int) -> None:
        self.csr["mip"] = (self.csr["mip"] & ~mask) | (v & mask)

    # --- Sstc (QEMU 7.2 target/riscv/time_helper.c riscv_timer_write_timecmp) ----------
    def write_stimecmp(self, v: int, high: bool) -> None:
        """A write of stimecmp (or RV32's stimecmph) sets STIP at once if time has
        reached the new 64-bit value, else clears it and arms the comparator for it;
        the board raises STIP when time gets there (sstc_fire).  As QEMU, a write
        in the past leaves an armed comparator armed.  The armed deadline lives with the
        CSRs (`stimer_armed`, `stimer_at`), so snapshots and resets take it along."""
        c = self.csr
        c["stimecmph" if high else "stimecmp"] = v & 0xFFFFFFFF
        when = c["stimecmph"] << 32 | c["stimecmp"]
        if when <= self.clock():
            c["mip"] |= C.STIP
            return
        c["mip"] &= ~C.STIP
        c["stimer_armed"] = 1
        c["stimer_at"] = when

    def sstc_fire(self) -> None:
        """Time reached the armed comparator: STIP rises (riscv_stimer_cb)."""
        c = self.csr
        c["stimer_armed"] = 0
        c["mip"] |= C.STIP
        self.end_batch()

    def write_satp(self, v: int) -> None:
        # RV32 MODE is one bit, so every value is a supported mode (spec 4.1.11).
        self.csr["satp"] = v & MASK32
        self.mmu.flush()
        self.update_mode()

    def set_irq(self, bit: int, level: bool) -> None:
        """An interrupt wire (CLINT, PLIC) changed: update mip and let the loop look."""
        if level:
            self.mip_hw |= bit
        else:
            self.mip_hw &= ~bit
        self.end_batch()

    # --- interrupts and traps (privileged spec 3.1.6, 3.1.9, 3.3) ------------------------
    def pending_interrupt(self) -> int | None:
        """The cause of the interrupt to take now, or None."""
        pend = self.read_mip() & self.csr["mie"]
        if not pend:
            return None
        mideleg = self.csr["mideleg"]
        mstatus = self.csr["mstatus"]
        enabled = 0
        if self.priv < C.PRV_M or mstatus & C.MSTATUS_MIE:
            enabled |= pend & ~mideleg
        if self.priv < C.PRV_S or (self.priv == C.PRV_S and mstatus & C.MSTATUS_SIE):
            enabled |= pend & mideleg
        if not enabled:
            return None
        for cause in IRQ_PRIORITY:
            if enabled >> cause & 1:
                return cause
        return None

    def take_trap(self, cause: int, tval: int, interrupt: bool = False) -> None:
        """Enter the trap handler for an exception at self.pc (or an interrupt before the
        instruction at self.pc).  Privileged spec 3.1.6.1, 3.1.7, 3.1.14-16, 4.1.1."""
        if cause == BREAKPOINT and not interrupt and self.semihost is not None \
                and self.semihost(self):
            return
        for hook in self.trap_hooks:
            hook(self, cause, tval, interrupt)
        self.traps += 1
        epc = self.pc
        c = self.csr
        bit = 1 << cause
        deleg = c["mideleg"] if interrupt else c["medeleg"]
        mcause = (cause | (1 << 31)) if interrupt else cause
        st = c["mstatus"]
        if self.priv <= C.PRV_S and deleg & bit:
            c["scause"] = mcause
            c["sepc"] = epc & ~1
            c["stval"] = tval & MASK32
            spie = C.MSTATUS_SPIE if st & C.MSTATUS_SIE else 0
            spp = C.MSTATUS_SPP if self.priv == C.PRV_S else 0
            st = (st & ~(C.MSTATUS_SPIE | C.MSTATUS_SIE | C.MSTATUS_SPP)) | spie | spp
            self.priv = C.PRV_S
            tvec = c["stvec"]
        else:
            c["mcause"] = mcause
            c["mepc"] = epc & ~1
            c["mtval"] = tval & MASK32
            mpie = C.MSTATUS_MPIE if st & C.MSTATUS_MIE else 0
            st = (st & ~(C.MSTATUS_MPIE | C.MSTATUS_MIE | C.MSTATUS_MPP)) | mpie | (
                self.priv << 11)
            self.priv = C.PRV_M
            tvec = c["mtvec"]
        c["mstatus"] = st
        base = tvec & ~3
        self.pc = base + 4 * cause if (interrupt and tvec & 1) else base
        self.waiting = False
        self.update_mode()
        if base == self.m_vector and self.priv == C.PRV_M and self.m_handler is not None:
            self.m_handler(self)

    def mret(self) -> int:
        if self.priv != C.PRV_M:
            raise illegal()
        st = self.csr["mstatus"]
        new = (st >> 11) & 3
        if new != C.PRV_M and not self.pmp_active():
            # QEMU 7.2 quirk kept on purpose (issue: PMP with QEMU 7.2's behaviour): with
            # no PMP entry active, returning to S/U is an illegal instruction.
            raise illegal()
        mie = C.MSTATUS_MIE if st & C.MSTATUS_MPIE else 0
        st = (st & ~(C.MSTATUS_MIE | C.MSTATUS_MPP)) | C.MSTATUS_MPIE | mie
        if new != C.PRV_M:
            st &= ~C.MSTATUS_MPRV  # spec 1.12 3.1.6.3; QEMU 7.2 leaves MPRV set
        self.csr["mstatus"] = st
        self.priv = new
        self.update_mode()
        self.end_batch()
        for hook in self.xret_hooks:
            hook(self, self.csr["mepc"])
        return self.csr["mepc"]

    def sret(self) -> int:
        st = self.csr["mstatus"]
        if self.priv == C.PRV_U or (self.priv == C.PRV_S and st & C.MSTATUS_TSR):
            raise illegal()
        new = C.PRV_S if st & C.MSTATUS_SPP else C.PRV_U
        sie = C.MSTATUS_SIE if st & C.MSTATUS_SPIE else 0
        st = (st & ~(C.MSTATUS_SIE | C.MSTATUS_SPP)) | C.MSTATUS_SPIE | sie
        st &= ~C.MSTATUS_MPRV  # new mode is below M
        self.csr["mstatus"] = st
        self.priv = new
        self.update_mode()
        self.end_batch()
        for hook in self.xret_hooks:
            hook(self, self.csr["sepc"])
        return self.csr["sepc"]

    def pmp_active(self) -> bool:
        return self.pmp.active

    def wfi(self) -> None:
        st = self.csr["mstatus"]
        if self.priv == C.PRV_U or (self.priv == C.PRV_S and st & C.MSTATUS_TW):
            raise illegal()
        # Halt until an interrupt is pending and enabled in mie, whatever MIE/SIE and
        # delegation say (priv spec 3.3.3); the machine fast-forwards time meanwhile.
        if not self.read_mip() & self.csr["mie"]:
            self.waiting = True
            self.end_batch()

    def sfence_vma(self, vaddr: int, asid: int, rs1: int = 0) -> None:
        if self.priv == C.PRV_U or (self.priv == C.PRV_S and
                                    self.csr["mstatus"] & C.MSTATUS_TVM):
            raise illegal()
        # rs1 = x0: every entry; otherwise vaddr's leaf only, whatever the ASID (spec
        # 4.2.1 allows flushing more than asked), as QEMU 7.2's tlb_flush_page.  A
        # kernel that rewrites one PTE and fences its page (Linux's __set_fixmap) keeps
        # the rest of its TLB.
        if rs1:
            self.mmu.flush_page(vaddr)
        else:
            self.mmu.flush()

    def fence_i(self) -> None:
        # The interpreter caches decoded instructions by their bits, so has nothing to
        # drop; a block tier drops its translations (on_fence_i).
        self.on_fence_i()

    # --- memory ---------------------------------------------------------------------------
    def _install_accessors(self) -> None:
        """Install the table's load and store accessors (h.lw, h.sb, ...) and the fetch
        helpers as closures over RAM."""
        ram = self.ram
        base = self.ram_base
        size = len(ram)
        r16 = memoryview(ram).cast("H")
        r32 = memoryview(ram).cast("I")
        bus = self.bus
        code = self.code_pages
        watch = self.watch_pages
        pmp = self.pmp
        mmu = self.mmu

        # These accessors are in while PMP need not check every access (M-mode with no
        # locked entry, or PMP open).  An entry still fails an access it matches only in
        # part, in M-mode too, locked or not (privileged spec 3.7.1: "irrespective of the
        # L, R, W, and X bits").  Entries are 4-byte granular, so only a misaligned access
        # can straddle one, and misaligned accesses all come here.
        def slow_load(a: int, n: int) -> int:
            if pmp.active and not pmp.check(a, n, PMP_R, mmu.priv):
                raise Trap(LOAD_ACCESS, a)
            try:
                return bus.load(a, n)
            except BusError as e:  # tval: the first byte that could not be reached
                raise Trap(LOAD_ACCESS, e.addr) from None

        def stored(a: int, n: int) -> None:
            """n bytes landed at a off the fast path: tell the translator and HTIF."""
            o = a - base
            if n > 0 and 0 <= o < size:
                last = min(o + n, size) - 1 >> 12
                if code[o >> 12] or code[last]:
                    self.on_code_write(a)  # a misaligned store into translated code
                if watch[o >> 12] or watch[last]:
                    self.on_watched_write(a, n)

        def slow_store(a: int, n: int, v: int) -> None:
            if pmp.active and not pmp.check(a, n, PMP_W, mmu.priv):
                raise Trap(STORE_ACCESS, a)
            try:
                bus.store(a, n, v)
            except BusError as e:
                stored(a, e.addr - a)  # what a store off the end of RAM did store
                raise Trap(STORE_ACCESS, e.addr) from None
            stored(a, n)

        # One load and one store accessor per row of the table (its name, width and
        # sign: LOAD_WIDTHS, STORE_WIDTHS), each specialised to its width so the RAM
        # path is one view lookup.
        def make_load(n: int, signed: bool) -> Callable[[int], int]:
            sign = 1 << (8 * n - 1)
            if n == 1:
                def load(a: int) -> int:
                    o = a - base
                    return ram[o] if 0 <= o < size else slow_load(a, 1)

                def load_s(a: int) -> int:
                    o = a - base
                    v = ram[o] if 0 <= o < size else slow_load(a, 1)
                    return ((v ^ sign) - sign) & MASK
            elif n == 2:
                def load(a: int) -> int:
                    o = a - base
                    return r16[o >> 1] if 0 <= o < size and not o & 1 else slow_load(a, 2)

                def load_s(a: int) -> int:
                    o = a - base
                    v = r16[o >> 1] if 0 <= o < size and not o & 1 else slow_load(a, 2)
                    return ((v ^ sign) - sign) & MASK
            else:
                assert n == 4, f"a {n}-byte load on rv32"

                def load(a: int) -> int:
                    o = a - base
                    return r32[o >> 2] if 0 <= o < size and not o & 3 else slow_load(a, 4)

                def load_s(a: int) -> int:
                    o = a - base
                    v = r32[o >> 2] if 0 <= o < size and not o & 3 else slow_load(a, 4)
                    return ((v ^ sign) - sign) & MASK
            return load_s if signed and 8 * n < XLEN else load

        def make_store(n: int) -> Callable[[int, int], None]:
            if n == 1:
                def store(a: int, v: int) -> None:
                    o = a - base
                    if 0 <= o < size:
                        ram[o] = v & 0xFF
                        if code[o >> 12]:
                            self.on_code_write(a)
                        if watch[o >> 12]:
                            self.on_watched_write(a, 1)
                    else:
                        slow_store(a, 1, v)
            elif n == 2:
                def store(a: int, v: int) -> None:
                    o = a - base
                    if 0 <= o < size and not o & 1:
                        r16[o >> 1] = v & 0xFFFF
                        if code[o >> 12]:
                            self.on_code_write(a)
                        if watch[o >> 12]:
                            self.on_watched_write(a, 2)
                    else:
                        slow_store(a, 2, v)
            else:
                assert n == 4, f"a {n}-byte store on rv32"

                def store(a: int, v: int) -> None:
                    o = a - base
                    if 0 <= o < size and not o & 3:
                        r32[o >> 2] = v  # (registers hold XLEN bits already)
                        if code[o >> 12]:
                            self.on_code_write(a)
                        if watch[o >> 12]:
                            self.on_watched_write(a, 4)
                    else:
                        slow_store(a, 4, v)
            return store

        fast: dict[str, Callable[..., Any]] = {
            **{name: make_load(n, signed) for name, (n, signed) in LOAD_WIDTHS.items()},
            **{name: make_store(n) for name, n in STORE_WIDTHS.items()}}
        lw = fast["lw"]

        def parcel(pa: int, va: int) -> int:
            """The 16 bits at physical pa; an access fault with tval = va if unmapped."""
            o = pa - base
            if 0 <= o < size:
                return r16[o >> 1]
            try:
                return bus.load(pa, 2)
            except BusError:
                raise Trap(INSN_ACCESS, va) from None

        fast_fetch = mmu.fast[FETCH]

        def fetch_half(a: int) -> int:
            # Translated (spec 4.3.2) and PMP-checked (3.7.1) fetch of one parcel: page
            # faults are cause 12, PMP denials and unmapped memory cause 1, tval = va.
            d = fast_fetch.get(a >> 12)
            if d is not None:  # a RAM page checked whole before (Mmu.remember)
                return r16[(a + d) >> 1]
            pa = mmu.translate(a, FETCH) if mmu.fetch_on else a
            if pmp.applies(self.priv) and not pmp.check(pa, 2, PMP_X, self.priv):
                raise Trap(INSN_ACCESS, a)
            mmu.remember(a, pa, FETCH, self.priv)
            return parcel(pa, a)

        def fetch_slow(a: int) -> int:
            """Instruction bits at a (16-bit value for compressed), or an access fault."""
            if self.fetch_limit <= 0:
                half = fetch_half
            else:
                def half(va: int) -> int:
                    return parcel(va, va)
            lo = half(a)
            return lo if lo & 3 != 3 else lo | half((a + 2) & MASK32) << 16

        def lr_w(a: int) -> int:
            if a & 3:
                raise Trap(LOAD_MISALIGNED, a)
            v = lw(a)
            self.reservation = a
            return v

        def sc_w(a: int, v: int) -> int:
            # A misaligned SC raises store/AMO misaligned (unprivileged spec 8.2); QEMU
            # 7.2 just fails it (docs/differences.md).
            if a & 3:
                raise Trap(STORE_MISALIGNED, a)
            ok = self.reservation == a
            self.reservation = None
            if not ok:
                return 1
            self.sw(a, v)
            return 0

        def amo_load(a: int) -> int:
            # AMOs report store/AMO causes (spec A 8.4); QEMU 7.2 reports load causes.
            if a & 3:
                raise Trap(STORE_MISALIGNED, a)
            o = a - base
            if 0 <= o < size:
                return r32[o >> 2]
            try:
                return bus.load(a, 4)
            except BusError:
                raise Trap(STORE_ACCESS, a) from None

        self.fast = dict(fast, lr_w=lr_w, amo_load=amo_load)
        self.checked = make_accessors(self, mmu)
        self.accessors = self.fast  # the set in use: fast, or checked by MMU/PMP
        self.__dict__.update(self.fast)
        self.fetch_slow = self.fetch_plain = fetch_slow
        self.sc_w = sc_w
        self.amo_store = lambda a, v: self.sw(a, v)
        self.r16 = r16
        self.r32 = r32

    def update_mode(self) -> None:
        """Re-evaluate, after a change of privilege, satp, mstatus or PMP, whether loads,
        stores and fetches are translated (Sv32: spec 4.3; MPRV: 3.1.6.3) or PMP-checked,
        and install the physical fast path or the checking accessors accordingly.  The
        TLB is flushed when they change for code that translates or is checked (spec
        4.2.1; STYLE practice 8)."""
        st = self.csr["mstatus"]
        priv = self.priv
        dpriv = (st >> 11) & 3 if priv == C.PRV_M and st & C.MSTATUS_MPRV else priv
        satp = self.csr["satp"]
        sv32 = bool(satp & SATP_SV32)
        trig = self.triggers
        key = (priv, dpriv, satp, st & (C.MSTATUS_SUM | C.MSTATUS_MXR), self.pmp.version,
               trig.version)
        if key == self._mode_key:
            return
        self._mode_key = key
        mmu = self.mmu
        data_on = sv32 and dpriv < C.PRV_M
        fetch_on = sv32 and priv < C.PRV_M
        data_checked = data_on or self.pmp.applies(dpriv)
        fetch_checked = fetch_on or self.pmp.applies(priv)
        # The TLB holds what was translated under one context (this key): a change of it
        # sets those entries aside and brings back the new context's (Mmu.switch), and a
        # visit to M-mode, where nothing is translated or PMP-checked, changes nothing,
        # so the kernel finds its entries again after an SBI call or an interrupt the
        # firmware forwards (spec 4.2.1 requires nothing of a mode change; sfence.vma,
        # and here satp writes too, flush every context).
        if (data_checked or fetch_checked) and key != mmu.context:
            mmu.switch(key)
        mmu.priv = dpriv
        mmu.fetch_priv = priv
        mmu.sum = bool(st & C.MSTATUS_SUM)
        mmu.mxr = bool(st & C.MSTATUS_MXR)
        mmu.data_on = data_on
        if data_on:
            self.paged = True
        mmu.fetch_on = fetch_on
        # Execute triggers are checked by fetch_slow: every fetch takes it while one is armed.
        self.fetch_limit = 0 if fetch_checked or trig.exec_spans else len(self.ram) - 2
        self.fetch_slow = trig.fetch(self.fetch_plain) if trig.exec_spans else self.fetch_plain
        want = self.checked if data_checked else self.fast
        if trig.data_on:  # load/store triggers wrap the set in use (off the fast path)
            want = trig.wrap(want)
        if want is not self.accessors:
            self.accessors = want
            self.set_watchpoints(self.watchpoints)

    def set_watchpoints(self, watches: list[tuple[str, int, int]]) -> None:
        """Install checking accessors while any watchpoint exists (and the fast ones
        otherwise), so the common case pays nothing.  They wrap the accessors in use, so
        watchpoints see virtual addresses when translation is on."""
        self.watchpoints = list(watches)
        self.__dict__.update(self.accessors)
        if not watches:
            return
        reads = [(a, a + n, k) for k, a, n in watches if k in ("rwatch", "awatch")]
        writes = [(a, a + n, k) for k, a, n in watches if k in ("watch", "awatch")]

        def hit(spans: list[tuple[int, int, str]], a: int, n: int) -> None:
            for lo, hi, kind in spans:
                if a < hi and lo < a + n:
                    raise WatchHit(kind, max(a, lo))

        def wrap_load(fn: Callable[[int], int], n: int) -> Callable[[int], int]:
            def load(a: int) -> int:
                if reads:
                    hit(reads, a, n)
                return fn(a)
            return load

        def wrap_store(fn: Callable[[int, int], None], n: int) -> Callable[[int, int], None]:
            def store(a: int, v: int) -> None:
                if writes:
                    hit(writes, a, n)
                fn(a, v)
            return store

        f = self.accessors
        for name, (n, _) in LOAD_WIDTHS.items():
            setattr(self, name, wrap_load(f[name], n))
        for name, n in STORE_WIDTHS.items():
            setattr(self, name, wrap_store(f[name], n))


def illegal_trap(bits: int) -> Trap:
    return Trap(ILLEGAL, bits)


__all__ = ["Hart", "WatchHit", "Trap", "BREAKPOINT", "illegal_trap"]
