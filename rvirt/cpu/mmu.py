"""Sv32 address translation with a small TLB, and the memory accessors used while
translation or PMP checking is on (privileged spec 4.3, 3.7).

The hart installs these accessors in place of its physical RAM fast path only when they
are needed: an effective privilege below M with satp.MODE = Sv32, or PMP checks that
apply at that privilege (`Hart.update_mode`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from rvirt.cpu.pmp import PMP_R, PMP_W, PMP_X
from rvirt.cpu.trap import (
    INSN_ACCESS,
    INSN_PAGE,
    LOAD_ACCESS,
    LOAD_MISALIGNED,
    LOAD_PAGE,
    STORE_ACCESS,
    STORE_MISALIGNED,
    STORE_PAGE,
    Trap,
)
from rvirt.isa.table import LOAD_WIDTHS, STORE_WIDTHS
from rvirt.isa.xlen import MASK, XLEN
from rvirt.mem.bus import BusError

if TYPE_CHECKING:
    from rvirt.cpu.hart import Hart

MASK32 = MASK  # Sv32 virtual addresses: XLEN bits
PRV_U, PRV_S, PRV_M = 0, 1, 3

# access types
LOAD, STORE, FETCH = 0, 1, 2
PAGE_FAULT = (LOAD_PAGE, STORE_PAGE, INSN_PAGE)
ACCESS_FAULT = (LOAD_ACCESS, STORE_ACCESS, INSN_ACCESS)
PMP_PERM = (PMP_R, PMP_W, PMP_X)

# Sv32 PTE bits (spec 4.3.1)
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D = (1 << i for i in range(8))
SATP_SV32 = 1 << 31
SATP_PPN = (1 << 22) - 1


class FastMirror(Protocol):
    def set(self, acc: int, vpn: int, delta: int) -> None: ...

    def load(self, acc: int, entries: dict[int, int]) -> None:
        """set() of every vpn -> delta of entries."""

    def drop(self, vpn: int) -> None: ...

    def clear(self) -> None:
        """Every entry, of the kept contexts too."""

    def forget(self) -> None:
        """What it keeps of the contexts left (the MMU dropped its saved entries)."""

    def switch(self, keep: tuple[int, ...] | None, evicted: tuple[int, ...] | None,
               new: tuple[int, ...], restored: bool) -> bool:
        """Mmu.switch: the context left kept (or None), the kept context let go (or
        None), the context entered and whether the MMU restored entries for it; True if
        it has them already, else the MMU loads them."""


CONTEXTS = 8  # contexts whose TLB entries are kept aside at most (Mmu.switch)


class Mmu:
    """Sv32 page-table walker and TLB for one hart."""

    def __init__(self, hart: Hart) -> None:
        self.h = hart
        # One dict per access type: virtual page number -> physical page address.  Only
        # walks that succeeded (with A, and D for stores, already set) are cached.  They
        # hold one context's entries (privilege, satp, MPRV/MPP, SUM, MXR, PMP: switch
        # sets them aside when it changes), and sfence.vma drops them (spec 4.2.1).
        self.tlb: tuple[dict[int, int], dict[int, int], dict[int, int]] = ({}, {}, {})
        # The RAM fast path beside it, one dict per access type: virtual page number ->
        # (RAM offset of the page - its virtual address), for pages that translated to RAM
        # and that PMP allows whole for that access at the current privilege, so an access
        # there needs no walk and no PMP check: RAM offset = va + delta.  Filled by the
        # checking accessors and the fetch path after a full check, flushed with the TLB;
        # translated code reads these dicts directly (rvirt.exec.translate).  The dicts
        # are cleared, never replaced, so their bound `get` methods stay valid.
        self.fast: tuple[dict[int, int], dict[int, int], dict[int, int]] = ({}, {}, {})
        # A copy of the fast path in another form (the native tier's C arrays), told of
        # every entry and every flush: set(acc, vpn, delta), drop(vpn), clear().
        self.mirror: FastMirror | None = None
        # Megapages the TLB holds entries from: va >> 22 -> the vpns cached from that one
        # leaf PTE, which an sfence.vma of any address in it drops together (spec 4.2.1:
        # every entry holding the leaf PTE of that address).
        self.mega: dict[int, set[int]] = {}
        self.level = 0  # the level of the leaf the last walk found (1: a megapage)
        # Whether the last translate() walked for a load and found a PTE that allows a
        # store as well, with D already set: QEMU 7.2's get_physical_address then gives
        # the TLB entry write permission too, so the stores that follow a load of the
        # same page (a fixmap page Linux maps, fences and fills) need no walk.
        self.store_too = False
        # What the entries were made under (privileges, satp, SUM/MXR, PMP, triggers;
        # Hart.update_mode): a trap into M-mode, which translates nothing, keeps them for
        # the return to the same context.
        self.context: tuple[int, ...] | None = None
        # Entries of the contexts left (switch), by context: TLB, fast path, megapages.
        self.saved: dict[tuple[int, ...], tuple[tuple[dict[int, int], ...],
                                                tuple[dict[int, int], ...],
                                                dict[int, set[int]]]] = {}
        self.priv = PRV_M  # effective privilege of loads and stores
        self.fetch_priv = PRV_M
        self.sum = False
        self.mxr = False
        self.data_on = False  # loads/stores are translated
        self.fetch_on = False  # fetches are translated

    def flush(self) -> None:
        """Every entry, of every context (sfence.vma with rs1 = x0, a satp write)."""
        self.saved.clear()
        self._clear()
        if self.mirror is not None:
            self.mirror.clear()

    def _clear(self) -> None:
        """The current context's entries (not the mirror's: flush and switch tell it)."""
        for t in self.tlb:
            t.clear()
        for t in self.fast:
            t.clear()
        self.mega.clear()

    def switch(self, context: tuple[int, ...]) -> None:
        """Make the entries of `context` current (Hart.update_mode): those of the context
        left are kept aside, and those kept for the one entered, if any, come back.  Like
        QEMU's TLB, one per privilege level (mmu_idx), a system call's round trip from U
        to S and back walks no page again; the spec allows any entry to be used until an
        sfence.vma (4.2.1), which drops the kept ones too."""
        old = self.context
        keep = evicted = None
        if old is not None and (any(self.tlb) or any(self.fast)):
            saved = self.saved
            saved[old] = (tuple(t.copy() for t in self.tlb),
                          tuple(t.copy() for t in self.fast),
                          {k: set(v) for k, v in self.mega.items()} if self.mega else {})
            keep = old
            if len(saved) > CONTEXTS:
                evicted = next(iter(saved))  # the one left longest ago
                del saved[evicted]
        self._clear()
        self.context = context
        back = self.saved.pop(context, None)
        mirror = self.mirror
        # The mirror keeps its own copy of each kept context, and takes it back whole.
        loaded = mirror is not None and mirror.switch(keep, evicted, context,
                                                      back is not None)
        if back is None:
            return
        tlb, fast, mega = back
        for mine, kept in zip(self.tlb, tlb, strict=True):
            mine.update(kept)
        for acc, (mine, kept) in enumerate(zip(self.fast, fast, strict=True)):
            mine.update(kept)
            if mirror is not None and not loaded:
                mirror.load(acc, kept)
        self.mega.update(mega)

    def flush_page(self, va: int) -> None:
        """sfence.vma with rs1 != x0: drop the entries holding the leaf PTE of va (its
        page's, or all of its megapage's), keeping the rest (spec 4.2.1), as QEMU's
        tlb_flush_page.  Only leaves are cached, so no pointer PTE can be stale."""
        self.saved.clear()  # (rare enough that kept contexts need not be searched)
        vpn = va >> 12
        vpns = self.mega.pop(va >> 22, None) or set()
        vpns.add(vpn)
        mirror = self.mirror
        if mirror is not None:
            mirror.forget()
        for v in vpns:
            for t in self.tlb:
                t.pop(v, None)
            for t in self.fast:
                t.pop(v, None)
            if mirror is not None:
                mirror.drop(v)

    def remember(self, va: int, pa: int, acc: int, priv: int) -> None:
        """Enter va's page in the RAM fast path for `acc` if its physical page pa is RAM
        and PMP allows that access on all of it at `priv` (an access inside then passes
        PMP too: spec 3.7.1, one entry matching the whole page decides for every byte)."""
        h = self.h
        page = pa & ~0xFFF
        o = page - h.ram_base
        if not (0 <= o and o + 0x1000 <= len(h.ram)):
            return
        pmp = h.pmp
        if pmp.applies(priv) and not pmp.check(page, 0x1000, PMP_PERM[acc], priv):
            return
        self.fast[acc][va >> 12] = o - (va & ~0xFFF)
        if self.mirror is not None:
            self.mirror.set(acc, va >> 12, o - (va & ~0xFFF))

    def fetch_delta(self, va: int) -> int | None:
        """RAM offset minus va for instruction fetches in va's page, or None when the page
        is not in RAM wholly executable (then fetches take the checking path, which
        raises the fault).  Walks (setting A, as a fetch there would) on a miss; a walk
        that faults leaves nothing behind and gives None."""
        d = self.fast[FETCH].get(va >> 12)
        if d is None:
            try:
                pa = self.translate(va, FETCH) if self.fetch_on else va
            except Trap:
                return None
            self.remember(va, pa, FETCH, self.fetch_priv)
            d = self.fast[FETCH].get(va >> 12)
        return d

    def translate(self, va: int, acc: int) -> int:
        """Physical address of `va` for an access of type `acc`, or a Trap."""
        pa_page = self.tlb[acc].get(va >> 12)
        self.store_too = False
        if pa_page is None:
            pa_page = self.walk(va, acc, self.fetch_priv if acc == FETCH else self.priv)
            self.tlb[acc][va >> 12] = pa_page
            if self.level:
                self.mega.setdefault(va >> 22, set()).add(va >> 12)
            if self.store_too:
                self.tlb[STORE][va >> 12] = pa_page
        return pa_page | (va & 0xFFF)

    def walk(self, va: int, acc: int, priv: int, debug: bool = False) -> int:
        """Sv32 walk (spec 4.3.2) for `va`; returns the physical page address.  A/D bits
        are set in the PTE as QEMU 7.2 does (get_physical_address).  With `debug` (a
        debugger access), nothing is written, PMP is not consulted and a failure raises
        a Trap just the same."""
        h = self.h
        ram, base, size = h.ram, h.ram_base, len(h.ram)
        a = (h.csr["satp"] & SATP_PPN) << 12
        level = 1
        pte = pte_addr = 0
        while True:
            vpn = va >> 22 if level else va >> 12 & 0x3FF
            pte_addr = a + vpn * 4
            # The walk's own reads are checked by PMP as S-mode accesses (spec 3.7.1);
            # unreadable memory gives an access fault of the original type.  QEMU 7.2
            # reports a page fault for unmapped memory (docs/differences.md).
            if not debug and h.pmp.active and not h.pmp.check(pte_addr, 4, PMP_R, PRV_S):
                raise Trap(ACCESS_FAULT[acc], va)
            o = pte_addr - base
            if 0 <= o < size:
                pte = int.from_bytes(ram[o:o + 4], "little")
            else:
                try:
                    pte = h.bus.load(pte_addr, 4)
                except BusError:
                    raise Trap(ACCESS_FAULT[acc], va) from None
            if not pte & PTE_V or pte & (PTE_R | PTE_W) == PTE_W:
                raise Trap(PAGE_FAULT[acc], va)
            if pte & (PTE_R | PTE_X):
                break
            # A pointer.  D, A and U are reserved in non-leaf PTEs; QEMU 7.2 faults on
            # them and so does rvirt (the spec leaves this to the implementation).
            if level == 0 or pte & (PTE_D | PTE_A | PTE_U):
                raise Trap(PAGE_FAULT[acc], va)
            a = (pte >> 10) << 12
            level = 0
        ok = True
        if pte & PTE_U:
            if priv == PRV_S and (not self.sum or acc == FETCH):
                ok = False
        elif priv == PRV_U:
            ok = False
        if level and pte >> 10 & 0x3FF:  # misaligned superpage
            ok = False
        if acc == LOAD:
            self.store_too = ok and pte & (PTE_W | PTE_D) == PTE_W | PTE_D
            ok = ok and bool(pte & PTE_R or (self.mxr and pte & PTE_X))
            self.store_too = self.store_too and ok and not debug
        elif acc == STORE:
            ok = ok and bool(pte & PTE_W)
        else:
            ok = ok and bool(pte & PTE_X)
        if not ok:
            raise Trap(PAGE_FAULT[acc], va)
        need = PTE_A | (PTE_D if acc == STORE else 0)
        if pte & need != need and not debug:
            o = pte_addr - base
            if not 0 <= o < size:
                # QEMU 7.2: a PTE outside RAM cannot be updated atomically: the walk fails.
                raise Trap(PAGE_FAULT[acc], va)
            ram[o:o + 4] = (pte | need).to_bytes(4, "little")
            if h.code_pages[o >> 12]:
                h.on_code_write(pte_addr)
            if h.watch_pages[o >> 12]:  # a RAM store like any other (history, HTIF)
                h.on_watched_write(pte_addr, 4)
        self.level = level
        if level:
            return ((pte >> 20) << 22) | (va & 0x3FF000)
        return (pte >> 10) << 12


def make_accessors(h: Hart, mmu: Mmu) -> dict[str, Callable[..., int | None]]:
    """The table's loads and stores (lb, ..., sw), lr_w and amo_load that translate
    (when mmu.data_on) and check PMP (when it applies at the effective privilege).  Faults carry the
    virtual address in tval (spec 4.3.2 step 2, QEMU 7.2)."""
    ram, base, size = h.ram, h.ram_base, len(h.ram)
    bus = h.bus
    pmp = h.pmp
    code = h.code_pages

    fast = mmu.fast

    def to_pa(va: int, n: int, acc: int) -> int:
        d = fast[acc].get(va >> 12)
        if d is not None:  # checked before, and the page is RAM: no walk, no PMP
            return va + d + base
        pa = mmu.translate(va, acc) if mmu.data_on else va
        if pmp.applies(mmu.priv) and not pmp.check(pa, n, PMP_PERM[acc], mmu.priv):
            raise Trap(ACCESS_FAULT[acc], va)
        mmu.remember(va, pa, acc, mmu.priv)
        if mmu.store_too and mmu.data_on:  # the load's walk allowed stores as well
            mmu.remember(va, pa, STORE, mmu.priv)
        return pa

    def crossing(va: int, n: int, acc: int) -> None:
        """Translate both pages of an access that crosses a page (page faults first, on
        the first byte that faults), then check it against PMP as a whole where it is
        physically contiguous, as QEMU 7.2 does: an entry that matches only some of its
        bytes fails it, with tval = va (spec 3.7.1)."""
        first = 0x1000 - (va & 0xFFF)
        pa0 = mmu.translate(va, acc) if mmu.data_on else va
        pa1 = mmu.translate(va + first & MASK32, acc) if mmu.data_on else va + first
        if not pmp.applies(mmu.priv):
            return
        parts = [(pa0, n)] if pa1 == pa0 + first else [(pa0, first), (pa1, n - first)]
        for pa, k in parts:
            if not pmp.check(pa, k, PMP_PERM[acc], mmu.priv):
                raise Trap(ACCESS_FAULT[acc], va)

    def load(va: int, n: int) -> int:
        if (va & 0xFFF) + n > 0x1000:  # crosses a page: checked whole, read byte by byte
            crossing(va, n, LOAD)
            return sum(load(va + i & MASK32, 1) << (8 * i) for i in range(n))
        pa = to_pa(va, n, LOAD)
        o = pa - base
        if 0 <= o and o + n <= size:
            return int.from_bytes(ram[o:o + n], "little")
        try:
            return bus.load(pa, n)
        except BusError as e:  # tval: the first byte that could not be reached
            raise Trap(LOAD_ACCESS, va + e.addr - pa & MASK32) from None

    def store(va: int, n: int, v: int, acc: int = STORE) -> None:
        if (va & 0xFFF) + n > 0x1000:
            # Both pages translated and PMP-checked before anything is written; then
            # byte by byte, so a store off the end of RAM stores what is in RAM and
            # faults on the first byte that is not, as on QEMU 7.2.
            crossing(va, n, STORE)
            for i in range(n):
                store(va + i & MASK32, 1, v >> (8 * i))
            return
        pa = to_pa(va, n, acc)
        o = pa - base
        if 0 <= o and o + n <= size:
            ram[o:o + n] = (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
            if code[o >> 12] or code[(o + n - 1) >> 12]:
                h.on_code_write(pa)
            if h.watch_pages[o >> 12]:  # a device watching RAM (HTIF's tohost)
                h.on_watched_write(pa, n)
            return
        try:
            bus.store(pa, n, v & ((1 << (8 * n)) - 1))
        except BusError as e:
            raise Trap(STORE_ACCESS, va + e.addr - pa & MASK32) from None

    # One accessor per load and store row of the table, from its width and sign.  Each
    # first looks in the RAM fast path itself (a page checked before: no walk, no PMP):
    # an aligned access stays in its page, and is read or written through the RAM view
    # of its width, as the Python blocks inline it.  The rest takes load() or store().
    views = {1: (memoryview(ram), 0), 2: (memoryview(ram).cast("H"), 1),
             4: (memoryview(ram).cast("I"), 2)}
    fast_load, fast_store = fast[LOAD].get, fast[STORE].get
    watch = h.watch_pages

    def make_load(n: int, signed: bool) -> Callable[[int], int]:
        sign = 1 << (8 * n - 1)
        view, shift = views[n]
        align = n - 1
        if signed and 8 * n < XLEN:
            def load_signed(a: int) -> int:
                d = fast_load(a >> 12)
                if d is not None and not a & align:
                    return ((view[(a + d) >> shift] ^ sign) - sign) & MASK32
                return ((load(a, n) ^ sign) - sign) & MASK32
            return load_signed

        def load_unsigned(a: int) -> int:
            d = fast_load(a >> 12)
            if d is not None and not a & align:
                return view[(a + d) >> shift]  # type: ignore[no-any-return]
            return load(a, n)
        return load_unsigned

    def make_store(n: int) -> Callable[[int, int], None]:
        view, shift = views[n]
        align = n - 1
        keep = (1 << (8 * n)) - 1

        def store_n(a: int, v: int) -> None:
            d = fast_store(a >> 12)
            if d is not None and not a & align:
                o = a + d
                view[o >> shift] = v & keep
                if code[o >> 12] or watch[o >> 12]:
                    if code[o >> 12]:
                        h.on_code_write(o + base)
                    if watch[o >> 12]:
                        h.on_watched_write(o + base, n)
                return
            store(a, n, v)
        return store_n

    def lr_w(a: int) -> int:
        if a & 3:
            raise Trap(LOAD_MISALIGNED, a)
        v = h.lw(a)
        h.reservation = a
        return v

    def amo_load(a: int) -> int:
        # An AMO needs write permission: translate and check it as a store (spec 4.3.2,
        # A extension 8.4), so a read-only page gives a store/AMO page fault.
        if a & 3:
            raise Trap(STORE_MISALIGNED, a)
        pa = to_pa(a, 4, STORE)
        if pmp.applies(mmu.priv) and not pmp.check(pa, 4, PMP_R, mmu.priv):
            raise Trap(STORE_ACCESS, a)
        o = pa - base
        if 0 <= o < size:
            return int.from_bytes(ram[o:o + 4], "little")
        try:
            return bus.load(pa, 4)
        except BusError:
            raise Trap(STORE_ACCESS, a) from None

    return {**{name: make_load(n, signed) for name, (n, signed) in LOAD_WIDTHS.items()},
            **{name: make_store(n) for name, n in STORE_WIDTHS.items()},
            "lr_w": lr_w, "amo_load": amo_load}


def debug_translate(h: Hart, va: int) -> int | None:
    """The physical address gdb's `m`/`M` use for `va`: translated like a load at the
    current privilege (MPRV included) and satp, with no side effects (QEMU
    riscv_cpu_get_phys_page_debug).  None when the page is not mapped."""
    mmu = h.mmu
    if not mmu.data_on:
        return va
    try:
        return mmu.walk(va, LOAD, mmu.priv, debug=True) | (va & 0xFFF)
    except Trap:
        return None
