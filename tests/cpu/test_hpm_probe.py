"""Hardware performance counters as QEMU 7.2's `-cpu rv32`: the probe (hpm-probe.S) counts
them as OpenSBI does, so rvirt's firmware banner says `Boot HART MHPM Count : 16` as
QEMU's does.  The one difference is expected by name: mhpmcounter19..31 are read-only
zero on rvirt (the spec requires all 29 to exist) and illegal on QEMU."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tooling import assemble, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("hpm-probe.S")
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")
# count, counters reading back 1, counters that trapped: 3..18 exist; QEMU traps 19..31
QEMU_COUNTERS = "00000010 0007fff8 fff80000 "
RVIRT_COUNTERS = "00000010 0007fff8 00000000 "  # 19..31 read-only zero, no trap
EVENTS = "0000001d fffffff8 00000000 "  # all 29 mhpmevent registers hold what is written
NO_COUNTING = "00012345 00000000 00012345 00000008 "  # holds 0x12345, as U reads it


@pytest.fixture(scope="module")
def probe() -> Path:
    return assemble(PROBE, extra_as=("-I", str(PROBE.parent)))


def test_rvirt_counters(probe: Path) -> None:
    r = run_rvirt(*ARGS, str(probe))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [RVIRT_COUNTERS, EVENTS, NO_COUNTING]


def test_counters_against_qemu(probe: Path) -> None:
    q = run_qemu(*ARGS, str(probe))
    assert q.returncode == 0
    qemu = q.stdout.decode().splitlines()
    assert qemu == [QEMU_COUNTERS, EVENTS, NO_COUNTING]
    r = run_rvirt(*ARGS, str(probe))
    ours = r.stdout.decode().splitlines()
    # the documented difference, by name: mhpmcounter19..31 trap on QEMU only
    assert [QEMU_COUNTERS if line == RVIRT_COUNTERS else line for line in ours] == qemu
