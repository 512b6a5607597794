"""virtio-rng: buffers filled from a seeded generator (runs repeat), and only once the
driver is ready (QEMU's is_guest_ready)."""

from __future__ import annotations

from rvirt.devices.virtio_rng import VirtioRng
from tests.devices.virtio_driver import DATA, WRITE, Guest


def _fill(g: Guest) -> bytes:
    g.desc(0, DATA, 64, WRITE)
    g.post()
    return g.peek(DATA, 64)


def test_bytes_repeat_run_to_run() -> None:
    a, b = Guest(VirtioRng()), Guest(VirtioRng())
    first = _fill(a)
    assert first == _fill(b) and first != bytes(64)
    assert _fill(a) != first  # the generator moves on
    assert a.used(0) == (0, 64) and a.r(0x34) == 1024 and a.r(0x8) == 4


def test_buffers_wait_for_driver_ok() -> None:
    g = Guest(VirtioRng())
    g.w(0x70, 0)
    g.setup(0)
    g.w(0x70, 3)  # DRIVER_OK taken away again
    g.desc(0, DATA, 16, WRITE)
    g.post()
    assert g.used_idx() == 0 and g.peek(DATA, 16) == bytes(16)
    g.w(0x70, 7)
    assert g.used_idx() == 1 and g.peek(DATA, 16) != bytes(16)
