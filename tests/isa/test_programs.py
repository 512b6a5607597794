"""Every program of the instruction corpus (tests/isa/programs/*.S) on rvirt, and on QEMU
7.2 as the check that the programs themselves are right."""

from __future__ import annotations

import pytest

from tests.isa import corpus
from tests.tooling import run_qemu, run_rvirt

pytestmark = pytest.mark.tools


@pytest.mark.parametrize("name", corpus.PROGRAMS)
def test_program_passes_on_rvirt(name: str) -> None:
    elf = corpus.build(name)
    r = run_rvirt(*corpus.MACHINE_ARGS, str(elf), timeout=300)
    assert r.returncode == 0, f"{name}: " + corpus.describe_exit(r.returncode, r.stdout, r.stderr)
    # a passing program prints nothing
    assert r.stdout == b"", f"{name}: unexpected UART output {r.stdout[:200]!r}"


@pytest.mark.parametrize("name", corpus.PROGRAMS)
def test_program_on_qemu(name: str) -> None:
    """QEMU 7.2 passes every program except the listed departures from the spec, and those
    fail exactly at the recorded test."""
    elf = corpus.build(name)
    r = run_qemu(*corpus.MACHINE_ARGS, str(elf), timeout=60)
    departure = corpus.QEMU_7_2_DEPARTURES.get(name)
    expected = departure.exit_status if departure else 0
    assert r.returncode == expected, (
        f"{name} on QEMU 7.2 (expected exit {expected}"
        + (f": {departure.why}" if departure else "") + "):\n"
        + corpus.describe_exit(r.returncode, r.stdout, r.stderr))


def test_departures_name_real_programs() -> None:
    assert set(corpus.QEMU_7_2_DEPARTURES) <= set(corpus.PROGRAMS)


def test_corpus_is_not_empty() -> None:
    assert len(corpus.PROGRAMS) >= 20
