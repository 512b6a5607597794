"""ACLINT SSWI (-machine virt,aclint=on): setssip words, reads, access sizes, the node
(QEMU 7.2 hw/intc/riscv_aclint.c with sswi=true); on the board, a write sets the
addressed hart's mip.SSIP, which the guest clears itself."""

from __future__ import annotations

import pytest

from rvirt.board import memmap as MM
from rvirt.board.virt import Board, BoardConfig
from rvirt.cpu import csr as C
from rvirt.devices.aclint_sswi import SIZE, Sswi, fdt_node
from rvirt.devices.base import DeviceAccessError
from rvirt.devices.clint import Clint


def make(harts: int = 2) -> tuple[Sswi, list[int]]:
    raised: list[int] = []
    return Sswi([lambda h=h: raised.append(h) for h in range(harts)]), raised


def test_writing_one_raises_the_addressed_harts_ssip_every_time() -> None:
    sswi, raised = make()
    sswi.write(4, 4, 1)
    sswi.write(0, 4, 0xFFFF_FFFF)  # bit 0 is what counts
    sswi.write(4, 4, 1)  # again: a pulse each time, not a level
    assert raised == [1, 0, 1]


def test_writing_zero_or_past_the_harts_does_nothing() -> None:
    sswi, raised = make()
    sswi.write(0, 4, 0)
    sswi.write(4, 4, 2)  # bit 0 clear
    sswi.write(8, 4, 1)  # hart 2 of 2
    sswi.write(SIZE - 4, 4, 1)
    assert raised == []


def test_every_read_is_zero() -> None:
    sswi, _ = make()
    sswi.write(0, 4, 1)
    assert [sswi.read(off, 4) for off in (0, 4, 8, SIZE - 4)] == [0, 0, 0, 0]


@pytest.mark.parametrize(("offset", "size"), [(0, 1), (0, 2), (0, 8), (2, 4), (SIZE, 4)])
def test_only_aligned_words_are_decoded(offset: int, size: int) -> None:
    sswi, raised = make()
    with pytest.raises(DeviceAccessError):
        sswi.write(offset, size, 1)
    with pytest.raises(DeviceAccessError):
        sswi.read(offset, size)
    assert raised == []


def test_node_as_qemu_writes_it() -> None:
    node = fdt_node(0x2F0_0000, 0x4000, [4, 2])
    assert node.name == "sswi@2f00000"
    assert list(node.props) == ["#interrupt-cells", "interrupt-controller",
                                "interrupts-extended", "reg", "compatible"]
    assert node.get("interrupts-extended") == bytes.fromhex("00000004 00000001 00000002 00000001")
    assert node.get("reg") == bytes.fromhex("00000000 02f00000 00000000 00004000")
    assert node.get("compatible") == b"riscv,aclint-sswi\0"
    assert node.get("#interrupt-cells") == bytes(4)
    assert node.get("interrupt-controller") == b""


def test_on_the_board_only_with_aclint_on() -> None:
    off = Board(BoardConfig(bios="none", harts=2))
    assert off.bus.find(MM.ACLINT_SSWI.base) is None
    assert isinstance(off.clint, Clint)
    on = Board(BoardConfig(bios="none", harts=2, aclint=True))
    mapping = on.bus.find(MM.ACLINT_SSWI.base)
    assert mapping is not None and mapping.device is on.sswi
    assert on.bus.find(MM.ACLINT_SSWI.base + SIZE) is None
    assert isinstance(on.clint, Clint)  # the MSWI and MTIMER are where the CLINT is


def test_a_store_sets_that_harts_ssip_and_the_guest_clears_it() -> None:
    m = Board(BoardConfig(bios="none", harts=2, aclint=True))
    h0, h1 = m.harts
    m.bus.store(MM.ACLINT_SSWI.base + 4, 4, 1)
    assert (h0.read_mip() & C.SSIP, h1.read_mip() & C.SSIP) == (0, C.SSIP)
    assert m.bus.load(MM.ACLINT_SSWI.base + 4, 4) == 0
    h1.write_mip(0, C.SSIP)  # csrc mip, SSIP: it is the software bit itself
    assert h1.read_mip() & C.SSIP == 0
    m.bus.store(MM.ACLINT_SSWI.base + 4, 4, 0)
    assert h1.read_mip() & C.SSIP == 0
    m.bus.store(MM.ACLINT_SSWI.base + 4, 4, 1)
    assert h1.read_mip() & C.SSIP == C.SSIP


def test_a_store_wakes_a_hart_waiting_in_wfi() -> None:
    m = Board(BoardConfig(bios="none", harts=2, aclint=True))
    for h in m.harts:
        h.csr["mie"] = C.SSIP
        h.waiting = True
    assert m.next_hart is None  # both asleep, nothing pending
    m.bus.store(MM.ACLINT_SSWI.base + 4, 4, 1)
    assert m.next_hart == 1
