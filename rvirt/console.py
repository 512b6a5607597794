"""The -nographic console: host terminal <-> UART, with QEMU's Ctrl-A escapes
(chardev/char-mux.c): C-a x quits, C-a h prints help, C-a C-a sends a C-a.  Ctrl-C is
not intercepted; it reaches the guest as 0x03, as on QEMU.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from collections.abc import Callable

CTRL_A = 0x01
HELP = (
    "C-a h    print this help\r\n"
    "C-a x    exit emulator\r\n"
    "C-a C-a  sends C-a\r\n"
)


class ConsoleQuit(Exception):  # noqa: N818 - control flow
    """The user typed C-a x."""


class Console:
    def __init__(self, to_guest: Callable[[bytes], None], stdin_fd: int | None = None,
                 out: Callable[[bytes], None] | None = None) -> None:
        self.to_guest = to_guest
        self.fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
        self.out = out or _write_stdout
        self.escape = False
        self.eof = False
        self._saved: list | None = None

    def __enter__(self) -> Console:
        try:
            if os.isatty(self.fd):
                self._saved = termios.tcgetattr(self.fd)
                tty.setraw(self.fd)
                # QEMU keeps output processing on (chardev/char-stdio.c sets OPOST), so a
                # guest's bare "\n" still reaches the terminal as "\r\n".
                mode = termios.tcgetattr(self.fd)
                mode[1] |= termios.OPOST
                termios.tcsetattr(self.fd, termios.TCSANOW, mode)
        except (termios.error, OSError):
            self._saved = None
        return self

    @property
    def is_terminal(self) -> bool:
        """A person types here (stdin is a terminal), rather than a pipe or a file."""
        try:
            return os.isatty(self.fd)
        except (OSError, ValueError):
            return False

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)

    def poll(self, timeout: float = 0.0) -> None:
        """Move whatever the host typed to the guest; raise ConsoleQuit on C-a x."""
        if self.eof:
            return
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
        except (OSError, ValueError):
            self.eof = True
            return
        if not ready:
            return
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return
        self.feed(data)

    def feed(self, data: bytes) -> None:
        plain = bytearray()
        for b in data:
            if self.escape:
                self.escape = False
                if b in (ord("x"), ord("X")):
                    self.to_guest(bytes(plain))
                    self.out(b"rvirt: Terminated\r\n")
                    raise ConsoleQuit
                if b in (ord("h"), ord("?"), ord("H")):
                    self.out(HELP.encode())
                elif b == CTRL_A:
                    plain.append(CTRL_A)
                # other escapes (s, t, b, c) are not supported: ignored
            elif b == CTRL_A:
                self.escape = True
            else:
                plain.append(b)
        if plain:
            self.to_guest(bytes(plain))


def _write_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
