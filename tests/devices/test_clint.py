"""CLINT: msip, mtimecmp/MTIP, mtime against the machine's clock, access sizes, holes
(QEMU 7.2 hw/intc/riscv_aclint.c)."""

from __future__ import annotations

import pytest

from rvirt.devices.base import DeviceAccessError
from rvirt.devices.clint import Clint, aclint_fdt_nodes, fdt_node

MSIP = 0x0000
MTIMECMP = 0x4000
MTIMECMPH = 0x4004
MTIME = 0xBFF8
MTIMEH = 0xBFFC


class Clock:
    def __init__(self, ticks: int = 0) -> None:
        self.ticks = ticks

    def __call__(self) -> int:
        return self.ticks


def make(ticks: int = 0) -> tuple[Clint, Clock]:
    clock = Clock(ticks)
    return Clint(clock), clock


def test_power_on_mtip_pending_msip_clear_mtime_zero() -> None:
    clint, _ = make(12345)  # whatever the clock says, mtime starts at 0
    assert clint.mtip_irq.level is True  # mtimecmp = 0 <= mtime: mip = 0x80 at reset
    assert clint.msip_irq.level is False
    assert clint.read(MTIME, 4) == 0
    assert clint.read(MTIMECMP, 4) == 0 and clint.read(MTIMECMPH, 4) == 0


def test_mtime_follows_the_clock() -> None:
    clint, clock = make()
    clock.ticks = 0x1_2345_6789
    assert clint.read(MTIME, 4) == 0x2345_6789
    assert clint.read(MTIMEH, 4) == 0x1
    assert clint.read(MTIME, 8) == 0x1_2345_6789
    assert clint.mtime() == 0x1_2345_6789


def test_msip_write_and_read_back() -> None:
    clint, _ = make()
    clint.write(MSIP, 4, 1)
    assert clint.msip_irq.level and clint.read(MSIP, 4) == 1
    clint.write(MSIP, 4, 0xFFFF_FFFE)  # only bit 0 counts
    assert not clint.msip_irq.level and clint.read(MSIP, 4) == 0


def test_future_mtimecmp_lowers_mtip_until_the_deadline() -> None:
    clint, clock = make()
    clock.ticks = 100
    clint.write(MTIMECMPH, 4, 0)
    clint.write(MTIMECMP, 4, 150)
    assert not clint.mtip_irq.level
    assert clint.next_deadline() == 150
    clock.ticks = 149
    clint.update()
    assert not clint.mtip_irq.level
    clock.ticks = 150
    clint.update()
    assert clint.mtip_irq.level
    assert clint.next_deadline() is None


def test_mtimecmp_in_the_past_raises_at_once() -> None:
    clint, clock = make()
    clint.write(MTIMECMP, 4, 1000)
    assert not clint.mtip_irq.level
    clock.ticks = 5000
    clint.write(MTIMECMP, 4, 4000)  # below mtime: no update() needed
    assert clint.mtip_irq.level


def test_mtimecmp_halves_and_64_bit_access() -> None:
    clint, _ = make()
    clint.write(MTIMECMP, 8, 0x1122_3344_5566_7788)
    assert clint.read(MTIMECMP, 4) == 0x5566_7788
    assert clint.read(MTIMECMPH, 4) == 0x1122_3344
    assert clint.read(MTIMECMP, 8) == 0x1122_3344_5566_7788
    clint.write(MTIMECMPH, 4, 0xAABB_CCDD)
    assert clint.mtimecmp == 0xAABB_CCDD_5566_7788
    clint.write(MTIMECMP, 4, 1)
    assert clint.mtimecmp == 0xAABB_CCDD_0000_0001
    assert clint.mtimecmp == 0xAABB_CCDD_0000_0001


def test_classic_rv32_timer_update_sequence() -> None:
    # Write -1 to the low word first so no spurious interrupt fires in between.
    clint, clock = make()
    clock.ticks = 10_000
    clint.write(MTIMECMP, 4, 0xFFFF_FFFF)
    clint.write(MTIMECMPH, 4, 0)
    clint.write(MTIMECMP, 4, 20_000)
    assert not clint.mtip_irq.level and clint.next_deadline() == 20_000


