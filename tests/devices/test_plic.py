"""PLIC: priorities, gateway, enables, thresholds, claim/complete, outputs, access rules
(QEMU 7.2.22 hw/intc/sifive_plic.c as virt configures it)."""

from __future__ import annotations

import pytest

from rvirt.devices.base import DeviceAccessError, IrqLine
from rvirt.devices.plic import Plic, fdt_node
from rvirt.devices.uart16550 import Uart16550

PENDING = 0x1000
ENABLE_M = 0x2000
ENABLE_S = 0x2080
THRESHOLD_M = 0x200000
CLAIM_M = 0x200004
THRESHOLD_S = 0x201000
CLAIM_S = 0x201004


def prio(n: int) -> int:
    return 4 * n


def make() -> Plic:
    return Plic()


def enable(plic: Plic, *sources: int, context: int = 0) -> None:
    base = ENABLE_M if context == 0 else ENABLE_S
    words = [0, 0, 0]
    for s in sources:
        words[s // 32] |= 1 << (s % 32)
    for i, w in enumerate(words):
        plic.write(base + 4 * i, 4, w)


def test_priority_registers_are_warl_mod_8() -> None:
    plic = make()
    for n, value, stored in [(1, 7, 7), (10, 9, 1), (95, 0xFFFF_FFFF, 7), (50, 8, 0)]:
        plic.write(prio(n), 4, value)
        assert plic.read(prio(n), 4) == stored


def test_source_zero_and_past_the_last_source_are_not_registers() -> None:
    plic = make()
    plic.write(0x0, 4, 5)
    plic.write(prio(96), 4, 5)
    assert plic.read(0x0, 4) == 0 and plic.read(prio(96), 4) == 0


def test_raising_a_line_latches_pending_lowering_does_not_clear() -> None:
    plic = make()
    plic.set_source(10, True)
    assert plic.read(PENDING, 4) == 1 << 10
    plic.set_source(10, False)
    assert plic.read(PENDING, 4) == 1 << 10  # 7.2.15+: "Don't clear pending bits"
    plic.set_source(40, True)
    plic.set_source(95, True)
    assert plic.read(PENDING + 4, 4) == 1 << 8
    assert plic.read(PENDING + 8, 4) == 1 << 31


def test_pending_is_read_only() -> None:
    plic = make()
    plic.write(PENDING, 4, 0xFFFF_FFFF)
    assert plic.read(PENDING, 4) == 0
    plic.set_source(3, True)
    plic.write(PENDING, 4, 0)
    assert plic.read(PENDING, 4) == 1 << 3


def test_enable_words_per_context() -> None:
    plic = make()
    plic.write(ENABLE_M + 4, 4, 0x1234_5678)
    plic.write(ENABLE_S + 8, 4, 0x8000_0001)
    assert plic.read(ENABLE_M + 4, 4) == 0x1234_5678
    assert plic.read(ENABLE_M + 8, 4) == 0
    assert plic.read(ENABLE_S + 8, 4) == 0x8000_0001
    plic.write(ENABLE_M + 0xC, 4, 0xFFFF_FFFF)  # past the 3 words: not a register
    assert plic.read(ENABLE_M + 0xC, 4) == 0


def test_threshold_warl() -> None:
    plic = make()
    plic.write(THRESHOLD_M, 4, 3)
    plic.write(THRESHOLD_S, 4, 0xF)
    assert plic.read(THRESHOLD_M, 4) == 3 and plic.read(THRESHOLD_S, 4) == 7


def test_claim_takes_the_highest_priority_and_complete_releases() -> None:
    plic = make()
    for n, p in [(1, 1), (10, 5), (33, 5), (11, 3)]:
        plic.write(prio(n), 4, p)
    enable(plic, 1, 10, 33, 11)
    for n in (1, 10, 33, 11):
        plic.set_source(n, True)
    assert plic.meip.level
    order = []
    while (source := plic.read(CLAIM_M, 4)) != 0:
        order.append(source)
    assert order == [10, 33, 11, 1]  # ties (10 vs 33) go to the lower id
    assert not plic.meip.level
    assert plic.read(PENDING, 4) == 0 and plic.read(PENDING + 4, 4) == 0
    for source in order:
        plic.write(CLAIM_M, 4, source)
    assert plic.claimed == 0


def test_priority_must_exceed_the_threshold() -> None:
    plic = make()
    plic.write(prio(5), 4, 2)
    enable(plic, 5)
    plic.write(THRESHOLD_M, 4, 2)
    plic.set_source(5, True)
    assert not plic.meip.level and plic.read(CLAIM_M, 4) == 0
    assert plic.read(PENDING, 4) == 1 << 5  # a failed claim leaves it pending
    plic.write(THRESHOLD_M, 4, 1)
    assert plic.meip.level and plic.read(CLAIM_M, 4) == 5


def test_priority_zero_never_interrupts() -> None:
    plic = make()
    enable(plic, 7)
    plic.set_source(7, True)
    assert not plic.meip.level and plic.read(CLAIM_M, 4) == 0


def test_disabled_sources_are_not_candidates() -> None:
    plic = make()
    plic.write(prio(4), 4, 1)
    plic.set_source(4, True)
    assert not plic.meip.level and plic.read(CLAIM_M, 4) == 0


def test_contexts_drive_meip_and_seip_separately() -> None:
    plic = make()
    plic.write(prio(10), 4, 1)
    plic.write(prio(1), 4, 1)
    enable(plic, 10, context=1)
    enable(plic, 1, context=0)
    plic.set_source(10, True)
    assert plic.seip.level and not plic.meip.level
    assert plic.read(CLAIM_M, 4) == 0
    assert plic.read(CLAIM_S, 4) == 10
    assert not plic.seip.level


def test_claimed_source_is_not_offered_again_until_complete() -> None:
    plic = make()
    plic.write(prio(10), 4, 1)
    enable(plic, 10)
    plic.set_source(10, True)
    assert plic.read(CLAIM_M, 4) == 10
    plic.set_source(10, False)
    plic.set_source(10, True)  # raised again while claimed: pending, but not offered
    assert plic.read(PENDING, 4) == 1 << 10
    assert not plic.meip.level and plic.read(CLAIM_M, 4) == 0
    plic.write(CLAIM_M, 4, 10)
    assert plic.meip.level and plic.read(CLAIM_M, 4) == 10


def test_complete_does_not_repend_a_line_that_stays_high() -> None:
    plic = make()
    plic.write(prio(10), 4, 1)
    enable(plic, 10)
    plic.set_source(10, True)
    assert plic.read(CLAIM_M, 4) == 10
    plic.write(CLAIM_M, 4, 10)  # line still high, but no new raise: nothing pending
    assert not plic.meip.level and plic.read(CLAIM_M, 4) == 0


def test_complete_ignores_out_of_range_ids() -> None:
    plic = make()
    plic.write(prio(10), 4, 1)
    enable(plic, 10)
    plic.set_source(10, True)
    plic.read(CLAIM_M, 4)
    plic.write(CLAIM_M, 4, 96)
    plic.write(CLAIM_M, 4, 0xFFFF_FFFF)
    assert plic.claimed == 1 << 10
    plic.write(CLAIM_S, 4, 10)  # any context may complete (QEMU does not check)
    assert plic.claimed == 0


def test_enable_write_does_not_reevaluate_outputs() -> None:
    # sifive_plic_write leaves the outputs alone on enable writes; the next event
    # (here a threshold write) brings them up to date.
    plic = make()
    plic.write(prio(10), 4, 1)
    plic.set_source(10, True)
    enable(plic, 10)
    assert not plic.meip.level
    assert plic.best(0) == 10
    plic.write(THRESHOLD_M, 4, 0)
    assert plic.meip.level


def test_unknown_offsets_read_zero() -> None:
    plic = make()
    for offset in (0x200, 0x1010, 0x3000, 0x100000, 0x200008, 0x202000, 0x5FFFFC):
        plic.write(offset, 4, 0xFFFF_FFFF)
        assert plic.read(offset, 4) == 0


@pytest.mark.parametrize(("offset", "size"), [(4, 1), (4, 2), (4, 8), (6, 4), (0x600000, 4)])
def test_only_aligned_32_bit_accesses_are_valid(offset: int, size: int) -> None:
    plic = make()
    with pytest.raises(DeviceAccessError):
        plic.read(offset, size)
    with pytest.raises(DeviceAccessError):
        plic.write(offset, size, 1)


def test_reset_clears_everything() -> None:
    plic = make()
    plic.write(prio(10), 4, 3)
    plic.write(THRESHOLD_S, 4, 2)
    enable(plic, 10)
    plic.set_source(10, True)
    plic.set_source(11, True)
    plic.read(CLAIM_M, 4)
    plic.reset()
    assert plic.read(prio(10), 4) == 0 and plic.read(THRESHOLD_S, 4) == 0
    assert plic.read(PENDING, 4) == 0 and plic.read(ENABLE_M, 4) == 0
    assert plic.claimed == 0 and not plic.meip.level and not plic.seip.level


def test_source_sink_and_range_checks() -> None:
    plic = make()
    line = IrqLine()
    line.connect(plic.source(11))
    line.raise_()
    assert plic.pending == 1 << 11
    for bad in (0, 96, -1):
        with pytest.raises(ValueError):
            plic.source(bad)
        with pytest.raises(ValueError):
            plic.set_source(bad, True)


def test_outputs_can_be_supplied() -> None:
    mip = {"meip": False}
    meip = IrqLine(lambda v: mip.__setitem__("meip", v))
    plic = Plic(meip=meip)
    plic.write(prio(2), 4, 1)
    enable(plic, 2)
    plic.write(THRESHOLD_M, 4, 0)
    plic.set_source(2, True)
    assert plic.meip is meip and mip["meip"] is True


def test_uart_thre_interrupt_through_the_plic_like_qemu() -> None:
    # xv6-style: the UART's THRI condition stays up (IIR is never read), yet only UART
    # accesses that re-evaluate its interrupt re-pend the source, so complete without
    # touching the UART does not cause an interrupt storm.
    plic = make()
    uart = Uart16550()
    uart.irq.connect(plic.source(10))
    plic.write(prio(10), 4, 1)
    enable(plic, 10)
    plic.write(THRESHOLD_M, 4, 0)
    uart.write(1, 1, 0x02)  # IER.THRI with THR empty: interrupt
    assert plic.meip.level and plic.read(CLAIM_M, 4) == 10
    plic.write(CLAIM_M, 4, 10)
    assert not plic.meip.level and uart.irq.level
    uart.read(5, 1)  # an LSR read does not re-evaluate the UART interrupt
    assert not plic.meip.level
    uart.write(0, 1, ord("x"))  # a THR write does: the source is pending again
    assert plic.meip.level and plic.read(CLAIM_M, 4) == 10


def test_fdt_node() -> None:
    node = fdt_node(0xC000000, 0x600000, 3, [2])
    assert node.name == "plic@c000000"
    assert node.get("phandle") == bytes.fromhex("00000003")
    assert node.get("riscv,ndev") == bytes.fromhex("00000060")
    assert node.get("interrupts-extended") == bytes.fromhex("00000002 0000000b 00000002 00000009")
    assert node.get("interrupt-controller") == b""
    assert node.get("compatible") == b"sifive,plic-1.0.0\0riscv,plic0\0"
