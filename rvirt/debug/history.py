"""The whole state of a machine, captured and put back (`capture(machine) -> State`,
`restore(machine, State)`), and reverse execution built on it (`History`): snapshots that
keep only the pages written since the one before, a log of what came from outside, and
deterministic re-execution between them.  The public API's snapshots (rvirt.api) and the
debuggers' reverse execution both use this one module.

A `State` is plain data (ints, bytes, tuples, dicts) and pickles; RAM is kept as its
non-zero 4 KiB pages and zlib-compressed when pickled, so a 128 MiB machine that touched
a few pages pickles to a few KiB.  Derived state (PMP rules, trigger spans, the MMU's
TLB and fast paths, the accessors in use, translated blocks) is not stored: restore
rebuilds it from the stored CSR values, as a CSR write would.
"""

from __future__ import annotations

import time
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

from rvirt.debug.target import Stop
from rvirt.isa.xlen import MASK, XLEN

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.cpu.hart import Hart

__all__ = ["FORMAT", "PAGE", "Event", "History", "Snapshot", "State", "StateMismatch",
           "capture", "restore"]

FORMAT = 1  # bumped whenever State's layout changes: an old pickle is refused, not misread
PAGE = 4096
_CHUNK = 256 * PAGE  # RAM is scanned for non-zero data 1 MiB at a time
_ZERO_CHUNK = bytes(_CHUNK)
_ZERO_PAGE = bytes(PAGE)


class StateMismatch(ValueError):
    """The State cannot go into this machine (another RAM size or time base, another
    format); the message is one line."""


