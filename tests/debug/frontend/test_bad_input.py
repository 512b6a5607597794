"""Bad input at the `(rvirt) ` prompt gets gdb's kind of answer, one line, never a
traceback, and the session goes on; at the end of its input rvirt exits 0."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.debug.frontend.compare import answers, rvirt_session, side_by_side
from tests.tooling import need

pytestmark = pytest.mark.tools

# Answered as gdb 13 answers them on QEMU (checked against it below): at the reset
# vector (gdb's language is then C), in a Rust frame, and after `kill`.
AS_GDB = [
    "foo", "info foo", "p nosuch", "x/i 0x90000000", "frame 9", "info registers foo",
    "p *0", "step", "finish", "delete 7", "p $nonexistent", "x/2xw 0x895ffffc",
    "break p0::entry", "continue", "p nosuch", "p *ticks", "p ticks.foo", "p ticks[1]",
    "up", "down", "frame 3", "x/s 0", "kill", "info locals", "continue", "p 1",
]


def test_bad_input_answers_as_gdb(demo: ModuleType, p0_elf: Path) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    for command, ours, gdbs in side_by_side(p0_elf, demo, AS_GDB):
        assert ours == gdbs, command


EXPECTED = {
    "foo": ['Undefined command: "foo".  Try "help".'],
    "info foo": ['Undefined info command: "foo".  Try "help info".'],
    "p nosuch": ['No symbol "nosuch" in current context.'],  # C at the reset vector
    "x 0x0": ["0x0:\tCannot access memory at address 0x0"],
    "x/i 0x90000000": ["   0x90000000:\tCannot access memory at address 0x90000000"],
    "info registers foo": ["Invalid register `foo'"],
    "frame 9": ["No frame at level 9."],
    "break nosuch": ['Function "nosuch" not defined.'],
    "tbreak src/nosuch.rs:3": ["No source file named src/nosuch.rs."],
    "p/y 1": ['Undefined output format "y".'],
    "watch": ["Argument required (expression to compute)."],
    "rc": [],  # answered by the history (checked in test_reverse)
}


def test_bad_input_without_gdb(p0_elf: Path) -> None:
    commands = [c for c in EXPECTED if c != "rc"] + ["p 1 +", "p (", "x/4xw", "p $pc +",
                                                     "stepi x", "delete x", "", "#", "x/q $pc",
                                                     "info line nosuch", "list nosuch"]
    status, out, err = rvirt_session(p0_elf, commands)
    assert status == 0
    assert "Traceback" not in out + err
    got = answers(out, "(rvirt) ")[1:]
    assert [c for c, _ in got] == commands
    for command, lines in got:
        if command in EXPECTED:
            assert lines == EXPECTED[command], command
        elif command.strip() and not command.startswith("#"):
            assert 1 <= len(lines) <= 2 and lines[0], (command, lines)  # a short refusal


def test_after_kill_nothing_runs(p0_elf: Path) -> None:
    status, out, err = rvirt_session(p0_elf, ["kill", "si", "continue", "next", "bt",
                                              "quit", "p 1"])
    assert status == 0
    got = answers(out, "(rvirt) ")
    assert got[1] == ("kill", ["[Inferior 1 (process 1) killed]"])
    assert all(lines == ["The program is not being run."] for _, lines in got[2:6])
    assert [c for c, _ in got][-1] == "quit"  # quit ends the session: `p 1` is never read
