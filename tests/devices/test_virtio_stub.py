"""Empty virtio-mmio slot: identification registers as QEMU answers with no backend."""

from __future__ import annotations

import pytest

from rvirt.devices.base import DeviceAccessError
from rvirt.devices.virtio_stub import VirtioStub, fdt_node


def test_identification_registers() -> None:
    dev = VirtioStub()
    assert dev.read(0x0, 4) == 0x74726976  # "virt"
    assert dev.read(0x4, 4) == 1  # legacy
    assert dev.read(0x8, 4) == 0  # device ID 0: empty slot
    assert dev.read(0xC, 4) == 0x554D4551  # "QEMU"


def test_everything_else_reads_zero() -> None:
    dev = VirtioStub()
    for offset in (0x10, 0x34, 0x70, 0x100, 0x1FC):
        assert dev.read(offset, 4) == 0


def test_narrow_reads_see_the_low_bytes() -> None:
    dev = VirtioStub()
    assert dev.read(0x0, 1) == 0x76
    assert dev.read(0x0, 2) == 0x6976
    assert dev.read(0x1, 1) == 0  # not a register offset
    assert dev.read(0xC, 2) == 0x4551


def test_writes_are_ignored() -> None:
    dev = VirtioStub()
    dev.write(0x0, 4, 0)
    dev.write(0x70, 4, 0xFF)
    assert dev.read(0x0, 4) == 0x74726976 and dev.read(0x70, 4) == 0


@pytest.mark.parametrize(("offset", "size"), [(0, 8), (2, 4), (0x200, 4), (0x1FE, 4)])
def test_invalid_accesses_fault(offset: int, size: int) -> None:
    with pytest.raises(DeviceAccessError):
        VirtioStub().read(offset, size)


def test_fdt_node() -> None:
    node = fdt_node(0x10008000, 0x1000, 8, 3)
    assert node.name == "virtio_mmio@10008000"
    assert node.get("interrupts") == bytes.fromhex("00000008")
    assert node.get("compatible") == b"virtio,mmio\0"
    assert node.get("reg") == bytes.fromhex("00000000 10008000 00000000 00001000")
