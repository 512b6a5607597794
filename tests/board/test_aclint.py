"""-machine virt,aclint=on: the ACLINT probe (aclint-probe.S) prints what QEMU 7.2 prints,
on every tier: each hart's M software interrupt through the MSWI's msip, M timer
interrupt through the MTIMER's mtimecmp and mtime, S software interrupt through the
SSWI's setssip, taken, read back in mip, and raised on the next hart; what the SSWI does
not decode.  With aclint=off there is no SSWI, as on QEMU."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.board.test_smp import PROBE_INCLUDES
from tests.cpu import probes
from tests.tooling import ROOT, assemble, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("aclint-probe.S")
ARGS = ("-cpu", "rv32", "-m", "150M", "-nographic", "-no-hints")  # QEMU: all but the last


def build(harts: int) -> Path:
    return assemble(PROBE, f"aclint-probe-{harts}",
                    extra_as=(*PROBE_INCLUDES, f"-DHARTS={harts}"))


@pytest.fixture(scope="module", params=[1, 2, 4])
def harts(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture(scope="module")
def qemu_out(harts: int) -> str:
    q = run_qemu("-machine", "virt,aclint=on", *ARGS[:-1], "-smp", str(harts), "-bios",
                 str(build(harts)))
    assert q.returncode == 0, q.stderr
    return q.stdout.decode()


def expected_lines(out: str, harts: int) -> None:
    """What the probe must show whatever the emulator (checked on QEMU's output too)."""
    rows = [line.split() for line in out.splitlines()]
    assert len(rows) == 4 * harts
    for h in range(harts):
        tag = f"{h:08x}"
        one, two, three, four = (r[2:] for r in rows[4 * h:4 * h + 4])
        assert [r[:2] for r in rows[4 * h:4 * h + 4]] == [
            [f"{n:08x}", tag] for n in (1, 2, 3, 4)]
        # taken in the order raised: M software (3), S software (1), M timer (7)
        assert one == ["00000317", "00000003"]
        # msip reads 1, MSIP in mip until cleared; setssip reads 0, SSIP in mip until
        # the guest clears it, a 0 neither sets nor clears it; mtimecmp 0 raises MTIP
        assert two == ["00000001", "00000008", "00000000", "00000000", "00000002",
                       "00000000", "00000000", "00000002", "00000002", "00000080",
                       "00000000", "00000000", "00000000", "00000000"]
        # byte and halfword accesses fault, and so does what lies past the SSWI
        assert three == ["00000007", "00000005", "00000005", "00000007",
                         f"{0x2F0_0000 + 4 * h:08x}"]
        assert four == ["0000008a", "00000000"]


@pytest.mark.parametrize("accel", probes.TIERS)
def test_aclint_probe_against_qemu(harts: int, qemu_out: str, accel: str) -> None:
    expected_lines(qemu_out, harts)
    r = run_rvirt("-accel", accel, "-machine", "virt,aclint=on", *ARGS, "-smp", str(harts),
                  "-bios", str(build(harts)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == qemu_out


# A store to hart 0's setssip word, then mcause (0: no fault) and mip's SSIP bit.
SSWI_STORE = """\
#include "probe.h"
    .section .text.init
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    li t0, 0x02f00000
    li t1, 1
    .option norvc
    sw t1, 0(t0)
    .option rvc
    csrr a0, mcause
    call puthex
    csrr a0, mip
    andi a0, a0, 2
    call puthex
    call newline
    FINISH
    SKIP_TRAP_HANDLER
    PROBE_HELPERS
"""


@pytest.mark.parametrize(("aclint", "says"), [("on", "00000000 00000002 \n"),
                                             ("off", "00000007 00000000 \n")])
def test_the_sswi_is_there_only_with_aclint_on(aclint: str, says: str) -> None:
    elf = str(assemble(SSWI_STORE, "aclint-sswi-store",
                       extra_as=("-I", str(ROOT / "tests" / "cpu"))))
    q = run_qemu("-machine", f"virt,aclint={aclint}", *ARGS[:-1], "-bios", elf)
    r = run_rvirt("-machine", f"virt,aclint={aclint}", *ARGS, "-bios", elf)
    assert q.returncode == r.returncode == 0, r.stderr
    assert r.stdout.decode() == q.stdout.decode() == says
