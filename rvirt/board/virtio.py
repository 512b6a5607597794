"""The board's virtio side: each -device on the virtio-mmio transport QEMU 7.2 would
pick, and the guest memory the devices reach by DMA (RAM, with the notifications a
store of the hart makes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.devices.virtio_mmio import Dma
from rvirt.errors import RvirtError

if TYPE_CHECKING:
    from rvirt.board.virt import Board, VirtioSpec
    from rvirt.devices.virtio_blk import VirtioBlk
    from rvirt.devices.virtio_rng import VirtioRng

VIRTIO_KINDS = ("virtio-blk-device", "virtio-rng-device")


def plug_virtio(m: Board, specs: Sequence[VirtioSpec]) -> None:
    """Each virtio device on its transport.  QEMU 7.2 plugs a -device with no bus=
    onto the first free virtio-mmio bus of its search, which meets the transports last
    created first: the highest address (virtio-mmio-bus.7 at 0x10008000) fills first."""
    for spec in specs:
        if spec.kind not in VIRTIO_KINDS:
            raise RvirtError(f"{spec.what}: '{spec.kind}' is not a virtio device rvirt "
                             f"has ({', '.join(VIRTIO_KINDS)})")
        if spec.bus is None:
            free = [i for i, t in enumerate(m.virtio) if t.core is None]
            if not free:
                raise RvirtError(f"{spec.what}: No 'virtio-bus' bus found for device "
                                 f"'{spec.kind}' (all {len(m.virtio)} transports "
                                 f"are in use)")
            bus = free[-1]
        else:
            bus = spec.bus
            if not 0 <= bus < len(m.virtio):
                raise RvirtError(f"{spec.what}: Bus 'virtio-mmio-bus.{bus}' not found")
            if m.virtio[bus].core is not None:
                raise RvirtError(f"{spec.what}: Bus 'virtio-mmio-bus.{bus}' is full")
        # each device's module imported when a device of its kind is plugged: a run
        # without one pays nothing for it (virtio-rng's hashlib, for one)
        if spec.kind == "virtio-blk-device":
            from rvirt.devices.block_image import BlockImage
            from rvirt.devices.virtio_blk import VirtioBlk
            if spec.file is None:
                raise RvirtError(f"{spec.what}: drive property not set")
            image = BlockImage(spec.file, readonly=spec.readonly, snapshot=spec.snapshot,
                               cache=spec.cache, what=spec.what)
            try:
                backend: VirtioBlk | VirtioRng = VirtioBlk(image, spec.serial)
            except BaseException:
                image.close()
                raise
        else:
            from rvirt.devices.virtio_rng import VirtioRng
            backend = VirtioRng()
        m.virtio[bus].plug(backend)


def guest_memory(m: Board) -> Dma:
    """What the devices read and write by DMA."""
    ram = m.ram

    def read(pa: int, n: int) -> bytes:
        o = pa - MM.DRAM_BASE
        return ram[o:o + n]

    def other(pa: int, n: int) -> bytes:
        """What a device reads outside RAM: the boot ROM's bytes, zeros elsewhere (QEMU
        would read a device's registers; no guest has a reason to point a device there)."""
        return m.bus.debug_read(pa, n) or bytes(n)

    def write(pa: int, data: bytes) -> None:
        """A device's write to RAM: told to history (on_outside_write) and to the
        translators, so code a device wrote is fetched afresh, as a store of a hart."""
        n = len(data)
        for hook in m.on_outside_write:
            hook(pa, n)
        o = pa - MM.DRAM_BASE
        ram[o:o + n] = data
        h = m.hart  # (the code-page flags are shared by the harts)
        if n:
            for page in range(o >> 12, ((o + n - 1) >> 12) + 1):
                a = max(o, page << 12) & ~3
                end = min(o + n, (page + 1) << 12)
                while h.code_pages[page] and a < end:
                    h.on_code_write(MM.DRAM_BASE + a)
                    a += 4

    return Dma(MM.DRAM_BASE, len(ram), read, write, other)