@dataclass(eq=True)
class State:
    """One machine's state at an instruction boundary.

    `pages` maps a RAM page number (offset >> 12) to its 4096 bytes; pages not listed
    are zero.  `hart`, `devices` and `board` hold plain values only.
    """

    ram_size: int
    icount_shift: int
    pages: dict[int, bytes]
    rom: bytes
    hart: dict[str, Any]
    devices: dict[str, dict[str, Any]]
    board: dict[str, Any]
    format: int = FORMAT
    # pickled pages: (page number, count, zlib data) per run of consecutive pages
    _packed: tuple[tuple[int, int, bytes], ...] | None = field(default=None, repr=False,
                                                                 compare=False)

    @property
    def instret(self) -> int:
        return self.hart["instret"]

    def __getstate__(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["pages"] = None
        out["_packed"] = _pack(self.pages)
        out["rom"] = zlib.compress(self.rom, 6)
        return out

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("format") != FORMAT:
            # a State from another rvirt: say so instead of misreading it
            self.__dict__.update(format=state.get("format"), pages={}, rom=b"", hart={},
                                 devices={}, board={}, ram_size=0, icount_shift=0,
                                 _packed=None)
            return
        self.__dict__.update(state)
        self.pages = _unpack(state["_packed"])
        self.rom = zlib.decompress(state["rom"])
        self._packed = None


def _pack(pages: dict[int, bytes]) -> tuple[tuple[int, int, bytes], ...]:
    """Runs of consecutive pages, each compressed as one zlib stream."""
    out = []
    numbers = sorted(pages)
    i = 0
    while i < len(numbers):
        j = i + 1
        while j < len(numbers) and numbers[j] == numbers[j - 1] + 1:
            j += 1
        data = b"".join(pages[n] for n in numbers[i:j])
        out.append((numbers[i], j - i, zlib.compress(data, 6)))
        i = j
    return tuple(out)


def _unpack(packed: tuple[tuple[int, int, bytes], ...]) -> dict[int, bytes]:
    pages = {}
    for first, count, data in packed:
        raw = zlib.decompress(data)
        for k in range(count):
            pages[first + k] = raw[k * PAGE:(k + 1) * PAGE]
    return pages


def nonzero_pages(ram: Any) -> dict[int, bytes]:
    """The non-zero 4 KiB pages of `ram` (an mmap or bytearray).  Reading a never-touched
    page of anonymous memory maps the shared zero page, so this costs no memory."""
    pages: dict[int, bytes] = {}
    size = len(ram)
    for o in range(0, size, _CHUNK):
        chunk = ram[o:o + _CHUNK]
        if chunk == _ZERO_CHUNK[:len(chunk)]:
            continue
        for p in range(0, len(chunk), PAGE):
            page = chunk[p:p + PAGE]
            if page != _ZERO_PAGE[:len(page)]:
                pages[(o + p) // PAGE] = page
    return pages


# --- the hart -----------------------------------------------------------------------------

def _hart_state(h: Hart) -> dict[str, Any]:
    # The hart is between batches here (no running batch iterator), so instret is exact.
    t = h.triggers
    return {
        "x": tuple(h.x[:32]), "pc": h.pc, "priv": h.priv, "csr": dict(h.csr),
        "mip_hw": h.mip_hw, "reservation": h.reservation, "waiting": h.waiting,
        "instret": h.retired(), "traps": h.traps, "offsets": dict(h._offsets),
        "triggers": (t.select, tuple(t.tdata1), tuple(t.tdata2)),
    }


def _set_hart_state(h: Hart, s: dict[str, Any]) -> None:
    h.x[:32] = list(s["x"])
    h.x[32] = 0
    h.pc = s["pc"]
    h.priv = s["priv"]
    for name, value in s["csr"].items():  # in place: the PMP and CSR closures hold the dict
        h.csr[name] = value
    h.mip_hw = s["mip_hw"]
    h.reservation = s["reservation"]
    h.waiting = s["waiting"]
    h.instret = s["instret"]
    h.traps = s.get("traps", 0)  # States made before traps were counted hold none
    h._offsets.update(s["offsets"])
    h.ending = False
    t = h.triggers
    t.select, tdata1, tdata2 = s["triggers"]
    t.tdata1, t.tdata2 = list(tdata1), list(tdata2)
    # Derived state from the CSR values: PMP rules (rebuild bumps its version, which
    # makes update_mode re-pick the accessors), trigger spans, the TLB and fast paths.
    h.mmu.flush()
    h._mode_key = None
    t._changed()
    h.pmp.rebuild()
    h.update_mode()


# --- the machine ---------------------------------------------------------------------------

def _devices(m: Board) -> dict[str, Any]:
    named: dict[str, Any] = {"test": m.test, "clint": m.clint, "plic": m.plic,
                             "uart": m.uart, "rtc": m.rtc}
    for i, dev in enumerate(m.virtio):
        named[f"virtio{i}"] = dev
    if m.htif is not None:
        named["htif"] = m.htif
    if m.firmware is not None:
        named["firmware"] = m.firmware
    return named


def _board_state(m: Board) -> dict[str, Any]:
    # With -smp, the other harts and whose turn it is (and how much of it is left): the
    # turns decide the interleaving, so a replay from here must start them the same way.
    return {"idle_ns": m.idle_ns, "host_epoch_ns": m.host_epoch_ns,
            "virtual_ns": m.virtual_ns(), "exit_status": m.exit_status,
            "killed": m.killed, "booted": m.booted, "turn": m.turn,
            "turn_left": m.turn_left, "harts": [_hart_state(h) for h in m.harts[1:]]}


def _set_board_state(m: Board, b: dict[str, Any]) -> None:
    m.idle_ns = b["idle_ns"]
    m.host_epoch_ns = b["host_epoch_ns"]
    m.host_t0 = time.monotonic_ns() - b["virtual_ns"]  # with -clock host, time goes on
    m.exit_status = b["exit_status"]
    m.killed = b["killed"]
    m.booted = b["booted"]
    # (States of one hart made before -smp hold no turn: theirs is always hart 0's.)
    m.turn = b.get("turn", 0)
    m.turn_left = b.get("turn_left", m.config.quantum)
    for h, state in zip(m.harts[1:], b.get("harts", ()), strict=True):
        _set_hart_state(h, state)


def capture(m: Board) -> State:
    """The state of machine `m`, stopped between two instructions."""
    return State(
        ram_size=m.config.ram_size,
        icount_shift=m.config.icount_shift,
        pages=nonzero_pages(m.ram),
        rom=bytes(m.rom_data),
        hart=_hart_state(m.hart),
        devices={name: dev.state() for name, dev in _devices(m).items()},
        board=_board_state(m),
    )


def restore(m: Board, s: State, recorder: History | None = None) -> None:
    """Put machine `m` in state `s`.  Raises StateMismatch when `s` was taken on a machine
    of another shape; `m` is unchanged then.  `recorder`: the machine's history, if on."""
    if s.format != FORMAT:
        raise StateMismatch(f"the state has format {s.format}; this rvirt reads format "
                            f"{FORMAT}")
    if s.ram_size != m.config.ram_size:
        raise StateMismatch(f"the state is of a machine with {s.ram_size >> 20}M of RAM; "
                            f"this one has {m.config.ram_size >> 20}M")
    if s.icount_shift != m.config.icount_shift:
        raise StateMismatch(f"the state is of a machine with icount shift "
                            f"{s.icount_shift}; this one has {m.config.icount_shift}")
    harts = 1 + len(s.board.get("harts", ()))
    if harts != len(m.harts):
        raise StateMismatch(f"the state is of a machine with {harts} hart(s); this one has "
                            f"{len(m.harts)} (-smp)")
    devices = _devices(m)
    if set(devices) != set(s.devices):
        missing = sorted(set(devices) ^ set(s.devices))
        raise StateMismatch(f"the state's devices differ from this machine's "
                            f"({', '.join(missing)}: HTIF comes with tohost/fromhost symbols)")
    m.drop_translations()  # RAM is rewritten behind the translator
    ram = m.ram
    # Zero what is non-zero now and not in the state, then write the state's pages: pages
    # neither touched keep costing nothing.
    for n in nonzero_pages(ram):
        if n not in s.pages:
            ram[n * PAGE:(n + 1) * PAGE] = _ZERO_PAGE
    for n, data in s.pages.items():
        ram[n * PAGE:n * PAGE + len(data)] = data
    m.rom_data[:] = s.rom
    _set_hart_state(m.hart, s.hart)
    for name, dev in devices.items():
        dev.set_state(s.devices[name])
    _set_board_state(m, s.board)
    if recorder is not None:
        # The machine jumped to another state: what was recorded leads elsewhere, so
        # history starts again here.
        recorder.restart()


# --- reverse execution: snapshots + a log of outside input + deterministic replay ----------

# Steps of history (see Board.position) between two snapshots at most: a reverse step
# replays at most this many from the snapshot before it.  Slow code (trap-heavy, or on the
# interpreter) gets snapshots closer together, so that replaying an interval takes about
# REPLAY_SECONDS; bench/reverse.py measures the choice.
INTERVAL = 1 << 20
MIN_INTERVAL = 1 << 13
REPLAY_SECONDS = 0.1
# Past this much snapshot data, neighbouring snapshots are merged (every other one goes),
# so a long run keeps its whole history in bounded memory, at coarser spacing.
MEMORY_LIMIT = 128 << 20
_SNAPSHOT_OVERHEAD = 2048  # bytes of registers and device state per snapshot, roughly


@dataclass
class Snapshot:
    """The machine at one point of history.  `pages` are the RAM pages written since
    the snapshot before (every non-zero page for the first one); `rom` is the boot ROM
    when it changed (or first).  `cursor`: how many log events had happened."""

    pos: int
    cursor: int
    pages: dict[int, bytes | memoryview]
    rom: bytes | None
    hart: dict[str, Any]
    devices: dict[str, dict[str, Any]]
    board: dict[str, Any]
    # Whether data addresses were translated (Sv32) at any time since the snapshot before:
    # if not, `pages` says exactly which physical words the stores of that stretch could
    # have hit.
    paged: bool = True


@dataclass(frozen=True)
class Event:
    """Something from outside the machine at position `pos`, which a replay does again
    there: "input" (console bytes for UART0; `addr` is the machine's idle_ns then),
    "memory" (a debugger write at `addr`),
    "register" (a debugger write of register `addr`), "reset" (the debugger's system
    reset), "step" (the debugger single-stepped the instruction at pos: interrupts and
    timers masked, so a replay must step it the same way).  `hart`: the hart a register
    write or a step was for."""

    pos: int
    kind: str
    addr: int = 0
    data: bytes = b""
    hart: int = 0


class History:
    """Reverse execution for one board (MachineTarget.enable_history).

    Pages are tracked with the hart's per-page watch flags, which every store path
    (the RAM accessors, the MMU's, translated blocks' inlined stores) already tests:
    a flagged page reports its first store after a snapshot, which clears the flag, so
    later stores there cost nothing.  Pages a device watches (HTIF) keep their flag.

    Invariant: the machine's RAM is that of snapshot `base` except in the pages of
    `dirty`, and its state is the one the log leads to at its position: replaying from a
    snapshot gives the same states again, because time is virtual and everything else
    that comes from outside is in `events`, applied when the replay reaches its position
    (events[:cursor] have been).  `end` is the furthest position reached: below it the
    machine is in the past, and going forward replays the log.
    """

    def __init__(self, m: Board, interval: int = INTERVAL,
                 memory_limit: int = MEMORY_LIMIT) -> None:
        self.m = m
        h = m.hart
        self.interval = interval
        self.replay_seconds = REPLAY_SECONDS
        self.memory_limit = memory_limit
        self._watch = h.watch_pages
        self._ram_base = h.ram_base
        self._size = len(h.ram)
        self._device_pages = {i for i, flag in enumerate(self._watch) if flag}
        self._device_hook = h.on_watched_write
        for each in m.harts:  # the harts share the page flags; each reports its stores
            each.on_watched_write = self._stored
        self._held = bytearray()  # console input typed while in the past
        # The machine's hooks: a system reset rewrites RAM; the debugger and HTIF write
        # memory from outside the hart.
        m.on_ram_rewritten.append(self.ram_rewritten)
        m.on_outside_write.append(self.written)
        if m.semihost is not None:  # a replay gets semihosting's answers from its log
            m.semihost.record()
        self.restart()

    def restart(self) -> None:
        """Forget everything: history starts at the machine's state now."""
        self.dirty: set[int] = set()
        self._rom_dirty = False
        self.events: list[Event] = []
        self.cursor = 0
        self.snaps: list[Snapshot] = []
        self._positions: list[int] = []
        self._versions: dict[int, list[int]] = {}  # page -> snapshots that hold it
        self._bytes = 0
        self.base = 0
        self.end = self.m.position
        self.spacing = self.interval  # steps to the next snapshot, from the speed seen
        self._run_seconds = 0.0  # live running since the last snapshot
        self._watch[:] = b"\x01" * len(self._watch)
        self._take(full=True)

    # --- page tracking ------------------------------------------------------------------
    def _mark(self, page: int) -> None:
        self.dirty.add(page)
        if page not in self._device_pages:
            self._watch[page] = 0

    def _stored(self, pa: int, n: int) -> None:
        """The hart's report of a store to a flagged page (its first since a snapshot,
        or one to a page a device watches)."""
        o = pa - self._ram_base
        first = o >> 12
        last = (min(o + n, self._size) - 1) >> 12
        self._mark(first)
        if last != first:
            self._mark(last)
        dev = self._device_pages
        if dev and (first in dev or last in dev):
            self._device_hook(pa, n)

    def written(self, pa: int, n: int) -> None:
        """n bytes written at physical pa from outside the hart (debugger, HTIF)."""
        o = pa - self._ram_base
        if 0 <= o < self._size:
            for page in range(o >> 12, ((min(o + n, self._size) - 1) >> 12) + 1):
                self._mark(page)
        elif n:
            self._rom_dirty = True  # the debugger may write the boot ROM, as QEMU's can

    def ram_rewritten(self) -> None:
        """A system reset rewrites RAM wholesale: every page that may hold data (any a
        snapshot holds, and the images') may differ now."""
        m = self.m
        pages = set(self._versions) | self.dirty
        for addr, data in m.placed:
            o = addr - self._ram_base
            if 0 <= o < self._size:
                pages.update(range(o >> 12, ((o + len(data) - 1) >> 12) + 1))
        o = m.fdt_addr - self._ram_base
        if 0 <= o < self._size:
            pages.update(range(o >> 12, min(o + len(m.dtb) - 1, self._size - 1) // PAGE + 1))
        for page in pages:
            self._mark(page)
        self._rom_dirty = True

    # --- snapshots ----------------------------------------------------------------------
    def _copy_dirty(self) -> dict[int, bytes | memoryview]:
        """The dirty pages, copied into one block (views of it per page; zero pages all
        share one object).  One large allocation per snapshot goes back to the system
        whole once merging has replaced all its pages, where thousands of page-sized
        ones would leave the heap fragmented."""
        ram = self.m.ram
        pages: dict[int, bytes | memoryview] = {}
        kept = []
        for p in sorted(self.dirty):
            if ram[p * PAGE:(p + 1) * PAGE] == _ZERO_PAGE:
                pages[p] = _ZERO_PAGE
            else:
                kept.append(p)
        view = memoryview(b"".join(ram[p * PAGE:(p + 1) * PAGE] for p in kept))
        for i, p in enumerate(kept):
            pages[p] = view[i * PAGE:(i + 1) * PAGE]
        return pages

    def _take(self, full: bool = False) -> None:
        m = self.m
        if self._positions and self._run_seconds > 0:
            rate = (m.position - self._positions[-1]) / self._run_seconds
            self.spacing = int(min(self.interval,
                                   max(MIN_INTERVAL, rate * self.replay_seconds)))
        self._run_seconds = 0.0
        pages: dict[int, bytes | memoryview] = (
            dict(nonzero_pages(m.ram)) if full else self._copy_dirty())
        for p in self.dirty:
            if p not in self._device_pages:
                self._watch[p] = 1
        self.dirty.clear()
        rom = bytes(m.rom_data) if full or self._rom_dirty else None
        self._rom_dirty = False
        paged = False
        for h in m.harts:
            paged = paged or h.paged or h.mmu.data_on
            h.paged = h.mmu.data_on
        snap = Snapshot(m.position, self.cursor, pages, rom, _hart_state(m.hart),
                        {name: dev.state() for name, dev in _devices(m).items()},
                        _board_state(m), paged=paged or full)
        index = len(self.snaps)
        self.snaps.append(snap)
        self._positions.append(snap.pos)
        for p in pages:
            self._versions.setdefault(p, []).append(index)
        self._bytes += _snapshot_bytes(pages.values()) + _state_bytes(snap)
        self.base = index
        if self._bytes > self.memory_limit:
            self._thin()

    def _due(self) -> int:
        """Where the next snapshot is due."""
        return self._positions[-1] + min(self.spacing, self.interval)

    def _thin(self) -> None:
        """Merge every other snapshot (not the first or the last) into the next one,
        until the snapshots fit the memory limit (or only two are left)."""
        while self._bytes > self.memory_limit and len(self.snaps) > 2:
            snaps = self.snaps
            kept = [snaps[0]]
            for j in range(1, len(snaps)):
                s = snaps[j]
                if j % 2 and j < len(snaps) - 1:
                    later = snaps[j + 1]
                    later.pages = {**s.pages, **later.pages}
                    later.paged = later.paged or s.paged
                    if later.rom is None:
                        later.rom = s.rom
                    continue
                kept.append(s)
            self.snaps = kept
            self._reindex()

    def _reindex(self) -> None:
        self._positions = [s.pos for s in self.snaps]
        self._versions = {}
        for index, s in enumerate(self.snaps):
            for p in s.pages:
                self._versions.setdefault(p, []).append(index)
        self._bytes = (_snapshot_bytes(d for s in self.snaps for d in s.pages.values())
                       + sum(_state_bytes(s) for s in self.snaps))
        self.base = min(self.base, len(self.snaps) - 1)

    def _page_at(self, page: int, k: int) -> bytes | memoryview:
        """Page `page` of RAM as it was in snapshot k."""
        versions = self._versions.get(page)
        if versions:
            i = bisect_right(versions, k) - 1
            if i >= 0:
                return self.snaps[versions[i]].pages[page]
        return _ZERO_PAGE

    def _restore(self, k: int) -> None:
        """Put the machine in the state of snapshot k, rewriting only the pages that
        can differ: those written since the base snapshot, and those the snapshots
        between the two hold."""
        m = self.m
        s = self.snaps[k]
        lo, hi = sorted((self.base, k))
        changed = set(self.dirty)
        rom_changed = self._rom_dirty
        for j in range(lo + 1, hi + 1):
            changed.update(self.snaps[j].pages)
            rom_changed = rom_changed or self.snaps[j].rom is not None
        ram = m.ram
        code = m.hart.code_pages
        stale = False
        for p in changed:
            data = self._page_at(p, k)
            lo_b = p * PAGE
            if ram[lo_b:lo_b + len(data)] != data:
                # Translated code is kept across restores (translating it again would
                # cost more than most replays) unless its page really changes.
                stale = stale or bool(code[p])
                ram[lo_b:lo_b + len(data)] = data
        if stale:
            m.drop_translations()
        if rom_changed:
            for j in range(k, -1, -1):
                rom = self.snaps[j].rom
                if rom is not None:
                    m.rom_data[:] = rom
                    break
        for p in self.dirty:
            if p not in self._device_pages:
                self._watch[p] = 1
        self.dirty.clear()
        self._rom_dirty = False
        _set_hart_state(m.hart, s.hart)
        for name, dev in _devices(m).items():
            dev.set_state(s.devices[name])
        _set_board_state(m, s.board)
        self.base = k
        self.cursor = s.cursor

    # --- the log ------------------------------------------------------------------------
    def _log(self, kind: str, addr: int = 0, data: bytes = b"", hart: int = 0) -> None:
        self.events.append(Event(self.m.position, kind, addr, data, hart))
        self.cursor = len(self.events)

    def _do(self, e: Event) -> None:
        m = self.m
        if e.kind == "input":
            m.idle_ns = e.addr
            m.uart.receive(e.data)
        elif e.kind == "memory":
            m.write_memory(e.addr, e.data)
        elif e.kind == "register":
            m.write_register(e.addr, int.from_bytes(e.data, "little"), e.hart)
        elif e.kind == "reset":
            m.reset(step=False)

    def _apply(self, pos: int) -> bool:
        """Do the logged events at pos not done yet; True if a "step" event is next."""
        events = self.events
        c = self.cursor
        while c < len(events) and events[c].pos <= pos and events[c].kind != "step":
            self._do(events[c])
            c += 1
        self.cursor = c
        return c < len(events) and events[c].pos == pos

    def _truncate(self) -> None:
        """A change made in the past: the recorded future is dropped (as gdb's record
        does), and the machine is at the end of history from here on."""
        pos = self.m.position
        if pos >= self.end:
            return
        del self.events[self.cursor:]
        k = bisect_right(self._positions, pos)
        if k < len(self.snaps):
            del self.snaps[k:]
            self._reindex()
        self.end = pos

    @property
    def in_past(self) -> bool:
        return self.m.position < self.end

    # --- running forward ----------------------------------------------------------------
    def _forward(self, limit: int) -> Stop | None:
        """Run to position `limit`: along the log in the past, live past its end (taking
        snapshots when due).  Returns a stop the machine reports (breakpoint, watchpoint,
        exit) or None at `limit` (or when the hart waits with nothing to wake it).  A
        breakpoint at the starting pc does not stop, as with Board.resume."""
        m = self.m
        first = True
        while True:
            pos = m.position
            step_next = self._apply(pos)
            if pos >= limit:
                return None
            live = pos >= self.end
            if live:
                if self._held:
                    data = bytes(self._held)
                    self._held.clear()
                    self.console_input(data)
                if pos >= self._due():
                    self._take()
                cap = min(limit, self._due())
            else:
                k = bisect_right(self._positions, pos) - 1
                snap = self.snaps[k]
                if snap.pos == pos and snap.cursor == self.cursor and k != self.base:
                    # the state of snapshot k again: RAM differs from it nowhere
                    for p in self.dirty:
                        if p not in self._device_pages:
                            self._watch[p] = 1
                    self.dirty.clear()
                    self._rom_dirty = False
                    self.base = k
                cap = min(limit, self.end)
                if k + 1 < len(self._positions):
                    cap = min(cap, self._positions[k + 1])
                if self.cursor < len(self.events):
                    cap = min(cap, max(pos + 1, self.events[self.cursor].pos))
            if not first and m.breakpoints:
                pc = _next_pc(m)
                if pc in m.breakpoints:
                    return Stop("breakpoint", pc)
            first = False
            if step_next:
                m.replaying = not live
                try:
                    stop = m.step(self.events[self.cursor].hart)
                finally:
                    m.replaying = False
                if m.position == pos:  # a watchpoint stopped it before the access
                    return stop
                self.cursor += 1
                if stop.kind != "step":
                    return stop
                continue
            m.pos_limit = cap
            # What the guest prints in the past was printed when it ran live: a replay
            # (a reverse step, a continue through recorded history) prints nothing
            # again, and an idle wait there takes no real time.
            m.replaying = not live
            t = perf_counter()
            try:
                stop = m.resume(1 << 62)
            finally:
                m.pos_limit = None
                m.replaying = False
            if live:
                self._run_seconds += perf_counter() - t
                self.end = max(self.end, m.position)
            if stop is not None:
                return stop
            if m.position == pos and m.next_hart is None:
                return None

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """No breakpoint or watchpoint stops: for history's own moves."""
        m = self.m
        bps, watches = m.breakpoints, list(m.watchpoints)
        m.breakpoints = set()
        if watches:
            m.watchpoints.clear()
            for h in m.harts:
                h.set_watchpoints([])
        try:
            yield
        finally:
            m.breakpoints = bps
            if watches:
                m.watchpoints[:] = watches
                for h in m.harts:
                    h.set_watchpoints(watches)

    def _seek(self, target: int) -> None:
        """Put the machine at position `target` of the recorded history."""
        pos = self.m.position
        k = bisect_right(self._positions, target) - 1
        if not self._positions[k] <= pos <= target:
            self._restore(k)
        with self._quiet():
            self._forward(target)

    # --- the facade (MachineTarget forwards these) --------------------------------------------
    def resume(self, max_instructions: int) -> Stop | None:
        m = self.m
        start = m.position
        try:
            return self._forward(start + max(1, max_instructions))
        finally:
            m.progress = m.position - start

    def step(self, hart: int = 0) -> Stop:
        m = self.m
        pos = m.position
        if pos < self.end:
            # forward in the past: the recorded next step, whatever it was
            stop = self._forward(pos + 1)
            return stop if stop is not None else Stop("step")
        if pos >= self._due():
            self._take()
        stop = m.step(hart)
        if m.position > pos:
            self.events.append(Event(pos, "step", hart=hart))
            self.cursor = len(self.events)
            self.end = m.position
        return stop

    def reverse_step(self) -> Stop:
        """Exactly one step back: the state at position - 1."""
        pos = self.m.position
        if pos <= self._positions[0]:
            return Stop("history-start")
        self._seek(pos - 1)
        return Stop("step")

    def reverse_continue(self, past_access: bool = False,
                         interrupted: Callable[[], bool] | None = None) -> Stop:
        """Back to the latest point before now where a forward run would have stopped
        (a breakpoint at pc, an access a watchpoint covers, stopped before it; with
        `past_access`, just after that access), or to the start of history.  Each
        interval between two snapshots is replayed from its snapshot with the stops on,
        latest interval first.  `interrupted` is asked between two intervals: when it
        says yes (Ctrl-C), the search ends at the start of the last interval searched,
        with Stop("interrupt")."""
        m = self.m
        now = m.position
        if m.breakpoints or m.watchpoints:
            hi = now
            k = bisect_right(self._positions, now - 1) - 1
            while k >= 0:
                if interrupted is not None and hi < now and interrupted():
                    self._seek(hi)
                    return Stop("interrupt")
                if self._no_write_to_watched(k):
                    hi = self._positions[k]
                    k -= 1
                    continue
                self._restore(k)
                found = self._last_stop(hi)
                if found is not None:
                    q, stop = found
                    self._seek(q + 1 if past_access and stop.kind == "watch" else q)
                    return stop
                hi = self._positions[k]
                k -= 1
        self._seek(self._positions[0])
        return Stop("history-start")

    def _no_write_to_watched(self, k: int) -> bool:
        """Whether nothing a forward run would stop at can lie between snapshots k and
        k + 1, without replaying: only write watchpoints are set, the stretch used
        physical addresses only, and the snapshot after it holds none of their pages
        (it holds every page written in the stretch)."""
        m = self.m
        if m.breakpoints or k + 1 >= len(self.snaps):
            return False
        later = self.snaps[k + 1]
        if later.paged:
            return False
        for kind, addr, length in m.watchpoints:
            o = addr - self._ram_base
            if kind != "watch" or not 0 <= o or o + length > self._size:
                return False
            if any(p in later.pages for p in range(o >> 12, ((o + length - 1) >> 12) + 1)):
                return False
        return True

    def _last_stop(self, hi: int) -> tuple[int, Stop] | None:
        """From where the machine is, run to position hi with the stops on; the last
        stop before hi and its position."""
        m = self.m
        last = None
        pc = _next_pc(m)
        if m.breakpoints and pc in m.breakpoints:
            last = (m.position, Stop("breakpoint", pc))
        while m.position < hi:
            stop = self._forward(hi)
            if stop is None or stop.kind == "exited":
                break
            q = m.position
            last = (q, stop)
            if stop.kind == "watch":
                with self._quiet():  # past the access, on to the next stop
                    self._forward(q + 1)
        return last

    def write_register(self, regnum: int, value: int, hart: int = 0) -> bool:
        self._truncate()
        ok = self.m.write_register(regnum, value, hart)
        if ok:
            self._log("register", regnum, (value & MASK).to_bytes(XLEN // 8, "little"),
                      hart)
        return ok

    def write_memory(self, addr: int, data: bytes) -> bool:
        self._truncate()
        ok = self.m.write_memory(addr, data)
        self._log("memory", addr, bytes(data))
        return ok

    def debug_reset(self) -> None:
        self._truncate()
        self.m.reset(step=False)
        self._log("reset")

    def console_input(self, data: bytes) -> None:
        """Console bytes: to the UART now at the end of history, logged at this
        position; typed while in the past, held until the replay reaches the end."""
        if self.in_past:
            self._held += data
            return
        self.m.console_input(data)
        # With the virtual time it came at: during a real-time idle wait that is not what
        # a replay would compute (Board.set_input_wait), so the replay takes it from here.
        self._log("input", self.m.idle_ns, bytes(data))

    # --- figures ------------------------------------------------------------------------
    @property
    def start(self) -> int:
        return self._positions[0]

    def memory_bytes(self) -> int:
        """Bytes the history holds: snapshot pages and state, and the log."""
        return self._bytes + sum(len(e.data) + 64 for e in self.events)

    def info(self) -> str:
        """`monitor info history`."""
        pos = self.m.position
        pages = len({id(d) for s in self.snaps for d in s.pages.values()})
        lines = [
            f"recorded: positions {self.start}..{self.end} "
            f"({self.end - self.start} instructions and traps)",
            f"position: {pos}" + (f" ({self.end - pos} behind the end of history)"
                                  if pos < self.end else " (at the end of history)"),
            f"snapshots: {len(self.snaps)}, one every {min(self.spacing, self.interval)} "
            f"steps now, {pages} distinct pages",
            f"log: {len(self.events)} events (console input, debugger writes and steps)",
            f"memory: {self.memory_bytes() / (1 << 20):.1f} MiB",
        ]
        return "\n".join(lines) + "\n"


def _next_pc(m: Board) -> int | None:
    """The pc of the instruction the machine runs next (of the hart whose turn it is)."""
    i = m.next_hart
    return None if i is None else m.harts[i].pc


def _snapshot_bytes(pages: Iterable[bytes | memoryview]) -> int:
    """Bytes held by these pages: each block they are views of counts once, whole (a
    merge may leave only some of its pages in use); the shared zero page is free."""
    blocks: dict[int, int] = {}
    for d in pages:
        if d is _ZERO_PAGE:
            continue
        obj = d.obj if isinstance(d, memoryview) else d
        blocks[id(obj)] = len(obj)
    return sum(blocks.values())


def _state_bytes(s: Snapshot) -> int:
    return (len(s.rom) if s.rom is not None else 0) + _SNAPSHOT_OVERHEAD
