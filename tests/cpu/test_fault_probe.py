"""The fault probe (fault-probe.S): misaligned accesses that run off the end of RAM, and
misaligned accesses that a locked PMP entry matches only in part.  rvirt must print what
QEMU 7.2 prints, line for line:

- off the end of RAM (-m 150M), mtval is 0x89600000, the first byte that cannot be
  accessed ("the portion of the access that caused the fault"), and a store stores the
  bytes that are in RAM before it faults;
- PMP checks a misaligned access as a whole (privileged spec 3.7.1), across a page
  boundary too: an entry matching some but not all of its bytes fails it, tval = the
  access's address, nothing stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cpu import probes

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("fault-probe.S")

# case -> (mcause, mtval, value) as QEMU 7.2 prints them
KEY_LINES = {
    1: "00000005 89600000 00000000",  # lh at 0x895fffff
    2: "00000005 89600000 00000000",  # lw at 0x895ffffe
    6: "00000007 89600000 fffc3344",  # sw at 0x895ffffe: two bytes stored, then the fault
    10: "00000005 80001006 07060504",  # lw at +6 of a locked NA4 entry at +4
    18: "00000005 80004ffe 27262524",  # the same, the access crossing into the next page
    21: "00000007 80004ffe 27262524",  # a store there: a fault, nothing stored
}


@pytest.fixture(scope="module")
def probe() -> Path:
    return probes.build(PROBE)


def test_rvirt_fault_addresses(probe: Path) -> None:
    lines = probes.on_rvirt(probe)
    assert len(lines) == 24
    for case, expected in KEY_LINES.items():
        assert lines[case] == expected, case


def test_fault_probe_against_qemu(probe: Path) -> None:
    assert probes.on_rvirt(probe) == probes.on_qemu(probe, KEY_LINES)
