"""A program on the slave side of a pseudo-terminal, driven from the master side like a
person at a keyboard: every wait is bounded by WAIT seconds."""

from __future__ import annotations

import os
import select
import subprocess
import termios
import time
from collections.abc import Sequence

from tests.tooling import ROOT

WAIT = 60.0  # seconds any single expectation may take before the test fails


class Terminal:
    """An emulator running on the slave side of a pty; the test holds the master."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.master, slave = os.openpty()
        try:
            self.proc = subprocess.Popen(list(argv), cwd=ROOT, stdin=slave, stdout=slave,
                                         stderr=slave, start_new_session=True)
        finally:
            os.close(slave)
        self.output = b""

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self.master)

    def wait_for_raw_mode(self) -> None:
        """Both emulators switch the terminal to raw mode before they read keys; typing
        earlier could be discarded by that switch."""
        deadline = time.monotonic() + WAIT
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            assert self.proc.poll() is None, f"exited early: {self.read_available()!r}"
            assert time.monotonic() < deadline, "the terminal never went to raw mode"
            time.sleep(0.05)

    def read_available(self, timeout: float = 0.1) -> bytes:
        got = b""
        while True:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                return got
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the emulator has exited
                return got
            if not chunk:
                return got
            got += chunk
            self.output += chunk
            timeout = 0

    def expect(self, wanted: bytes) -> None:
        start = len(self.output)
        deadline = time.monotonic() + WAIT
        while wanted not in self.output[start:]:
            assert time.monotonic() < deadline, (
                f"{wanted!r} did not appear; the terminal showed {self.output[start:]!r}")
            self.read_available(0.2)
            if self.proc.poll() is not None:
                self.read_available(0)
                assert wanted in self.output[start:], (
                    f"exited ({self.proc.returncode}) before {wanted!r}: "
                    f"{self.output[start:]!r}")

    def wait_exit(self) -> int:
        deadline = time.monotonic() + WAIT
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, "the emulator did not exit"
            self.read_available(0.2)
        self.read_available(0)
        return self.proc.returncode

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def lflag(self) -> int:
        return termios.tcgetattr(self.master)[3]
