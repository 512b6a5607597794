"""The -nographic console on a real terminal (a pty): QEMU's Ctrl-A keys (C-a h prints the
help, C-a x quits with status 0 and a "Terminated" line, C-a C-a sends one C-a) and plain
keys reaching the guest's UART.  Every wait is bounded; the process is killed in `finally`.
"""

from __future__ import annotations

import os
import select
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.guest import ARGS, ECHO, SPIN, program
from tests.tooling import ROOT, RVIRT

pytestmark = pytest.mark.tools

WAIT = 60.0  # seconds any single expectation may take before the test fails
CTRL_A = b"\x01"


class Terminal:
    """rvirt running on the slave side of a pty; the test holds the master."""

    def __init__(self, elf: Path) -> None:
        self.master, slave = os.openpty()
        try:
            self.proc = subprocess.Popen([*RVIRT, *ARGS, "-bios", str(elf)], cwd=ROOT,
                                         stdin=slave, stdout=slave, stderr=slave,
                                         start_new_session=True)
        finally:
            os.close(slave)
        self.output = b""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self.master)

    def lflag(self) -> int:
        return termios.tcgetattr(self.master)[3]

    def wait_for_raw_mode(self) -> None:
        """rvirt switches the terminal to raw mode before it reads keys; typing earlier
        could be discarded by that switch, so wait for it."""
        deadline = time.monotonic() + WAIT
        while self.lflag() & termios.ICANON:
            assert self.proc.poll() is None, f"rvirt exited early: {self.read_available()!r}"
            assert time.monotonic() < deadline, "rvirt never put the terminal in raw mode"
            time.sleep(0.05)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def read_available(self, timeout: float = 0.1) -> bytes:
        got = b""
        while True:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                return got
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: every slave descriptor is closed (rvirt has exited)
                return got
            if not chunk:
                return got
            got += chunk
            self.output += chunk
            timeout = 0

    def expect(self, wanted: bytes) -> None:
        """Read until `wanted` has appeared in the output since the last expect."""
        start = len(self.output)
        deadline = time.monotonic() + WAIT
        while wanted not in self.output[start:]:
            assert time.monotonic() < deadline, (
                f"{wanted!r} did not appear; the terminal showed {self.output[start:]!r}")
            self.read_available(0.2)
            if self.proc.poll() is not None:
                self.read_available(0)
                assert wanted in self.output[start:], (
                    f"rvirt exited ({self.proc.returncode}) before printing {wanted!r}; "
                    f"it printed {self.output[start:]!r}")

    def wait_exit(self) -> int:
        deadline = time.monotonic() + WAIT
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, "rvirt did not exit"
            self.read_available(0.2)
        self.read_available(0)
        return self.proc.returncode


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
