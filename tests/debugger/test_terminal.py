"""`rvirt -debugger` on a real terminal (a pty): the prompt, Ctrl-C stopping a running
guest with gdb's SIGINT report, C-a c from the prompt to the console and back, and quit
restoring the terminal.  Every wait is bounded; the process is killed in `finally`."""

from __future__ import annotations

import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.pty_terminal import Terminal
from tests.tooling import RVIRT

pytestmark = pytest.mark.tools

ARGS = ["-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic"]


@pytest.fixture
def term(p0_elf: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Terminal]:
    # the pty cannot answer prompt_toolkit's cursor position request; say so up front
    monkeypatch.setenv("PROMPT_TOOLKIT_NO_CPR", "1")
    t = Terminal([*RVIRT, *ARGS, "-bios", str(p0_elf), "-debugger"])
    try:
        yield t
    finally:
        t.close()


def test_ctrl_c_stops_the_guest_and_returns_to_the_prompt(term: Terminal) -> None:
    term.expect(b"0x00001000 in ?? ()")
    term.expect(b"(rvirt)")
    term.type(b"continue\r")
    term.expect(b"Continuing.")
    term.type(b"\x03")
    term.expect(b"Program received signal SIGINT, Interrupt.")
    term.expect(b"in p0::entry () at src/main.rs:")  # entry counts forever
    term.expect(b"(rvirt)")
    term.type(b"info registers pc\r")
    term.expect(b"<p0::entry+")
    term.type(b"quit\r")
    assert term.wait_exit() == 0


def test_ctrl_a_c_toggles_console_and_prompt(term: Terminal) -> None:
    term.expect(b"(rvirt)")
    term.type(b"\x01c")  # to the console: the guest runs
    term.expect(b"C-a c returns to the prompt]")
    term.type(b"\x01c")  # and back to the prompt, where it stopped
    term.expect(b"in p0::entry () at src/main.rs:")
    term.expect(b"(rvirt)")
    term.type(b"quit\r")
    assert term.wait_exit() == 0
    mode = termios.tcgetattr(term.master)
    assert mode[3] & termios.ICANON  # the terminal is cooked again