def test_writing_mtime_moves_it_and_reevaluates_mtip() -> None:
    clint, clock = make()
    clint.write(MTIMECMP, 4, 1000)
    clock.ticks = 10
    clint.write(MTIME, 4, 2000)  # jump past mtimecmp
    assert clint.mtip_irq.level
    clock.ticks = 15
    assert clint.read(MTIME, 4) == 2005
    clint.write(MTIME, 8, 0)  # back before it
    assert not clint.mtip_irq.level
    assert clint.next_deadline() == 15 + 1000
    clint.write(MTIMEH, 4, 7)
    assert clint.read(MTIME, 8) == 7 << 32
    assert clint.mtip_irq.level


def test_low_word_mtime_write_keeps_the_high_word() -> None:
    clint, clock = make()
    clint.write(MTIME, 8, 0x5_0000_0010)
    clint.write(MTIME, 4, 0x20)
    assert clint.read(MTIME, 8) == 0x5_0000_0020


def test_holes_read_zero_and_ignore_writes() -> None:
    clint, _ = make()
    for offset in (0x4, 0x3FFC, 0x4008, 0x8000, 0xBFF0):
        clint.write(offset, 4, 0xFFFF_FFFF)
        assert clint.read(offset, 4) == 0
    assert not clint.msip_irq.level and clint.mtimecmp == 0


@pytest.mark.parametrize(("offset", "size"), [
    (MSIP, 1), (MSIP, 2), (MSIP, 8), (MSIP + 2, 4),  # MSWI: 32-bit only
    (MTIMECMP, 1), (MTIMECMP, 2), (MTIMECMP + 2, 4),  # MTIMER: 32/64-bit, aligned
    (MTIMECMPH, 8), (MTIMEH, 8),  # a 64-bit access to a high word is unaligned
    (0xC000, 4),  # outside the decoded window
])
def test_invalid_accesses_fault(offset: int, size: int) -> None:
    clint, _ = make()
    with pytest.raises(DeviceAccessError):
        clint.read(offset, size)
    with pytest.raises(DeviceAccessError):
        clint.write(offset, size, 0)


def test_reset_zeroes_mtime_lowers_msip_keeps_mtimecmp() -> None:
    clint, clock = make()
    clint.write(MSIP, 4, 1)
    clint.write(MTIMECMP, 4, 500)
    clock.ticks = 800
    clint.update()
    assert clint.mtip_irq.level
    clint.reset()
    assert clint.read(MTIME, 4) == 0
    assert not clint.msip_irq.level
    assert clint.mtimecmp == 500  # unspecified by the spec; QEMU leaves it
    assert not clint.mtip_irq.level and clint.next_deadline() == 800 + 500


def test_irq_lines_can_be_supplied() -> None:
    from rvirt.devices.base import IrqLine

    mip: dict[str, bool] = {}
    msip = IrqLine(lambda v: mip.__setitem__("msip", v))
    mtip = IrqLine(lambda v: mip.__setitem__("mtip", v))
    clint = Clint(Clock(), msip, mtip)
    assert clint.msip_irq is msip and clint.mtip_irq is mtip
    assert mip == {"mtip": True}
    clint.write(MSIP, 4, 1)
    assert mip == {"mtip": True, "msip": True}


def test_fdt_node() -> None:
    node = fdt_node(0x2000000, 0x10000, [2])
    assert node.name == "clint@2000000"
    assert node.get("interrupts-extended") == bytes.fromhex("00000002 00000003 00000002 00000007")
    assert node.get("compatible") == b"sifive,clint0\0riscv,clint0\0"
    assert node.get("reg") == bytes.fromhex("00000000 02000000 00000000 00010000")


def test_aclint_nodes_as_qemu_writes_them() -> None:
    # aclint=on (create_fdt_socket_aclint): the MSWI's 0x4000 bytes, then the MTIMER's
    # reg as mtime's range (to the end of the 0x10000 window) and the mtimecmp array's.
    mswi, mtimer = aclint_fdt_nodes(0x200_0000, 0x10000, [4, 2])
    assert (mswi.name, mtimer.name) == ("mswi@2000000", "mtimer@2004000")
    assert mswi.get("reg") == bytes.fromhex("00000000 02000000 00000000 00004000")
    assert mswi.get("interrupts-extended") == bytes.fromhex(
        "00000004 00000003 00000002 00000003")
    assert mswi.get("compatible") == b"riscv,aclint-mswi\0"
    assert mtimer.get("reg") == bytes.fromhex(
        "00000000 0200bff8 00000000 00004008 00000000 02004000 00000000 00007ff8")
    assert mtimer.get("interrupts-extended") == bytes.fromhex(
        "00000004 00000007 00000002 00000007")
    assert list(mtimer.props) == ["interrupts-extended", "reg", "compatible"]
