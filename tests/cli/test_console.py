"""The -nographic console on a real terminal (a pty): QEMU's Ctrl-A keys (C-a h prints the
help, C-a x quits with status 0 and a "Terminated" line, C-a C-a sends one C-a) and plain
keys reaching the guest's UART.  Every wait is bounded; the process is killed in `finally`.
"""

from __future__ import annotations

import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.guest import ARGS, ECHO, SPIN, program
from tests.cli.pty_terminal import Terminal as PtyTerminal
from tests.tooling import RVIRT

pytestmark = pytest.mark.tools

CTRL_A = b"\x01"


def Terminal(elf: Path) -> PtyTerminal:  # noqa: N802 - reads like the class it makes
    """rvirt on a pty, running `elf`."""
    return PtyTerminal([*RVIRT, *ARGS, "-bios", str(elf)])


@pytest.fixture
def spin_terminal() -> Iterator[Terminal]:
    term = Terminal(program("spin", SPIN))
    try:
        yield term
    finally:
        term.close()


def test_ctrl_a_h_then_ctrl_a_x(spin_terminal: Terminal) -> None:
    term = spin_terminal
    term.wait_for_raw_mode()
    term.type(CTRL_A + b"h")
    term.expect(b"C-a x")
    assert b"C-a h" in term.output
    term.type(CTRL_A + b"x")
    term.expect(b"Terminated")
    assert term.wait_exit() == 0
    assert b"Traceback" not in term.output
    lines = [line for line in term.output.splitlines() if b"Terminated" in line]
    assert len(lines) == 1, term.output


def test_terminal_is_restored_after_ctrl_a_x(spin_terminal: Terminal) -> None:
    term = spin_terminal
    before = term.lflag()
    term.wait_for_raw_mode()
    term.type(CTRL_A + b"x")
    assert term.wait_exit() == 0
    after = term.lflag()
    for flag in (termios.ICANON, termios.ECHO, termios.ISIG):
        assert after & flag == before & flag, f"terminal flag {flag:#x} not restored"


def test_keys_reach_the_guest_and_ctrl_a_ctrl_a_sends_one_ctrl_a() -> None:
    term = Terminal(program("echo", ECHO))
    try:
        term.wait_for_raw_mode()
        term.type(b"abc")
        term.expect(b"abc")
        term.type(CTRL_A + CTRL_A + b"z")
        term.expect(b"\x01z")
        term.type(b"\x03")  # Ctrl-C belongs to the guest, as in QEMU's -nographic
        term.expect(b"\x03")
        assert term.proc.poll() is None
        term.type(CTRL_A + b"x")
        assert term.wait_exit() == 0
    finally:
        term.close()
