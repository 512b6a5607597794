"""`-accel` on the command line: both tiers run a program to the same exit; an unknown
accelerator is one line on stderr and exit status 1."""

from __future__ import annotations

import pytest

from tests.exec import programs as P
from tests.isa import corpus
from tests.tooling import run_rvirt

pytestmark = pytest.mark.tools


@pytest.mark.parametrize("accel", ["native", "tcg", "interp", "tcg,thread=single"])
def test_accel_runs_the_program(accel: str) -> None:
    elf = P.build("counters", P.COUNTERS)
    r = run_rvirt(*corpus.MACHINE_ARGS, str(elf), "-accel", accel)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""


def test_unknown_accel_is_one_line() -> None:
    r = run_rvirt("-machine", "virt", "-accel", "kvm", "-bios", "none")
    assert r.returncode == 1
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "-accel kvm" in lines[0]


def test_help_documents_accel() -> None:
    r = run_rvirt("--help")
    assert all(b"-accel " + a in r.stdout for a in (b"native", b"tcg", b"interp"))
