"""The board's slot table (rvirt.board.slots) drives both the wiring and the device tree:
a device is added by adding a row."""

from __future__ import annotations

import pytest

from rvirt.board import devicetree, slots, virt
from rvirt.board.memmap import Region
from rvirt.board.virt import Board, BoardConfig
from rvirt.devices.sifive_test import SifiveTest
from rvirt.fdt import Node, parse_dtb, u64


def _soc(m: Board) -> Node:
    root, _ = parse_dtb(m.dtb)
    return next(c for c in root.children if c.name == "soc")


def test_every_slot_is_on_the_bus_and_in_the_device_tree() -> None:
    m = Board(BoardConfig(bios="none"))
    names = [c.name for c in _soc(m).children]
    assert names == [s.node(s.region, slots.Phandles(1)).name for s in reversed(slots.SLOTS)]
    for s in slots.SLOTS:
        mapping = m.bus.find(s.region.base)
        assert mapping is not None and mapping.name == s.region.name
        assert mapping.device in m.devices


def test_a_new_row_reaches_the_bus_and_the_device_tree(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    region = Region("extra", 0x3000_0000, 0x1000, 0x1000)
    row = slots.Slot("extra", region, lambda m: SifiveTest(),
                     lambda r, ph: Node(f"extra@{r.base:x}",
                                        [("reg", [*u64(r.base), *u64(r.size)])]))
    table = (*slots.SLOTS, row)
    monkeypatch.setattr(virt, "SLOTS", table)
    monkeypatch.setattr(devicetree, "SLOTS", table)
    m = Board(BoardConfig(bios="none"))
    assert isinstance(m.extra, SifiveTest)  # type: ignore[attr-defined]
    mapping = m.bus.find(0x3000_0000)
    assert mapping is not None and mapping.device is m.extra  # type: ignore[attr-defined]
    assert _soc(m).children[0].name == "extra@30000000"  # made last, listed first


def test_aclint_on_has_its_own_rows() -> None:
    # The MSWI and MTIMER nodes come from the CLINT's row and the SSWI has one of its
    # own; each row's nodes are made in order, and /soc lists everything the other way.
    m = Board(BoardConfig(bios="none", aclint=True))
    made = []
    for s in slots.ACLINT_SLOTS:
        nodes = s.node(s.region, slots.Phandles(1))
        made += [nodes] if isinstance(nodes, Node) else list(nodes)
        mapping = m.bus.find(s.region.base)
        assert mapping is not None and mapping.name == s.region.name
        assert mapping.device in m.devices
    names = [c.name for c in _soc(m).children]
    assert names == [n.name for n in reversed(made)]
    assert names[-3:] == ["sswi@2f00000", "mtimer@2004000", "mswi@2000000"]
    assert "clint@2000000" not in names
    assert [s.attr for s in slots.ACLINT_SLOTS[2:]] == [s.attr for s in slots.SLOTS[1:]]
