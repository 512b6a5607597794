"""snapshot()/restore(): through pickle, into the same machine, into a new one, and into
another process; the run after a restore is the run that would have followed."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import rvirt
from rvirt.debug import history
from tests.tooling import ROOT

pytestmark = pytest.mark.tools


def _finish(m: rvirt.Machine) -> tuple[str, int | None, int, bytes]:
    r = m.run(timeout=120)
    return r.reason, r.exit_code, m.instret, m.console.output


def test_restore_into_a_new_machine(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("trap")) as m:
        m.run(until="trap_vector")
        m.run(until="trap_vector")  # the second timer interrupt
        snap = pickle.loads(pickle.dumps(m.snapshot()))
        expected = _finish(m)
    assert expected[:2] == ("exit", 0)
    with rvirt.Machine(bios=kernel("trap")) as fresh:
        fresh.restore(snap)
        assert fresh.console.text.count("timer interrupt ") == 1  # "timer interrupt 1 (..."
        assert fresh.csr("mcause") == 0x8000_0007 and fresh.pc == fresh.symbols["trap_vector"]
        assert _finish(fresh) == expected
    with rvirt.Machine.from_snapshot(snap) as made:
        assert made.instret == snap.instructions
        assert _finish(made) == expected


def test_restore_goes_back_in_the_same_machine(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("hello")) as m:
        m.run(max_instructions=30_000)
        snap = m.snapshot()
        first = _finish(m)
        m.restore(snap)
        assert m.instret == 30_000 and m.console.output == snap.console
        assert _finish(m) == first


def test_a_snapshot_is_small(kernel: Callable[[str], Path]) -> None:
    """Only the pages in use are kept, compressed: a 512 MiB machine pickles small."""
    with rvirt.Machine(bios=kernel("paging"), memory="512M") as m:
        m.run(max_instructions=100_000)
        snap = m.snapshot()
        blob = pickle.dumps(snap)
        assert len(blob) < 256 * 1024
        assert snap.state.pages and all(len(p) == history.PAGE for p in snap.state.pages.values())


def test_state_captures_paging_and_pmp(kernel: Callable[[str], Path]) -> None:
    """Sv32 on, in U-mode: the restored machine translates as the original does."""
    with rvirt.Machine(bios=kernel("paging")) as m:
        r = m.run(until=0x0040_0000)  # the user program, in its own address space
        assert r.reason == "until" and m.priv == "U" and m.csr("satp") >> 31 == 1
        snap = pickle.loads(pickle.dumps(m.snapshot()))
        code = m.read(0x0040_0000, 16)
        expected = _finish(m)
    with rvirt.Machine.from_snapshot(snap) as again:
        assert again.priv == "U" and again.read(0x0040_0000, 16) == code
        assert _finish(again) == expected


CHILD = """
import json, pickle, sys
import rvirt
snap = pickle.load(open(sys.argv[1], "rb"))
with rvirt.Machine.from_snapshot(snap) as m:
    r = m.run(timeout=120)
    print(json.dumps([r.reason, r.exit_code, m.instret, m.console.text]))
"""


def test_shipped_to_another_process(kernel: Callable[[str], Path], tmp_path: Path) -> None:
    with rvirt.Machine(bios=kernel("trap")) as m:
        m.run(until="trap_vector")
        (tmp_path / "snap.pickle").write_bytes(pickle.dumps(m.snapshot()))
        reason, code, instret, output = _finish(m)
    r = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "snap.pickle")],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [reason, code, instret, output.decode()]


def test_restoring_is_exact_state(kernel: Callable[[str], Path]) -> None:
    """The captured state of the restored machine equals the one it was restored from."""
    with rvirt.Machine(bios=kernel("trap")) as m, rvirt.Machine(bios=kernel("trap")) as n:
        m.run(until="trap_vector")
        snap = m.snapshot()
        n.restore(snap)
        assert history.capture(n.board) == history.capture(m.board) == snap.state


def test_uart_fifo_and_pending_input_are_kept(shell_elf: Path) -> None:
    """A typed byte in the receive buffer (the shell leaves the FIFO off), the rest
    waiting outside the UART, the receive interrupt pending: a restored machine echoes
    them all, as the original."""
    with rvirt.Machine(bios=shell_elf) as m:
        m.run(timeout=60)
        m.console.send(b"abcdefghijklmnoprstuvwxyz")
        state = m.board.uart.state()
        assert state["lsr"] & 1 and len(state["host"]) == 24 and state["irq"]  # DR
        snap = pickle.loads(pickle.dumps(m.snapshot()))
        m.run(timeout=60)
        expected = m.console.output
    with rvirt.Machine.from_snapshot(snap) as again:
        assert again.board.uart.state() == state
        again.run(timeout=60)
        assert again.console.output == expected == b"shell ready\r\nABCDEFGHIJKLMNOPRSTUVWXYZ"
