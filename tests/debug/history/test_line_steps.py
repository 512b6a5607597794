"""Source-line moves through gdb-multiarch, both ways: next/step/finish/continue and
their reverse forms on counting loops.  Every stop of a reverse-next or reverse-step must
be at a user breakpoint or at the start of a line-table row, and every stop's state must
be the forward-only run's at the same position."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from rvirt.board.virt import Board
from rvirt.debug.machine_target import MachineTarget
from tests.debug.history.conftest import LOOP_C_COUNTER_LINE, machine, row_starts
from tests.debug.history.test_gdb import Fingerprint, check_session, gdb_session, with_checkpoints

pytestmark = pytest.mark.tools

CHECK = ["monitor checkpoint", "info registers"]
LINE_MOVES = ("next", "step", "finish", "continue", "reverse-next", "reverse-step",
              "reverse-finish", "reverse-continue")
BREAKS = {"split": ["break split.rs:42", "break split.rs:44"],
          "c": [f"break reverse_loop.c:{LOOP_C_COUNTER_LINE}", "break bump"]}


def _elf(kernel: str, split_elf: Path, loop_c_elf: Path) -> Path:
    return split_elf if kernel == "split" else loop_c_elf


def _breakpoints(out: str) -> set[int]:
    return {int(a, 16) for a in re.findall(r"^Breakpoint \d+ at 0x([0-9a-f]+)", out, re.M)}


def _run(elf: Path, commands: list[str]) -> tuple[Board, str, list[Fingerprint]]:
    m = machine(elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 10  # several snapshots, so reverse runs replay intervals
    checks = with_checkpoints(t)
    out = gdb_session(t, elf, commands)
    return m, out, checks


def _assert_line_stops(elf: Path, out: str, moves: list[str],
                       checks: list[Fingerprint]) -> None:
    """Each reverse line step stopped at a breakpoint or a row's start (never inside a
    row), unless it left the code with lines (the boot ROM: gdb stops there)."""
    rows = row_starts(elf)
    stops = rows | _breakpoints(out)
    for n, (move, check) in enumerate(zip(moves, checks, strict=False)):
        if move in ("reverse-next", "reverse-step") and min(rows) <= check[1] < max(rows):
            assert check[1] in stops, (n, move, hex(check[1]), out)


@pytest.mark.parametrize("kernel", ["split", "c"])
def test_next_three_times_then_reverse_next_three_times(
        kernel: str, split_elf: Path, loop_c_elf: Path) -> None:
    """The issue's session: from the breakpoint on `COUNTER = ticks`, next x3 then
    reverse-next x3."""
    elf = _elf(kernel, split_elf, loop_c_elf)
    moves = ["next"] * 3 + ["reverse-next"] * 3
    commands = [*BREAKS[kernel][:1], "continue", *CHECK]
    for move in moves:
        commands += [move, *CHECK]
    m, out, checks = _run(elf, commands)
    assert len(checks) == 7, out
    start = checks[0]
    assert start[1] in _breakpoints(out), out
    # forward: each next moves on to another line
    pairs = zip(checks[:3], checks[1:4], strict=True)
    assert all(a[1] != b[1] and a[0] < b[0] for a, b in pairs), out
    _assert_line_stops(elf, out, ["continue", *moves], checks)
    # backwards: each reverse-next goes back to the start of a line ...
    assert checks[3][0] > checks[4][0] > checks[5][0] > checks[6][0] >= start[0], out
    if kernel == "c":
        # ... which, with one row per line, is exactly where each next started
        assert checks[4] == checks[2] and checks[5] == checks[1], out
        assert checks[6] == start, out
    else:
        # gdb 13 renews its step range to the row it meets a line in and stops at that
        # row's start (infrun.c): the last one stops at the start of line 42's
        # non-statement row, two instructions after the breakpoint.  A gdb that steps
        # back to the first row of the line would stop at the breakpoint itself.
        assert checks[6][1] in (start[1], start[1] + 4), out
    check_session(m, elf, out, checks, 7)


@pytest.mark.parametrize(("kernel", "seed"), [("split", 1), ("split", 2), ("c", 3),
                                              ("c", 4)])
def test_random_line_moves_both_ways(kernel: str, seed: int, split_elf: Path,
                                     loop_c_elf: Path) -> None:
    elf = _elf(kernel, split_elf, loop_c_elf)
    rng = random.Random(seed)
    moves = ["continue"] + [rng.choice(LINE_MOVES) for _ in range(14)]
    commands = list(BREAKS[kernel])
    for move in moves:
        commands += [move, *CHECK]
    m, out, checks = _run(elf, commands)
    assert len(checks) >= 10, out
    _assert_line_stops(elf, out, moves, checks)
    check_session(m, elf, out, checks, 10)
