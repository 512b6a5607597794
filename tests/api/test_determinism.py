"""Two machines given the same inputs retire the same counts and end in the same state,
on every tier."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import rvirt
from rvirt.debug import history

pytestmark = pytest.mark.tools


@pytest.mark.parametrize("name", ["hello", "trap", "paging"])
def test_same_inputs_same_run(name: str, kernel: Callable[[str], Path]) -> None:
    ends = []
    for accel in ("native", "tcg", "interp"):
        with rvirt.Machine(bios=kernel(name), accel=accel) as m:
            r = m.run(timeout=120)
            ends.append((r, m.console.output, history.capture(m.board)))
    assert ends[0][0].reason == "exit"
    assert ends[0] == ends[1] == ends[2]


def test_same_input_in_pieces(kernel: Callable[[str], Path]) -> None:
    """Stopping and going on (slices of any size, breakpoints) changes nothing."""
    with rvirt.Machine(bios=kernel("trap")) as whole, rvirt.Machine(bios=kernel("trap")) as cut:
        whole.run(timeout=120)
        while cut.run(max_instructions=7_777, timeout=120).reason == "limit":
            pass
        assert cut.instret == whole.instret and cut.console.output == whole.console.output


def test_console_input_at_the_same_point(shell_elf: Path) -> None:
    runs = []
    for _ in range(2):
        with rvirt.Machine(bios=shell_elf) as m:
            m.run(until=lambda mm: mm.console.output.endswith(b"ready\r\n"))
            m.console.send(b"abc")
            m.run(max_instructions=5_000)
            m.console.send(b"q")
            r = m.run(timeout=60)
            runs.append((r, m.console.output, m.instret))
    assert runs[0] == runs[1] and runs[0][0].reason == "exit"
