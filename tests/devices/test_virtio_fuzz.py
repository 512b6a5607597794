"""Random rings driven at virtio-blk and virtio-rng: whatever the guest writes, the device
answers as QEMU's virtio core would (a completion, a status, or broken) and never raises,
hangs or allocates beyond what the guest's RAM holds."""

from __future__ import annotations

import struct
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvirt.devices import virtio_blk as B
from rvirt.devices.block_image import BlockImage
from rvirt.devices.virtio_rng import VirtioRng
from tests.devices.virtio_driver import AVAIL, DATA, NUM, RAM_BASE, RAM_SIZE, Guest

ADDR = st.one_of(st.integers(RAM_BASE, RAM_BASE + RAM_SIZE),  # in RAM (and just past it)
                 st.integers(DATA, DATA + 0x200),  # on the buffers
                 st.integers(0, (1 << 64) - 1))  # anywhere
LENGTH = st.one_of(st.integers(0, 600), st.sampled_from([16, 512, 513, 0xFFFF_FFFF]),
                   st.integers(0, (1 << 32) - 1))
DESC = st.tuples(ADDR, LENGTH, st.integers(0, 7), st.integers(0, NUM + 2))
HEADER = st.tuples(st.sampled_from([0, 1, 4, 8, 11, 13, 0x20, 0x8000_0001]),
                   st.integers(0, 40))


@st.composite
def rings(draw: st.DrawFn) -> dict[str, object]:
    return {
        "descs": draw(st.lists(DESC, min_size=NUM, max_size=NUM)),
        "table": draw(st.lists(DESC, min_size=0, max_size=6)),  # an indirect table at DATA+0x400
        "heads": draw(st.lists(st.integers(0, NUM + 1), min_size=1, max_size=12)),
        "header": draw(HEADER),
        "modern": draw(st.booleans()),
        "features": draw(st.integers(0, (1 << 32) - 1)),
        "used_event": draw(st.integers(0, 0xFFFF)),
    }


def _drive(g: Guest, ring: dict[str, object]) -> None:
    kind, sector = ring["header"]  # type: ignore[misc]
    g.poke(DATA, struct.pack("<IIQ", kind, 0, sector))
    for i, (addr, n, flags, nxt) in enumerate(ring["descs"]):  # type: ignore[arg-type]
        g.desc(i, addr, n, flags, nxt)
    for i, (addr, n, flags, nxt) in enumerate(ring["table"]):  # type: ignore[arg-type]
        g.desc(i, addr, n, flags, nxt, table=DATA + 0x400)
    g.poke(AVAIL + 4 + 2 * NUM, struct.pack("<H", ring["used_event"]))
    heads = ring["heads"]
    for head in heads:  # type: ignore[attr-defined]
        g.post(head)
    # the device never claims more completions than chains posted
    assert g.used_idx() <= len(heads)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ring=rings())
def test_random_rings_at_virtio_blk(tmp_path: Path, ring: dict[str, object]) -> None:
    path = tmp_path / "disk.img"
    if not path.exists():
        path.write_bytes(bytes(40 * 512))
    image = BlockImage(str(path), snapshot=True)
    try:
        g = Guest(B.VirtioBlk(image), modern=bool(ring["modern"]),
                  features=int(ring["features"]))  # type: ignore[call-overload]
        _drive(g, ring)
        if g.broken:
            assert len(g.errors) >= 1
            g.w(0x70, 0)  # a reset brings it back
            assert not g.broken
    finally:
        image.close()


@settings(max_examples=80, deadline=None)
@given(ring=rings())
def test_random_rings_at_virtio_rng(ring: dict[str, object]) -> None:
    g = Guest(VirtioRng(), modern=bool(ring["modern"]),
              features=int(ring["features"]))  # type: ignore[call-overload]
    _drive(g, ring)
