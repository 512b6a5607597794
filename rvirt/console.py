"""The -nographic console: host terminal <-> UART, with QEMU's Ctrl-A escapes
(chardev/char-mux.c): C-a x quits, C-a h prints help, C-a c switches between the guest
and the monitor's `(qemu) ` prompt, C-a C-a sends a C-a.  As QEMU's stdio chardev:
without mux (-serial stdio, -chardev stdio without mux=on) no escape is interpreted;
with signal=on (the default but for mon:stdio) Ctrl-C stops the emulator, otherwise it
reaches the guest as 0x03.
"""

from __future__ import annotations

import os
import select
import sys
import termios
from collections.abc import Callable

from rvirt import __version__

CTRL_A = 0x01
HELP = (
    "C-a h    print this help\r\n"
    "C-a x    exit emulator\r\n"
    "C-a C-a  sends C-a\r\n"
)
HELP_MONITOR = "C-a c    switch between console and monitor\r\n"
# QEMU's words, with rvirt's name: "QEMU 7.2.0 monitor - type 'help' for more information"
BANNER = f"rvirt {__version__} monitor - type 'help' for more information\r\n"
PROMPT = "(qemu) "


class ConsoleQuit(Exception):  # noqa: N818 - control flow
    """The user typed C-a x."""


class Console:
    """`mux`: C-a escapes are interpreted (QEMU's mux chardev); `signal`: Ctrl-C is the
    terminal's interrupt (SIGINT stops the emulator); `monitor(command)`: the text a
    monitor command prints (raising ConsoleQuit for `quit`), reached with C-a c."""

    def __init__(self, to_guest: Callable[[bytes], None], stdin_fd: int | None = None,
                 out: Callable[[bytes], None] | None = None, mux: bool = True,
                 signal: bool = False, monitor: Callable[[str], str] | None = None) -> None:
        self.to_guest = to_guest
        self.fd = sys.stdin.fileno() if stdin_fd is None else stdin_fd
        self.out = out or _write_stdout
        self.mux = mux
        self.signal = signal
        self.monitor = monitor if mux else None
        self.in_monitor = False  # C-a c: typed keys go to the monitor's line
        self.greeted = False  # the monitor's banner is printed the first time only
        self.line = bytearray()
        self.escape = False
        self.eof = False
        self._saved: list | None = None

    def __enter__(self) -> Console:
        try:
            if os.isatty(self.fd):
                self._saved = termios.tcgetattr(self.fd)
                # Raw mode in one change, so there is no moment when keys are raw but a
                # Ctrl-C meant to stop the emulator (signal=on) is not a signal yet.
                mode = termios.tcgetattr(self.fd)
                mode[0] &= ~(termios.BRKINT | termios.ICRNL | termios.INPCK
                             | termios.ISTRIP | termios.IXON)
                mode[2] = (mode[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
                mode[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
                mode[6][termios.VMIN] = 1
                mode[6][termios.VTIME] = 0
                # QEMU keeps output processing on (chardev/char-stdio.c sets OPOST), so a
                # guest's bare "\n" still reaches the terminal as "\r\n".
                mode[1] |= termios.OPOST
                if self.signal:  # QEMU's stdio chardev with signal=on keeps ISIG
                    mode[3] |= termios.ISIG
                termios.tcsetattr(self.fd, termios.TCSAFLUSH, mode)
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
        if not self.mux:
            self.to_guest(data)
            return
        plain = bytearray()
        for b in data:
            if self.escape:
                self.escape = False
                if b in (ord("x"), ord("X")):
                    self.to_guest(bytes(plain))
                    self.out(b"rvirt: Terminated\r\n")
                    raise ConsoleQuit
                if b in (ord("h"), ord("?"), ord("H")):
                    self.out((HELP + (HELP_MONITOR if self.monitor else "")).encode())
                elif b in (ord("c"), ord("C")) and self.monitor is not None:
                    self.to_guest(bytes(plain))
                    plain.clear()
                    self._switch()
                elif b == CTRL_A:
                    self._key(plain, CTRL_A)
                # other escapes (s, t, b) are not supported: ignored
            elif b == CTRL_A:
                self.escape = True
            else:
                self._key(plain, b)
        if plain:
            self.to_guest(bytes(plain))

    def _key(self, plain: bytearray, b: int) -> None:
        if not self.in_monitor:
            plain.append(b)
        elif b in (0x0D, 0x0A):  # Enter: the line is a command
            self.out(b"\r\n")
            command = self.line.decode(errors="replace").strip()
            self.line.clear()
            if command and self.monitor is not None:
                text = self.monitor(command)  # ConsoleQuit for `quit`
                self.out(text.replace("\n", "\r\n").encode())
            self.out(PROMPT.encode())
        elif b in (0x7F, 0x08):  # backspace
            if self.line:
                self.line.pop()
                self.out(b"\b \b")
        elif 0x20 <= b < 0x7F:
            self.line.append(b)
            self.out(bytes([b]))

    def _switch(self) -> None:
        """C-a c: the guest's console <-> the monitor (QEMU's mux focus)."""
        self.in_monitor = not self.in_monitor
        if self.in_monitor:
            self.out(((BANNER if not self.greeted else "") + PROMPT).encode())
            self.greeted = True
        else:
            self.out(b"\r\n")


def _write_stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
