"""The built-in debugger's source-line moves, both ways, on the loops of
test_line_steps.py: a reverse-next or reverse-step stops at a breakpoint or at the start
of a line-table row, never inside one, and every stop's state is the forward-only run's
at the same position."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rvirt.board.virt import Board
from rvirt.debug.frontend import make_debugger
from rvirt.debug.frontend.commands import execute
from rvirt.debug.frontend.session import Debugger
from rvirt.debug.machine_target import MachineTarget
from tests.debug.history.conftest import (
    LOOP_C_COUNTER_LINE,
    fingerprint,
    forward_only,
    machine,
    row_starts,
)

pytestmark = pytest.mark.tools

Fingerprint = tuple[int, int, tuple[int, ...], str]
LINE_MOVES = ("next", "step", "finish", "continue", "reverse-next", "reverse-step",
              "reverse-finish", "reverse-continue")
COUNTER_LINE = {"split": "split.rs:42", "c": f"reverse_loop.c:{LOOP_C_COUNTER_LINE}"}
BREAKS = {"split": ["break split.rs:42", "break split.rs:44"],
          "c": [f"break reverse_loop.c:{LOOP_C_COUNTER_LINE}", "break bump"]}


def _debugger(elf: Path) -> tuple[Board, Debugger, list[str]]:
    m = machine(elf)
    t = MachineTarget(m)
    out: list[str] = []
    d = make_debugger(t, out=out.append)
    t.history.interval = 1 << 10  # several snapshots, so reverse runs replay intervals
    return m, d, out


def _do(d: Debugger, out: list[str], command: str) -> str:
    out.clear()
    execute(d, command)
    return "".join(out)


@pytest.fixture(params=["split", "c"])
def kernel(request: pytest.FixtureRequest, split_elf: Path,
           loop_c_elf: Path) -> tuple[str, Path]:
    return request.param, split_elf if request.param == "split" else loop_c_elf


def test_next_three_times_then_reverse_next_three_times(kernel: tuple[str, Path]) -> None:
    """The issue's session: back at breakpoint 1 with the very state it started from."""
    name, elf = kernel
    m, d, out = _debugger(elf)
    _do(d, out, f"break {COUNTER_LINE[name]}")
    assert "Breakpoint 1," in _do(d, out, "continue")
    start = fingerprint(m)
    seen = [start]
    for _ in range(3):
        _do(d, out, "next")
        seen.append(fingerprint(m))
    rows = row_starts(elf)
    for n in range(3):
        said = _do(d, out, "reverse-next")
        seen.append(fingerprint(m))
        assert m.hart.pc in rows, (n, hex(m.hart.pc), said)
    assert "Breakpoint 1," in said, said
    assert seen[-1] == start
    forward_only(elf, seen)


def test_reverse_next_stops_at_a_breakpoint_on_the_way(loop_c_elf: Path) -> None:
    """gdb stops a reverse line step at a breakpoint it meets, mid-line too."""
    m, d, out = _debugger(loop_c_elf)
    _do(d, out, f"break reverse_loop.c:{LOOP_C_COUNTER_LINE}")
    _do(d, out, "continue")
    line_start = m.hart.pc
    size = 4 if m.read_memory(line_start, 2)[0] & 3 == 3 else 2
    _do(d, out, "next")
    _do(d, out, f"break *{line_start + size:#x}")
    said = _do(d, out, "reverse-next")
    assert "Breakpoint 2," in said, said
    assert m.hart.pc == line_start + size
    said = _do(d, out, "reverse-next")
    assert "Breakpoint 1," in said, said
    assert m.hart.pc == line_start


@pytest.mark.parametrize(("name", "seed"), [("split", 1), ("split", 2), ("c", 2), ("c", 5)])
def test_random_line_moves_both_ways(name: str, seed: int, split_elf: Path,
                                     loop_c_elf: Path) -> None:
    elf = split_elf if name == "split" else loop_c_elf
    m, d, out = _debugger(elf)
    for b in BREAKS[name]:
        _do(d, out, b)
    rows = row_starts(elf)
    stops = rows | {bp.addr for bp in d.breakpoints.values()}
    rng = random.Random(seed)
    moves = ["continue"] + [rng.choice(LINE_MOVES) for _ in range(16)]
    seen: list[Fingerprint] = []
    for n, move in enumerate(moves):
        said = _do(d, out, move)
        if not d.running:
            break
        seen.append(fingerprint(m))
        # (leaving the code with lines, for the boot ROM, stops there as in gdb)
        if move in ("reverse-next", "reverse-step") and min(rows) <= m.hart.pc < max(rows):
            assert m.hart.pc in stops, (n, move, hex(m.hart.pc), said)
    assert len(seen) >= 10, moves
    forward_only(elf, seen)
