"""The mip probe (mip-probe.S): csrrs/csrrc on mip and sip with an interrupt wire high.

Privileged spec 3.1.9: the read-modify-write of csrrs/csrrc takes only the
software-writable bits; the wires (here the PLIC's SEIP) are ORed into what a read
returns, never written back.  Before this was so, OpenSBI's `csrs mip, STIP` /
`csrc mip, STIP` latched a high SEIP into the software bit and Linux took external
interrupts forever.  rvirt must print what QEMU 7.2 prints, on every tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cpu import probes

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("mip-probe.S")

# step -> (rd, mip, sip) for the steps where a latched wire shows
KEY_LINES = {
    3: "00000200 00000220 00000220",  # csrs mip, STIP: rd shows the wire
    4: "00000220 00000200 00000200",  # csrc mip, STIP
    9: "0000000a 00000000 00000000",  # after claim/complete nothing is left pending
    11: "0000000a 00000200 00000200",  # csrrw set the software SEIP: it stays
    12: "00000200 00000000 00000000",  # and csrc clears it
}


@pytest.fixture(scope="module")
def probe() -> Path:
    return probes.build(PROBE)


@pytest.fixture(scope="module")
def qemu_lines(probe: Path) -> dict[int, str]:
    return probes.on_qemu(probe, KEY_LINES)


@pytest.mark.parametrize("accel", probes.TIERS)
def test_mip_probe_against_qemu(probe: Path, qemu_lines: dict[int, str], accel: str) -> None:
    lines = probes.on_rvirt(probe, "-accel", accel)
    assert len(lines) == 14
    assert lines == qemu_lines
