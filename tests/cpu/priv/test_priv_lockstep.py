"""Three privileged programs in lock-step through both gdb stubs (tests/cpu/lockstep/harness.py):
x1..x31 and pc after every instruction, the CSR each Zicsr instruction names, and the
trap CSRs after every trap, across mode switches, Sv32 in S and U (instructions read
through both stubs at virtual addresses), page faults, sfence.vma and MPRV."""

from __future__ import annotations

import pytest

from tests.cpu.lockstep.harness import lockstep
from tests.cpu.priv.programs import build

pytestmark = pytest.mark.tools

MAX_STEPS = 40_000


@pytest.mark.parametrize("name", ["modes", "sv32_user", "sv32_mprv"])
def test_priv_program_in_lockstep(name: str) -> None:
    result = lockstep(f"priv/{name}", build(name), MAX_STEPS)
    assert result.exit_status == 0
    assert result.traps >= 5
