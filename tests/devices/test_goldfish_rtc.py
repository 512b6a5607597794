"""Goldfish RTC: time registers, alarm, interrupt gating, reset (QEMU 7.2
hw/rtc/goldfish_rtc.c)."""

from __future__ import annotations

import pytest

from rvirt.devices.base import DeviceAccessError
from rvirt.devices.goldfish_rtc import GoldfishRtc, fdt_node

TIME_LOW, TIME_HIGH, ALARM_LOW, ALARM_HIGH = 0x00, 0x04, 0x08, 0x0C
IRQ_ENABLED, CLEAR_ALARM, ALARM_STATUS, CLEAR_INTERRUPT = 0x10, 0x14, 0x18, 0x1C
EPOCH_2024 = 1_704_067_200 * 10**9


class Now:
    def __init__(self, ns: int) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns


def make(ns: int = EPOCH_2024) -> tuple[GoldfishRtc, Now]:
    now = Now(ns)
    return GoldfishRtc(now), now


def read_time(rtc: GoldfishRtc) -> int:
    low = rtc.read(TIME_LOW, 4)
    return rtc.read(TIME_HIGH, 4) << 32 | low


def test_time_is_nanoseconds_since_the_epoch() -> None:
    rtc, now = make()
    assert read_time(rtc) == EPOCH_2024
    now.ns += 1234
    assert read_time(rtc) == EPOCH_2024 + 1234


def test_time_low_read_latches_the_high_half() -> None:
    rtc, now = make(0x0000_0001_FFFF_FFF0)
    assert rtc.read(TIME_LOW, 4) == 0xFFFF_FFF0
    now.ns = 0x0000_0002_0000_0010  # the low word wraps before the high read
    assert rtc.read(TIME_HIGH, 4) == 1  # latched, so the pair stays consistent


def test_writing_time_sets_the_count() -> None:
    rtc, now = make()
    rtc.write(TIME_HIGH, 4, 0x10)
    rtc.write(TIME_LOW, 4, 0x20)
    assert read_time(rtc) == 0x10_0000_0020
    now.ns += 5
    assert read_time(rtc) == 0x10_0000_0025


def arm(rtc: GoldfishRtc, when: int) -> None:
    rtc.write(ALARM_HIGH, 4, when >> 32)
    rtc.write(ALARM_LOW, 4, when & 0xFFFF_FFFF)


def test_alarm_fires_when_the_time_comes() -> None:
    rtc, now = make()
    rtc.write(IRQ_ENABLED, 4, 1)
    arm(rtc, EPOCH_2024 + 1000)
    assert rtc.read(ALARM_STATUS, 4) == 1
    assert rtc.read(ALARM_LOW, 4) == (EPOCH_2024 + 1000) & 0xFFFF_FFFF
    assert rtc.read(ALARM_HIGH, 4) == (EPOCH_2024 + 1000) >> 32
    assert rtc.next_deadline() == EPOCH_2024 + 1000
    now.ns += 999
    rtc.update()
    assert not rtc.irq.level
    now.ns += 1
    rtc.update()
    assert rtc.irq.level
    assert rtc.read(ALARM_STATUS, 4) == 0 and rtc.next_deadline() is None
    rtc.write(CLEAR_INTERRUPT, 4, 0)
    assert not rtc.irq.level


def test_alarm_in_the_past_fires_immediately() -> None:
    rtc, _ = make()
    rtc.write(IRQ_ENABLED, 4, 1)
    arm(rtc, EPOCH_2024 - 1)
    assert rtc.irq.level and rtc.read(ALARM_STATUS, 4) == 0


def test_interrupt_needs_irq_enabled() -> None:
    rtc, _ = make()
    arm(rtc, 0)
    assert not rtc.irq.level  # pending but not enabled
    rtc.write(IRQ_ENABLED, 4, 0xFFFF_FFFF)
    assert rtc.read(IRQ_ENABLED, 4) == 1
    assert rtc.irq.level
    rtc.write(IRQ_ENABLED, 4, 0)
    assert not rtc.irq.level


def test_clear_alarm_disarms() -> None:
    rtc, now = make()
    rtc.write(IRQ_ENABLED, 4, 1)
    arm(rtc, EPOCH_2024 + 10)
    rtc.write(CLEAR_ALARM, 4, 0)
    assert rtc.read(ALARM_STATUS, 4) == 0
    now.ns += 100
    rtc.update()
    assert not rtc.irq.level


def test_alarm_follows_a_moved_clock() -> None:
    rtc, now = make()
    rtc.write(TIME_HIGH, 4, 0)
    rtc.write(TIME_LOW, 4, 0)  # guest time is now 0 while now_ns is in 2024
    arm(rtc, 500)
    assert rtc.next_deadline() == now.ns + 500
    now.ns += 500
    rtc.write(IRQ_ENABLED, 4, 1)
    rtc.update()
    assert rtc.irq.level


def test_write_only_and_unknown_offsets_read_zero() -> None:
    rtc, _ = make()
    for offset in (CLEAR_ALARM, CLEAR_INTERRUPT, 0x20):
        assert rtc.read(offset, 4) == 0
    rtc.write(ALARM_STATUS, 4, 1)
    rtc.write(0x20, 4, 1)
    assert rtc.read(ALARM_STATUS, 4) == 0


@pytest.mark.parametrize(("offset", "size"), [(0, 1), (0, 2), (0, 8), (2, 4), (0x24, 4)])
def test_only_aligned_32_bit_accesses_are_valid(offset: int, size: int) -> None:
    rtc, _ = make()
    with pytest.raises(DeviceAccessError):
        rtc.read(offset, size)
    with pytest.raises(DeviceAccessError):
        rtc.write(offset, size, 0)


def test_reset_clears_alarm_and_interrupt_but_time_runs_on() -> None:
    rtc, _ = make()
    rtc.write(TIME_LOW, 4, 0x1234)
    before = read_time(rtc)
    rtc.write(IRQ_ENABLED, 4, 1)
    arm(rtc, 0)
    assert rtc.irq.level
    arm(rtc, 1 << 62)
    rtc.reset()
    assert not rtc.irq.level
    assert rtc.read(IRQ_ENABLED, 4) == 0 and rtc.read(ALARM_STATUS, 4) == 0
    assert rtc.read(ALARM_LOW, 4) == 0 and rtc.read(ALARM_HIGH, 4) == 0
    assert read_time(rtc) == before


def test_fdt_node() -> None:
    node = fdt_node(0x101000, 0x1000, 11, 3)
    assert node.name == "rtc@101000"
    assert node.get("interrupts") == bytes.fromhex("0000000b")
    assert node.get("interrupt-parent") == bytes.fromhex("00000003")
    assert node.get("compatible") == b"google,goldfish-rtc\0"
