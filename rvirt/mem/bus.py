"""Physical bus: a sorted table of regions (RAM, ROM, devices) with access-size rules.

The hart's fast path reads RAM directly; everything else (ROM, MMIO, holes) comes here.
An address no region decodes raises `BusError`, which the hart turns into an access
fault with tval = the address (QEMU 7.2 `riscv_cpu_do_transaction_failed`).
"""

from __future__ import annotations

import bisect
import mmap
from collections.abc import Callable

from rvirt.devices.base import Device, DeviceAccessError


class BusError(Exception):
    """Nothing decodes this physical address (or the device refused the access).

    `addr` is the first byte of the access that could not be reached: the access's own
    address, or, for one that runs off the end of a region, the end of that region
    (QEMU 7.2 reports that byte in mtval: the portion of the access that faulted)."""

    def __init__(self, addr: int) -> None:
        super().__init__(addr)
        self.addr = addr


class Mapping:
    """One region on the bus (a plain class: start-up paid for a dataclass's methods)."""

    def __init__(self, name: str, base: int, size: int, kind: str,
                 data: bytearray | mmap.mmap | None = None,
                 device: Device | None = None) -> None:
        self.name = name
        self.base = base
        self.size = size
        self.kind = kind  # "ram", "rom" or "io"
        self.data = data  # ram/rom contents
        self.device = device

    def __repr__(self) -> str:
        return f"Mapping({self.name!r}, {self.base:#x}, {self.size:#x}, {self.kind!r})"

    @property
    def end(self) -> int:
        return self.base + self.size


# A watcher of guest accesses the bus does not complete as asked: (kind, is_write, addr,
# size), kind "rejected" (nothing decodes it, or the device refused it) or "rom" (a store
# to ROM, silently dropped).  For the -d guest_errors log and the hints.
Watcher = Callable[[str, bool, int, int], None]


class Bus:
    def __init__(self) -> None:
        self._maps: list[Mapping] = []
        self._bases: list[int] = []
        self.watchers: list[Watcher] = []

    def _report(self, kind: str, write: bool, addr: int, size: int) -> None:
        for watch in self.watchers:
            watch(kind, write, addr, size)

    # --- wiring ----------------------------------------------------------------------
    def _add(self, m: Mapping) -> Mapping:
        for other in self._maps:
            if m.base < other.end and other.base < m.end:
                raise ValueError(f"{m.name} overlaps {other.name}")
        i = bisect.bisect(self._bases, m.base)
        self._maps.insert(i, m)
        self._bases.insert(i, m.base)
        return m

    def add_ram(self, name: str, base: int, data: bytearray | mmap.mmap) -> Mapping:
        return self._add(Mapping(name, base, len(data), "ram", data=data))

    def add_rom(self, name: str, base: int, data: bytearray) -> Mapping:
        return self._add(Mapping(name, base, len(data), "rom", data=data))

    def add_device(self, name: str, base: int, size: int, device: Device) -> Mapping:
        return self._add(Mapping(name, base, size, "io", device=device))

    @property
    def mappings(self) -> list[Mapping]:
        return list(self._maps)

    def find(self, addr: int) -> Mapping | None:
        i = bisect.bisect(self._bases, addr) - 1
        if i >= 0:
            m = self._maps[i]
            if addr < m.end:
                return m
        return None

    def _span(self, addr: int, size: int, write: bool = False) -> Mapping:
        m = self.find(addr)
        if m is None or addr + size > m.end:
            if self.watchers:
                self._report("rejected", write, addr, size)
            raise BusError(addr if m is None else m.end)
        return m

    # --- guest accesses --------------------------------------------------------------
    def load(self, addr: int, size: int) -> int:
        m = self._span(addr, size)
        off = addr - m.base
        if m.data is not None:
            return int.from_bytes(m.data[off:off + size], "little")
        try:
            return m.device.read(off, size)  # type: ignore[union-attr]
        except DeviceAccessError:
            if self.watchers:
                self._report("rejected", False, addr, size)
            raise BusError(addr) from None

    def store(self, addr: int, size: int, value: int) -> None:
        m = self.find(addr)
        if m is not None and m.kind == "ram" and addr + size > m.end:
            # A misaligned store off the end of RAM: QEMU 7.2 stores the bytes that are
            # in RAM, then faults on the first one that is not (the spec lets a faulting
            # misaligned store be partly performed).
            keep = m.end - addr
            m.data[addr - m.base:] = (value & ((1 << (8 * keep)) - 1)).to_bytes(  # type: ignore[index]
                keep, "little")
            if self.watchers:
                self._report("rejected", True, addr, size)
            raise BusError(m.end)
        m = self._span(addr, size, True)
        off = addr - m.base
        if m.kind == "ram":
            m.data[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(  # type: ignore[index]
                size, "little")
        elif m.kind == "rom":
            # QEMU 7.2 drops guest stores to the MROM silently (virt-rv32.md 1)
            if self.watchers:
                self._report("rom", True, addr, size)
            return
        else:
            try:
                m.device.write(off, size, value & ((1 << (8 * size)) - 1))  # type: ignore[union-attr]
            except DeviceAccessError:
                if self.watchers:
                    self._report("rejected", True, addr, size)
                raise BusError(addr) from None

    # --- debugger accesses: RAM and ROM only, no device side effects ------------------
    def debug_read(self, addr: int, length: int) -> bytes | None:
        out = bytearray()
        while length > 0:
            m = self.find(addr)
            if m is None or m.data is None:
                return None
            off = addr - m.base
            n = min(length, m.size - off)
            out += m.data[off:off + n]
            addr += n
            length -= n
        return bytes(out)

    def debug_write(self, addr: int, data: bytes) -> bool:
        """Write RAM/ROM bytes (QEMU's debug write also patches ROM); False if any byte
        has no RAM or ROM behind it (nothing is written then)."""
        pieces = []
        a, rest = addr, memoryview(data)
        while len(rest):
            m = self.find(a)
            if m is None or m.data is None:
                return False
            off = a - m.base
            n = min(len(rest), m.size - off)
            pieces.append((m, off, rest[:n]))
            a += n
            rest = rest[n:]
        for m, off, chunk in pieces:
            m.data[off:off + len(chunk)] = chunk  # type: ignore[index]
        return True
