"""Reverse commands in `rvirt -debugger`, on the machine's history (reverse_step and
reverse_continue of the facade): back to the same registers, the last write to a watched
static, back a source line, and the start of history."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.debug.frontend.compare import answers, rvirt_session

pytestmark = pytest.mark.tools


def _session(elf: Path, commands: list[str]) -> list[tuple[str, list[str]]]:
    status, out, err = rvirt_session(elf, commands)
    assert status == 0 and "Traceback" not in out + err, err
    return answers(out, "(rvirt) ")[1:]


def test_reverse_stepi_returns_to_the_same_registers(p0_elf: Path) -> None:
    got = _session(p0_elf, ["break p0::entry", "continue", "next 3", "info registers",
                            "stepi 7", "info registers", "reverse-stepi 7", "info registers",
                            "rsi", "stepi", "info registers"])
    before, moved, back, again = got[3][1], got[5][1], got[7][1], got[10][1]
    assert moved != before
    assert back == before
    assert again == before


def test_reverse_continue_finds_the_last_write_to_a_watched_static(p0_elf: Path) -> None:
    got = dict((f"{i}:{c}", lines) for i, (c, lines) in enumerate(_session(p0_elf, [
        "break p0::entry", "continue", "delete", "next 8", "p TICKS", "watch TICKS",
        "reverse-continue", "p TICKS", "continue"])))
    assert got["4:p TICKS"] == ["$1 = 2"]
    rc = got["6:reverse-continue"]
    assert rc[:5] == ["", "Hardware watchpoint 2: TICKS", "", "Old value = 2",
                      "New value = 1"]
    assert rc[-1] == "43\t        unsafe { TICKS = ticks };"  # the store that wrote 2
    assert got["7:p TICKS"] == ["$2 = 1"]
    forward = got["8:continue"]  # and forward again: the same store writes 2
    assert forward[1:6] == ["", "Hardware watchpoint 2: TICKS", "", "Old value = 1",
                            "New value = 2"]


def test_reverse_next_goes_back_a_line(p0_elf: Path) -> None:
    got = _session(p0_elf, ["break p0::entry", "continue", "next 6", "reverse-next",
                            "reverse-next", "rn", "reverse-step"])
    assert got[2][1][-1] == "41\t        ticks = ticks.wrapping_add(step);"
    assert got[3][1] == ["40\t    loop {"]
    assert got[4][1] == ["43\t        unsafe { TICKS = ticks };"]
    assert got[5][1] == ["41\t        ticks = ticks.wrapping_add(step);"]
    assert got[6][1] == ["40\t    loop {"]


def test_reverse_continue_stops_at_the_start_of_history(p0_elf: Path) -> None:
    got = _session(p0_elf, ["si 3", "reverse-continue", "p $pc", "rc"])
    assert got[1][1] == ["", "No more reverse-execution history.", "0x00001000 in ?? ()"]
    assert got[2][1] == ["$1 = (void (*)()) 0x1000"]
    assert got[3][1] == got[1][1]
