"""A small virtio driver for the device tests: guest RAM as a bytearray, a transport with a
device plugged, one queue of 8 set up (legacy or modern), chains posted by hand."""

from __future__ import annotations

import struct

from rvirt.devices.virtio_mmio import Backend, Dma, VirtioMmio

RAM_BASE = 0x8000_0000
RAM_SIZE = 1 << 16
NUM = 8
RING = RAM_BASE  # desc at +0, avail at +128, used at +4096 (legacy layout with align 4096)
AVAIL = RING + 16 * NUM
USED = RING + 4096
DATA = RAM_BASE + 0x4000  # buffers from here
NEXT, WRITE, INDIRECT = 1, 2, 4


class Guest:
    def __init__(self, backend: Backend, *, modern: bool = False,
                 features: int = (1 << 28) | (1 << 29)) -> None:
        self.ram = bytearray(RAM_SIZE)
        self.errors: list[str] = []
        self.rom = bytes(range(256)) * 16  # "ROM" at 0x1000, what reads outside RAM see
        dma = Dma(RAM_BASE, RAM_SIZE, self._read, self._write, self._other)
        self.dev = VirtioMmio(dma, legacy=not modern, warn=self.errors.append)
        self.dev.plug(backend)
        self.modern = modern
        self.avail_idx = 0
        self.setup(features)

    # guest memory
    def _contains(self, pa: int, n: int) -> bool:
        return n >= 0 and RAM_BASE <= pa and pa + n <= RAM_BASE + RAM_SIZE

    def _read(self, pa: int, n: int) -> bytes:
        return bytes(self.ram[pa - RAM_BASE:pa - RAM_BASE + n])

    def _other(self, pa: int, n: int) -> bytes:
        o = pa - 0x1000
        return self.rom[o:o + n] if 0 <= o and o + n <= len(self.rom) else bytes(n)

    def _write(self, pa: int, data: bytes) -> None:
        self.ram[pa - RAM_BASE:pa - RAM_BASE + len(data)] = data

    def poke(self, pa: int, data: bytes) -> None:
        assert self._contains(pa, len(data))
        self._write(pa, data)

    def peek(self, pa: int, n: int) -> bytes:
        assert self._contains(pa, n)
        return self._read(pa, n)

    # registers
    def r(self, off: int) -> int:
        return self.dev.read(off, 4)

    def w(self, off: int, value: int) -> None:
        self.dev.write(off, 4, value)

    def setup(self, features: int) -> None:
        self.w(0x70, 0)
        self.w(0x70, 3)
        self.w(0x24, 0)
        self.w(0x20, features & 0xFFFFFFFF)
        if self.modern:
            self.w(0x24, 1)
            self.w(0x20, 1)  # VERSION_1
            self.w(0x70, 0xB)
        self.w(0x30, 0)
        self.w(0x38, NUM)
        if self.modern:
            for off, addr in ((0x80, RING), (0x90, AVAIL), (0xA0, USED)):
                self.w(off, addr)
                self.w(off + 4, 0)
            self.w(0x44, 1)
        else:
            self.w(0x28, 4096)
            self.w(0x3C, 4096)
            self.w(0x40, RING >> 12)
        self.w(0x70, self.r(0x70) | 4)

    # rings
    def desc(self, i: int, addr: int, length: int, flags: int = 0, nxt: int = 0,
             table: int = RING) -> None:
        self.poke(table + 16 * i, struct.pack("<QIHH", addr, length & 0xFFFFFFFF, flags, nxt))

    def post(self, head: int = 0, count: int = 1) -> None:
        """`count` entries naming `head` made available, then the queue notified."""
        for _ in range(count):
            self.poke(AVAIL + 4 + 2 * (self.avail_idx % NUM), struct.pack("<H", head))
            self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.poke(AVAIL + 2, struct.pack("<H", self.avail_idx))
        self.w(0x50, 0)

    def used_idx(self) -> int:
        return int(struct.unpack("<H", self.peek(USED + 2, 2))[0])

    def used(self, n: int) -> tuple[int, int]:
        """(id, len) of used element n."""
        return struct.unpack("<II", self.peek(USED + 4 + 8 * (n % NUM), 8))  # type: ignore[return-value]

    @property
    def broken(self) -> bool:
        assert self.dev.core is not None
        return self.dev.core.broken
