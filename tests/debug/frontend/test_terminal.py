"""`rvirt -debugger` on a real terminal (a pty): the prompt, Ctrl-C stopping a running
guest with gdb's SIGINT report, C-a c from the prompt to the console and back, and quit
restoring the terminal.  Every wait is bounded; the process is killed in `finally`."""

from __future__ import annotations

import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.pty_terminal import WAIT, Terminal
from tests.tooling import RVIRT

pytestmark = pytest.mark.tools

ARGS = ["-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic"]


class Session:
    """Expectations in order over the whole output: what one read brought in together
    (a stop report and the next prompt) is not lost between two expectations."""

    def __init__(self, term: Terminal) -> None:
        self.term = term
        self.pos = 0

    def expect(self, wanted: bytes) -> None:
        t = self.term
        deadline = time.monotonic() + WAIT
        while wanted not in t.output[self.pos:]:
            assert time.monotonic() < deadline, (
                f"{wanted!r} did not appear; the terminal showed {t.output[self.pos:]!r}")
            assert t.proc.poll() is None or wanted in t.output[self.pos:], t.output
            t.read_available(0.2)
        self.pos = t.output.index(wanted, self.pos) + len(wanted)

    def type(self, keys: bytes) -> None:
        self.term.type(keys)


@pytest.fixture
def term(p0_elf: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    # the pty cannot answer prompt_toolkit's cursor position request; say so up front
    monkeypatch.setenv("PROMPT_TOOLKIT_NO_CPR", "1")
    t = Terminal([*RVIRT, *ARGS, "-bios", str(p0_elf), "-debugger"])
    try:
        yield Session(t)
    finally:
        t.close()


def test_ctrl_c_stops_the_guest_and_returns_to_the_prompt(term: Session) -> None:
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
    assert term.term.wait_exit() == 0


def test_ctrl_a_c_toggles_console_and_prompt(term: Session) -> None:
    term.expect(b"(rvirt)")
    term.type(b"\x01c")  # to the console: the guest runs
    term.expect(b"C-a c returns to the prompt]")
    term.type(b"\x01c")  # and back to the prompt, where it stopped
    term.expect(b"in p0::entry () at src/main.rs:")
    term.expect(b"(rvirt)")
    term.type(b"quit\r")
    assert term.term.wait_exit() == 0
    mode = termios.tcgetattr(term.term.master)
    assert mode[3] & termios.ICANON  # the terminal is cooked again
