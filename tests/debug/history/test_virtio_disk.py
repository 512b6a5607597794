"""Reverse execution over a guest that writes its disk in place: going back puts the file
back as it was at that point, and running forward again reaches the same end, file and
RAM alike (the probe of tests/devices writes sectors 1 and 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig, VirtioSpec
from rvirt.debug.machine_target import MachineTarget
from tests.debug.history.conftest import fingerprint
from tests.devices.test_virtio_probe import PROBE, disk
from tests.tooling import ROOT, assemble

pytestmark = pytest.mark.tools


def test_reverse_execution_rewinds_the_disk(tmp_path: Path) -> None:
    elf = assemble(PROBE, extra_as=("-I", str(ROOT / "tests" / "cpu")))
    image = tmp_path / "disk.img"
    disk(image)
    original = image.read_bytes()
    cfg = BoardConfig(ram_size=150 << 20, bios=str(elf), rng_seed=bytes(32), rtc_epoch_ns=0,
                      virtio=(VirtioSpec("virtio-blk-device", file=str(image)),))
    out: list[bytes] = []
    m = Board(cfg, console=out.append, notice=lambda msg: None)
    try:
        t = MachineTarget(m)
        t.enable_history()
        t.history.interval = 1 << 10  # snapshots between the requests
        stop = t.resume(1 << 30)
        assert stop.kind == "exited"
        end = fingerprint(m)
        written = image.read_bytes()
        assert written != original
        assert t.reverse_continue().kind == "history-start"
        assert image.read_bytes() == original  # the writes undone
        stop = t.resume(1 << 30)
        assert stop.kind == "exited"
        assert fingerprint(m) == end
        assert image.read_bytes() == written
    finally:
        m.close()
