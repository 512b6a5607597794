"""Closure blocks, the native tier's first tier (rvirt.exec.closures), beyond what the
differential runs check on every program (tests/exec/harness.py runs each one with every
block a closure block): cold code really runs as closure blocks, which become Python
blocks and then native code as they get hot; a trap taken inside one is the
interpreter's; a device asking for the pc gets the closure block's instruction."""

from __future__ import annotations

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.exec import native
from tests.exec import programs as P
from tests.exec.harness import FOREVER, clint_readers, diff, machine, run, snapshot

pytestmark = pytest.mark.tools

BUDGET = 1_000_000


def _kinds(m: Board) -> set[str]:
    out = set()
    for fn in m.translator.all_blocks():  # type: ignore[attr-defined]
        out.add("native" if getattr(fn, "native", False) else
                "closures" if getattr(fn, "closures", False) else "python")
    return out


@pytest.mark.parametrize("name", ["timer", "counters", "smc_in_block", "trap_mid_block",
                                  "trap_illegal_csr", "if_then_trap", "smc_calls"])
def test_every_block_a_closure_block_ends_as_the_interpreter(name: str) -> None:
    source = getattr(P, name.upper())
    if name.startswith("smc"):
        source = source.format(new=P.ADDI_A0_2, sync="fence.i")
    elf = P.build(name, source)
    ref, _ = run(elf, "interp", BUDGET)
    got, m = run(elf, "closures", BUDGET, threshold=1)
    assert not diff(ref, got), diff(ref, got)
    assert _kinds(m) == {"closures"}


def test_closure_blocks_become_python_blocks_then_native_code() -> None:
    """warm entries of a closure block make it a Python block, hot entries in all native
    code: the timer program's spin loop goes through all three, the end is the
    interpreter's."""
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    m = machine(elf, "native")
    m.translator = native.NativeTranslator(m.hart, threshold=1, warm=3,  # type: ignore[attr-defined]
                                           hot=FOREVER)
    m.run(2_000)
    kinds = _kinds(m)
    assert "python" in kinds and "closures" in kinds  # the loop warm, the cold code not
    m.translator.hot = 8  # type: ignore[attr-defined]  # blocks made from now on
    m.translator.flush()  # type: ignore[attr-defined]
    got = snapshot(m, m.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    assert "native" in _kinds(m)


def test_the_default_native_tier_starts_with_closure_blocks() -> None:
    """The timer program's interrupt handler, entered a few dozen times, stays one."""
    elf = P.build("timer", P.TIMER)
    m = Board(BoardConfig(bios=str(elf), accel="native"), console=lambda b: None)
    assert m.run(BUDGET) == 0
    assert "closures" in _kinds(m)


def test_a_device_asking_for_the_pc_gets_the_closure_blocks_instruction() -> None:
    """The COUNTERS loop's mtime load, run by a closure block, is attributed to its own
    instruction (diagnostics name the pc from there)."""
    elf = P.build("counters", P.COUNTERS)
    m = machine(elf, "closures")
    seen = clint_readers(m, BUDGET)
    assert _kinds(m) == {"closures"}
    assert seen == {m.symbols["loop"] + 12}  # lw t3, 0(s2): mtime
