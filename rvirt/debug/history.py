"""The whole state of a machine, captured and put back: `capture(machine) -> State` and
`restore(machine, State)`.  Snapshots of the public API (rvirt.api) are made of these, and
the reverse execution to come (checkpoints + deterministic replay) will be too.

A `State` is plain data (ints, bytes, tuples, dicts) and pickles; RAM is kept as its
non-zero 4 KiB pages and zlib-compressed when pickled, so a 128 MiB machine that touched
a few pages pickles to a few KiB.  Derived state (PMP rules, trigger spans, the MMU's
TLB and fast paths, the accessors in use, translated blocks) is not stored: restore
rebuilds it from the stored CSR values, as a CSR write would.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rvirt.board.virt import Machine
    from rvirt.cpu.hart import Hart

__all__ = ["FORMAT", "PAGE", "State", "StateMismatch", "capture", "restore"]

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
        "instret": h.retired(), "offsets": dict(h._offsets),
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

def _devices(m: Machine) -> dict[str, Any]:
    named: dict[str, Any] = {"test": m.test, "clint": m.clint, "plic": m.plic,
                             "uart": m.uart, "rtc": m.rtc}
    for i, dev in enumerate(m.virtio):
        named[f"virtio{i}"] = dev
    if m.htif is not None:
        named["htif"] = m.htif
    return named


def capture(m: Machine) -> State:
    """The state of machine `m`, stopped between two instructions."""
    return State(
        ram_size=m.config.ram_size,
        icount_shift=m.config.icount_shift,
        pages=nonzero_pages(m.ram),
        rom=bytes(m.rom_data),
        hart=_hart_state(m.hart),
        devices={name: dev.state() for name, dev in _devices(m).items()},
        board={"idle_ns": m.idle_ns, "host_epoch_ns": m.host_epoch_ns,
               "virtual_ns": m.virtual_ns(), "exit_status": m.exit_status,
               "killed": m.killed, "booted": m._booted},
    )


def restore(m: Machine, s: State) -> None:
    """Put machine `m` in state `s`.  Raises StateMismatch when `s` was taken on a machine
    of another shape; `m` is unchanged then."""
    if s.format != FORMAT:
        raise StateMismatch(f"the state has format {s.format}; this rvirt reads format "
                            f"{FORMAT}")
    if s.ram_size != m.config.ram_size:
        raise StateMismatch(f"the state is of a machine with {s.ram_size >> 20}M of RAM; "
                            f"this one has {m.config.ram_size >> 20}M")
    if s.icount_shift != m.config.icount_shift:
        raise StateMismatch(f"the state is of a machine with icount shift "
                            f"{s.icount_shift}; this one has {m.config.icount_shift}")
    devices = _devices(m)
    if set(devices) != set(s.devices):
        missing = sorted(set(devices) ^ set(s.devices))
        raise StateMismatch(f"the state's devices differ from this machine's "
                            f"({', '.join(missing)}: HTIF comes with tohost/fromhost symbols)")
    m._drop_translations()  # RAM is rewritten behind the translator
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
    b = s.board
    m.idle_ns = b["idle_ns"]
    m.host_epoch_ns = b["host_epoch_ns"]
    m.host_t0 = time.monotonic_ns() - b["virtual_ns"]  # with -clock host, time goes on
    m.exit_status = b["exit_status"]
    m.killed = b["killed"]
    m._booted = b["booted"]
