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

from tests.tooling import assemble, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("mip-probe.S")
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")

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
    return assemble(PROBE, extra_as=("-I", str(PROBE.parent)))


def _lines(stdout: bytes) -> dict[int, str]:
    out = {}
    for line in stdout.decode().splitlines():
        step, rest = line.split(" ", 1)
        out[int(step, 16)] = rest.strip()
    return out


@pytest.fixture(scope="module")
def qemu_lines(probe: Path) -> dict[int, str]:
    q = run_qemu(*ARGS, str(probe))
    assert q.returncode == 0
    lines = _lines(q.stdout)
    assert {step: lines[step] for step in KEY_LINES} == KEY_LINES
    return lines


@pytest.mark.parametrize("accel", ["interp", "tcg", "native"])
def test_mip_probe_against_qemu(probe: Path, qemu_lines: dict[int, str], accel: str) -> None:
    r = run_rvirt("-accel", accel, *ARGS, str(probe))
    assert r.returncode == 0, r.stderr
    lines = _lines(r.stdout)
    assert len(lines) == 14
    assert lines == qemu_lines
