"""With commands on a pipe, SIGINT (what Ctrl-C sends) stops a running guest and the
session reads on, as gdb does; every wait is bounded."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.debug.frontend.compare import MACHINE
from tests.tooling import ROOT, RVIRT

pytestmark = pytest.mark.tools
WAIT = 60.0


def _read_until(proc: subprocess.Popen[bytes], seen: bytearray, wanted: bytes) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + WAIT
    while wanted not in seen:
        assert time.monotonic() < deadline, f"{wanted!r} never came: {bytes(seen)!r}"
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, f"exited before {wanted!r}: {bytes(seen)!r}"
            seen += chunk


def test_sigint_stops_continue_and_the_script_goes_on(p0_elf: Path) -> None:
    proc = subprocess.Popen([*RVIRT, *MACHINE, "-bios", str(p0_elf), "-debugger"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    assert proc.stdin is not None
    seen = bytearray()
    try:
        proc.stdin.write(b"continue\n")
        proc.stdin.flush()
        _read_until(proc, seen, b"Continuing.\n")
        proc.send_signal(signal.SIGINT)
        _read_until(proc, seen, b"Program received signal SIGINT, Interrupt.\n")
        proc.stdin.write(b"p TICKS > 0\np ticks == ticks\ninfo registers pc\n")
        proc.stdin.close()
        _read_until(proc, seen, b"<p0::entry+")
        assert proc.wait(timeout=WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = seen.decode()
    assert "in p0::entry () at src/main.rs:" in text.split("SIGINT, Interrupt.\n", 1)[1]
