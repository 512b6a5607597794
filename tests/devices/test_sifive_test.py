"""SiFive test finisher: exit codes, reset request, ignored writes, access sizes."""

from __future__ import annotations

import pytest

from rvirt.devices.base import DeviceAccessError
from rvirt.devices.sifive_test import SifiveTest, fdt_node, fdt_syscon_nodes
from rvirt.errors import MachineExit, MachineReset


def test_fail_exits_with_the_code_bits() -> None:
    with pytest.raises(MachineExit) as info:
        SifiveTest().write(0, 4, 0x0005_3333)
    assert info.value.status == 5


def test_fail_code_uses_all_sixteen_bits() -> None:
    with pytest.raises(MachineExit) as info:
        SifiveTest().write(0, 4, 0xFFFF_3333)
    assert info.value.status == 0xFFFF


def test_pass_ignores_the_code_bits_as_qemu_7_2() -> None:
    with pytest.raises(MachineExit) as info:
        SifiveTest().write(0, 4, 0x0007_5555)
    assert info.value.status == 0


def test_reset_request() -> None:
    with pytest.raises(MachineReset):
        SifiveTest().write(0, 4, 0x7777)


def test_halfword_store_acts_too() -> None:
    with pytest.raises(MachineExit) as info:
        SifiveTest().write(0, 2, 0x5555)
    assert info.value.status == 0


@pytest.mark.parametrize("value", [0, 0x1234, 0x3334, 0x0001_7776, 0x5555_0000])
def test_other_status_values_are_ignored(value: int) -> None:
    SifiveTest().write(0, 4, value)  # must not raise


def test_only_offset_zero_acts() -> None:
    dev = SifiveTest()
    dev.write(4, 4, 0x5555)
    dev.write(0xFFC, 4, 0x3333)
    dev.write(2, 2, 0x7777)


def test_reads_return_zero() -> None:
    dev = SifiveTest()
    assert dev.read(0, 4) == 0
    assert dev.read(0x10, 2) == 0
    assert dev.read(0xFFC, 4) == 0


@pytest.mark.parametrize(("offset", "size"), [(0, 1), (0, 8), (1, 2), (2, 4), (0x1000, 4)])
def test_invalid_accesses_fault(offset: int, size: int) -> None:
    dev = SifiveTest()
    with pytest.raises(DeviceAccessError):
        dev.read(offset, size)
    with pytest.raises(DeviceAccessError):
        dev.write(offset, size, 0x5555)


def test_device_tree_nodes() -> None:
    node = fdt_node(0x100000, 0x1000, 4)
    assert node.name == "test@100000"
    assert node.get("phandle") == (4).to_bytes(4, "big")
    assert node.get("compatible") == b"sifive,test1\0sifive,test0\0syscon\0"
    assert node.get("reg") == bytes.fromhex("00000000 00100000 00000000 00001000")
    poweroff, reboot = fdt_syscon_nodes(4)
    assert poweroff.name == "poweroff" and reboot.name == "reboot"
    assert poweroff.get("value") == (0x5555).to_bytes(4, "big")
    assert reboot.get("value") == (0x7777).to_bytes(4, "big")
    assert poweroff.get("regmap") == reboot.get("regmap") == (4).to_bytes(4, "big")
