"""Debug triggers: tselect, tdata1-3 and tinfo with address-match triggers, as QEMU 7.2's
`-cpu rv32` has them (target/riscv/debug.c; debug spec 0.13.2 section 5.2).

QEMU 7.2 has two triggers (RV_MAX_TRIGGERS), both type 2 (mcontrol) at reset with every
other bit of tdata1 clear; a write to tdata1 may turn one into type 6 (mcontrol6).  tinfo
reads 0x44 (types 2 and 6).  What QEMU keeps of a tdata1 write:

  type 2: m/s/u, execute/store/load and sizelo (all four RV32 encodings: any, 1, 2, 4
          bytes); dmode, match, chain, action, timing, select, hit and bit 5 read 0
  type 6: vs/vu, m/s/u, execute/store/load, and size when it is any, 1, 2, 4 or 8 bytes
  0, 3, 4, 5, 7, 15: the write is ignored
  1, 8-14: QEMU 7.2 aborts (g_assert_not_reached); rvirt ignores the write

tselect ignores values >= 2; tdata2 holds any value; tdata3 ignores writes and reads 0.

A trigger is armed while it has a mode bit and an access bit.  It matches when the hart's
privilege (not the MPRV-effective one) has its bit set, and then raises a breakpoint
exception (cause 3, tval 0) before the instruction runs or the access happens, whatever
action says (QEMU 7.2 only does action 0).  Execute compares the pc with tdata2; loads
and stores match when the accessed bytes overlap [tdata2, tdata2 + size), size "any"
being 4 bytes.  LR and AMOs count as loads, SC and AMOs as stores.  Triggers fire in M
too, with MIE clear (QEMU 7.2 has no tcontrol.mte).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rvirt.cpu.trap import BREAKPOINT, Trap
from rvirt.isa.table import LOAD_WIDTHS, STORE_WIDTHS

if TYPE_CHECKING:
    from rvirt.cpu.hart import Hart

COUNT = 2  # RV_MAX_TRIGGERS
TYPE_AD_MATCH, TYPE_AD_MATCH6 = 2, 6
TINFO = 1 << TYPE_AD_MATCH | 1 << TYPE_AD_MATCH6
RESET_TDATA1 = TYPE_AD_MATCH << 28

LOAD, STORE, EXEC = 1 << 0, 1 << 1, 1 << 2
U_BIT, S_BIT, M_BIT = 1 << 3, 1 << 4, 1 << 6
MODES = U_BIT | S_BIT | M_BIT
ACCESSES = LOAD | STORE | EXEC
VS_BIT, VU_BIT = 1 << 24, 1 << 23  # mcontrol6 on RV32

TYPE2_KEEP = MODES | ACCESSES | 3 << 16  # sizelo: every value is a supported size
TYPE6_KEEP = MODES | ACCESSES | VS_BIT | VU_BIT
TYPE6_SIZE = 0xF << 16
# Bytes matched per size encoding (QEMU access_size); None: unsupported, not kept.
SIZE_BYTES: dict[int, int] = {0: 4, 1: 1, 2: 2, 3: 4, 5: 8}
IGNORED_TYPES = frozenset({0, 3, 4, 5, 7, 15})

# The hart's accessors a trigger watches: the table's loads (and LR's) and stores.
LOADS = (*((name, n) for name, (n, _) in LOAD_WIDTHS.items()), ("lr_w", 4))
STORES = tuple(STORE_WIDTHS.items())


def validate(val: int) -> int | None:
    """What tdata1 holds after writing val (None: the write is ignored)."""
    kind = val >> 28 & 0xF
    if kind == TYPE_AD_MATCH:
        return RESET_TDATA1 | val & TYPE2_KEEP
    if kind == TYPE_AD_MATCH6:
        new = TYPE_AD_MATCH6 << 28 | val & TYPE6_KEEP
        if (val & TYPE6_SIZE) >> 16 in SIZE_BYTES:
            new |= val & TYPE6_SIZE
        return new
    return None  # IGNORED_TYPES, and the types QEMU 7.2 aborts on


def size_of(tdata1: int) -> int:
    """Bytes a load/store trigger covers from tdata2."""
    if tdata1 >> 28 == TYPE_AD_MATCH:
        return SIZE_BYTES[tdata1 >> 16 & 3]
    return SIZE_BYTES[tdata1 >> 16 & 0xF]


class Triggers:
    """The trigger module of one hart.  `version` changes whenever what the triggers match
    changes; the hart then re-installs its fetch path and accessors (update_mode)."""

    def __init__(self, h: Hart) -> None:
        self.h = h
        self.select = 0
        self.tdata1 = [RESET_TDATA1] * COUNT
        self.tdata2 = [0] * COUNT
        self.version = 0
        # Armed triggers by access: (tdata2, end, privilege mask) for loads and stores,
        # (tdata2, privilege mask) for execute.  The privilege mask has bit p for mode p.
        self.exec_spans: list[tuple[int, int]] = []
        self.load_spans: list[tuple[int, int, int]] = []
        self.store_spans: list[tuple[int, int, int]] = []
        self._wrapped: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._fetch: tuple[Callable[[int], int], Callable[[int], int]] | None = None

    def reset(self) -> None:
        """riscv_trigger_init: both triggers type 2, everything else zero."""
        self.select = 0
        self.tdata1 = [RESET_TDATA1] * COUNT
        self.tdata2 = [0] * COUNT
        self._changed()

    # --- CSRs -----------------------------------------------------------------------------
    def write_select(self, v: int) -> None:
        if v < COUNT:
            self.select = v

    def write_tdata1(self, v: int) -> None:
        new = validate(v)
        if new is not None and new != self.tdata1[self.select]:
            self.tdata1[self.select] = new
            self._changed()

    def write_tdata2(self, v: int) -> None:
        if v != self.tdata2[self.select]:
            self.tdata2[self.select] = v
            self._changed()

    # --- matching -------------------------------------------------------------------------
    @property
    def data_on(self) -> bool:
        return bool(self.load_spans or self.store_spans)

    def _changed(self) -> None:
        self.exec_spans = []
        self.load_spans = []
        self.store_spans = []
        for ctl, addr in zip(self.tdata1, self.tdata2, strict=True):
            if not (ctl & MODES and ctl & ACCESSES):
                continue  # type2_breakpoint_enabled: a mode and an access bit
            privs = (ctl & MODES) >> 3  # bit p set: matches in privilege p (U 0, S 1, M 3)
            if ctl & EXEC:
                self.exec_spans.append((addr, privs))
            span = (addr, addr + size_of(ctl), privs)
            if ctl & LOAD:
                self.load_spans.append(span)
            if ctl & STORE:
                self.store_spans.append(span)
        self.version += 1
        self._wrapped.clear()
        self.h.update_mode()

    def _hit(self, spans: list[tuple[int, int, int]], a: int, n: int) -> None:
        p = self.h.priv
        for lo, hi, privs in spans:
            if privs >> p & 1 and a < hi and lo < a + n:
                # BP_STOP_BEFORE_ACCESS: the access does not happen; tval is 0
                raise Trap(BREAKPOINT, 0)

    def fetch(self, plain: Callable[[int], int]) -> Callable[[int], int]:
        """The fetch helper with execute triggers checked before the fetch itself."""
        if self._fetch is not None and self._fetch[0] is plain:
            return self._fetch[1]
        h = self.h

        def fetch(a: int) -> int:
            p = h.priv
            for addr, privs in self.exec_spans:
                if addr == a and privs >> p & 1:
                    raise Trap(BREAKPOINT, 0)
            return plain(a)

        self._fetch = (plain, fetch)
        return fetch

    def wrap(self, base: dict[str, Any]) -> dict[str, Any]:
        """The accessor set `base` with load and store triggers checked first (cached, so
        the hart can tell by identity whether it changed)."""
        got = self._wrapped.get(id(base))
        if got is not None and got[0] is base:
            return got[1]
        hit = self._hit
        loads = self.load_spans
        stores = self.store_spans
        both = loads + stores

        def load(fn: Callable[[int], int], n: int) -> Callable[[int], int]:
            def checked(a: int) -> int:
                hit(loads, a, n)
                return fn(a)
            return checked

        def store(fn: Callable[[int, int], None], n: int) -> Callable[[int, int], None]:
            def checked(a: int, v: int) -> None:
                hit(stores, a, n)
                fn(a, v)
            return checked

        out = dict(base)
        for name, n in LOADS:
            out[name] = load(base[name], n)
        for name, n in STORES:
            out[name] = store(base[name], n)
        amo = base["amo_load"]

        def amo_load(a: int) -> int:  # a read-modify-write: load and store triggers
            hit(both, a, 4)
            return amo(a)

        out["amo_load"] = amo_load
        self._wrapped[id(base)] = (base, out)
        return out
