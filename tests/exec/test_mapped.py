"""The privileged test programs (tests/cpu/priv: modes, Sv32 in S and U mode, MPRV, PMP,
faults, triggers) on the interpreter alone and on the translator: every observable must
agree, and the programs that run code under Sv32 or PMP must run some of it as mapped
blocks (the translator's second space, keyed by virtual pc and physical page)."""

from __future__ import annotations

import pytest

from tests.cpu.priv import programs
from tests.exec.harness import assert_same

pytestmark = pytest.mark.tools

BUDGET = 2_000_000

# Programs that run code under Sv32 or under PMP entries that are not "all open" (the
# others run S/U code with PMP open to everything, satp = 0: physical blocks).
MAPPED = {"pmp", "sv32_faults", "sv32_mprv", "sv32_user"}


@pytest.mark.parametrize("threshold", [1, 8])
@pytest.mark.parametrize("name", programs.PROGRAMS)
def test_privileged_program(name: str, threshold: int) -> None:
    state, m = assert_same(programs.build(name), BUDGET, threshold)
    assert state.status == 0, f"{name} did not finish"
    if threshold == 1 and name in MAPPED:
        assert m.translator.spaces[1].made > 0, f"{name}: no mapped block"  # type: ignore[attr-defined]
