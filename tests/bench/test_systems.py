"""bench/systems.py and its two workloads (bench/workloads/syscalls.S, stimer.S): each
workload's report, instret and checksum, must be the same on every rvirt tier and on QEMU
7.2 with -icount shift=0,sleep=off (the trapping ecalls and the wfi waits, which the two
count differently, are left out by the guest itself); a quick rvirt-only row prints a
line per tier, and an unknown row is one line.  No figure is asserted (speed is measured
by `make bench`, never by the tests)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import tooling

pytestmark = pytest.mark.tools

SYSTEMS = [sys.executable, str(tooling.ROOT / "bench" / "systems.py")]
WORKLOADS = tooling.ROOT / "bench" / "workloads"
MACHINE = ["-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic"]
ICOUNT = ["-icount", "shift=0,sleep=off"]
# Enough rounds for the hot blocks to reach the native tier (2048 entries).
ITERS = 2500
REPORT = re.compile(r"^instret=([0-9a-f]{16}) checksum=([0-9a-f]{8})$", re.MULTILINE)


def report(emulator: list[str], elf: Path) -> tuple[int, int]:
    """The guest's (instret, checksum) from one whole run on `emulator`."""
    r = subprocess.run([*emulator, *MACHINE, "-bios", str(elf), *ICOUNT],
                       capture_output=True, text=True, timeout=300, cwd=tooling.ROOT,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    m = REPORT.search(r.stdout)
    assert m, r.stdout
    return int(m.group(1), 16), int(m.group(2), 16)


@pytest.mark.parametrize("workload", ["syscalls", "stimer"])
def test_the_report_is_the_same_on_every_tier_and_on_qemu(workload: str) -> None:
    elf = tooling.assemble(WORKLOADS / f"{workload}.S", f"bench-{workload}",
                           extra_as=("-I", str(WORKLOADS), f"-DITERS={ITERS}"))
    reports = {tier: report([*tooling.RVIRT, "-accel", tier], elf)
               for tier in ("interp", "tcg", "native")}
    assert len(set(reports.values())) == 1, reports
    instret, _ = reports["interp"]
    assert instret > ITERS * 100, reports  # the guest's own count: >100 an iteration
    qemu = tooling.need("qemu-system-riscv32")
    assert report([qemu], elf) == reports["interp"]


def test_a_quick_row_prints_every_tier() -> None:
    tooling.need(tooling.CROSS + "gcc")
    r = subprocess.run([*SYSTEMS, "--quick", "--no-qemu", "--only", "syscalls"],
                       capture_output=True, text=True, timeout=600, cwd=tooling.ROOT)
    assert r.returncode == 0, r.stderr
    rows = re.findall(r"^  (?:syscalls)?\s+(rvirt(?:, second run| -accel \w+)?)\s+([\d.]+)\s+"
                      r"n/a\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)\s+([\d,]+)$", r.stdout,
                      re.MULTILINE)
    assert [row[0] for row in rows] == ["rvirt", "rvirt, second run", "rvirt -accel interp",
                                        "rvirt -accel tcg", "rvirt -accel native"], r.stdout
    for tier, wall, blocks, _native, _compile, cached in rows:
        assert float(wall) > 0, tier
        assert (blocks == "0") == (tier == "rvirt -accel interp"), tier  # no blocks there
        if tier != "rvirt, second run":
            assert cached == "0", tier  # every other run starts with an empty code cache
    assert "every run printed the same output" in r.stdout


def test_an_unknown_row_is_one_line() -> None:
    tooling.need(tooling.CROSS + "gcc")
    r = subprocess.run([*SYSTEMS, "--no-qemu", "--only", "nosuch"], capture_output=True,
                       text=True, timeout=120, cwd=tooling.ROOT)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "no row 'nosuch'" in r.stderr
