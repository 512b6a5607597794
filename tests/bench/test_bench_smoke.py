"""`make bench` itself: a quick rvirt-only run must print a row per workload with both
tiers' figures, and --profile must name where the time goes.  No figure is asserted
(speed is measured by `make bench`, never by the tests)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests import tooling

pytestmark = pytest.mark.tools

BENCH = [sys.executable, str(tooling.ROOT / "bench" / "run.py")]
ROW = re.compile(r"^(\w+)\s+([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x", re.MULTILINE)


def test_quick_run_prints_every_workload() -> None:
    tooling.need(tooling.CROSS + "gcc")
    r = subprocess.run([*BENCH, "--quick", "--no-qemu", "--startup-runs", "1"],
                       capture_output=True, text=True, timeout=600, cwd=tooling.ROOT)
    assert r.returncode == 0, r.stderr
    rows = {m.group(1): m for m in ROW.finditer(r.stdout)}
    assert {"intmix", "intmix_bare", "intmix_sv32", "memcpy", "traps"} <= set(rows)
    for name, m in rows.items():
        count = int(m.group(2).replace(",", ""))
        assert count > 100_000, name  # the guest's own instret delta
        assert float(m.group(3)) > 0 and float(m.group(4)) > 0, name
    assert "Start-up to the first guest instruction" in r.stdout


def test_profile_names_the_translated_blocks() -> None:
    tooling.need(tooling.CROSS + "gcc")
    r = subprocess.run([*BENCH, "--quick", "--profile", "intmix_sv32"], capture_output=True,
                       text=True, timeout=600, cwd=tooling.ROOT)
    assert r.returncode == 0, r.stderr
    assert "intmix_sv32 on -accel tcg" in r.stdout and "translated blocks" in r.stdout


def test_profile_of_an_unknown_workload_is_one_line() -> None:
    r = subprocess.run([*BENCH, "--profile", "nosuch"], capture_output=True, text=True,
                       timeout=120, cwd=tooling.ROOT)
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "no workload 'nosuch'" in r.stderr
