"""Machine(gdb_port=...): gdb-multiarch attaches, drives the machine while run() serves it,
and detaches; run() then goes on with its own conditions."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import rvirt
from tests.tooling import need

pytestmark = pytest.mark.tools


def test_gdb_attaches_steers_and_detaches(kernel: Callable[[str], Path]) -> None:
    gdb = need("gdb-multiarch")
    elf = kernel("p0")
    with rvirt.Machine(bios=elf, gdb_port=0) as m:
        port = m.gdb_port
        assert isinstance(port, int) and port > 0
        session = subprocess.Popen(
            [gdb, "-nx", "-batch", "-ex", "set confirm off", "-ex", f"file {elf}",
             "-ex", f"target remote 127.0.0.1:{port}", "-ex", "break p0::entry",
             "-ex", "continue", "-ex", "p/x $sp", "-ex", "detach"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        try:
            assert m.wait_for_gdb(timeout=60)
            r = m.run(max_instructions=1000, timeout=120)
            out, _ = session.communicate(timeout=60)
        finally:
            session.kill()
        assert "Breakpoint 1, p0::entry () at src/main.rs:" in out, out
        # entry's loop leaves sp as its prologue set it, where gdb stopped
        assert f"$1 = {m.reg('sp'):#x}" in out, out
        # gdb ran the machine past entry's prologue (and on, after its detach, until it
        # closed the connection), then run() ran its own 1000; all count as this run's
        assert r.reason == "limit" and r.instructions == m.instret > 1012
        assert m.function(m.pc) == "p0::entry"


def test_no_stub_no_waiting(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0")) as m:
        assert m.gdb_port is None
        with pytest.raises(rvirt.ConfigError):
            m.wait_for_gdb(0)
