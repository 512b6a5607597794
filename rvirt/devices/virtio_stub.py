"""An empty virtio-mmio transport slot (eight of them at 0x10001000..0x10008000).

Behaves like QEMU 7.2 `hw/virtio/virtio-mmio.c` with no backend plugged in (ref
virt-rv32.md 3.6): magic, legacy version 1 and vendor read back, device ID 0 tells the
guest the slot is empty, everything else reads 0 and writes are dropped.  Also owns the
slot's device-tree node.
"""

from __future__ import annotations

from rvirt.devices.base import Device, DeviceAccessError
from rvirt.fdt import Node, u64

MAGIC_VALUE = 0x74726976  # "virt"
VERSION_LEGACY = 1  # QEMU's force-legacy default
VENDOR_ID = 0x554D4551  # "QEMU"
WINDOW = 0x200  # what QEMU maps per slot

_REGISTERS = {0x000: MAGIC_VALUE, 0x004: VERSION_LEGACY, 0x008: 0, 0x00C: VENDOR_ID}


class VirtioStub(Device):
    """Read-only identification registers of an empty slot.

    Accesses are 1 to 4 bytes, naturally aligned (QEMU's default `valid` sizes); a
    narrow read returns the low bytes of the 32-bit register at that offset, as QEMU's
    access-size adjustment does (offsets not 4-aligned read 0).
    """

    name = "virtio_mmio"

    def _check(self, offset: int, size: int) -> None:
        if not 1 <= size <= 4 or offset & (size - 1) or not 0 <= offset <= WINDOW - size:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        return _REGISTERS.get(offset, 0) & ((1 << (8 * size)) - 1)

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)  # no backend: the write goes nowhere


def fdt_node(base: int, size: int, irq: int, plic_phandle: int) -> Node:
    """`/soc/virtio_mmio@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_virtio` writes it."""
    return Node(f"virtio_mmio@{base:x}", [
        ("interrupts", irq),
        ("interrupt-parent", plic_phandle),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", "virtio,mmio"),
    ])
