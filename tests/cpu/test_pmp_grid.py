"""The PMP grid probe (pmp-grid.S): M-mode accesses against one NA4 entry, unlocked and
locked, with no permissions and with R+W, mid-page and over a page's last word, aligned,
misaligned and page-crossing.

Privileged spec 3.7.1: an entry that matches only part of an access fails it "irrespective
of the L, R, W, and X bits", so an M-mode access partly over an unlocked entry faults too
(with mtval = its address and nothing stored), while one wholly inside an unlocked entry
goes ahead.  rvirt must print what QEMU 7.2 prints, line for line, on every tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cpu import probes

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("pmp-grid.S")

# <config><case> -> mcause, mtval, value loaded, the three words around the entry
KEY_LINES = {
    0x11: "00000000 00000000 b3b2b1b0 a3a2a1a0 b3b2b1b0 c3c2c1c0",  # unlocked: inside, allowed
    0x14: "00000005 80001006 00000000 a3a2a1a0 b3b2b1b0 c3c2c1c0",  # unlocked: lw at +6 before it
    0x18: "00000007 80001006 00000000 a3a2a1a0 b3b2b1b0 c3c2c1c0",  # unlocked: sw, nothing stored
    0x24: "00000005 80002ffe 00000000 a3a2a1a0 b3b2b1b0 c3c2c1c0",  # unlocked, across a page
    0x51: "00000005 80003014 00000000 a3a2a1a0 eeeeeeee c3c2c1c0",  # locked, no R: faults in M
}


@pytest.fixture(scope="module")
def probe() -> Path:
    return probes.build(PROBE)


@pytest.fixture(scope="module")
def qemu_lines(probe: Path) -> dict[int, str]:
    return probes.on_qemu(probe, KEY_LINES)


@pytest.mark.parametrize("accel", probes.TIERS)
def test_pmp_grid_against_qemu(probe: Path, qemu_lines: dict[int, str], accel: str) -> None:
    lines = probes.on_rvirt(probe, "-accel", accel)
    assert len(lines) == 80
    assert lines == qemu_lines
