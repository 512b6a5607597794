"""Idle time and console input (Board.set_input_wait).

With a person at the console (stdin a terminal), a guest idling in wfi with its next timer
far away waits in real time, as QEMU's -icount sleep=on does, and a typed key ends the
wait at once: it is seen at the virtual time it arrived, long before the timer.  Without
one (stdin a pipe or nothing, the API), idle time is skipped at once and runs repeat
exactly; input already piped in is handed over before the skip.  A replay puts the key
at the same virtual time without waiting.  See tests/cli/idle_guest.py for the guest.
"""

from __future__ import annotations

import re
import time

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.debug.machine_target import MachineTarget
from tests.cli.idle_guest import TICKS_PER_SECOND, TIMER_SECONDS, idle_guest
from tests.cli.pty_terminal import WAIT, Terminal
from tests.tooling import RVIRT, need, run_rvirt

pytestmark = pytest.mark.tools

ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
KEY = re.compile(rb"key k at ([0-9a-f]{8})")
DEADLINE = TIMER_SECONDS * TICKS_PER_SECOND


def _typed_session(argv: list[str]) -> int:
    """Type `k` at the ready guest, read the tick it saw it at; `q` ends the run."""
    term = Terminal(argv)
    try:
        term.wait_for_raw_mode()
        term.expect(b"idle guest ready")
        term.type(b"k")
        deadline = time.monotonic() + WAIT
        while (m := KEY.search(term.output)) is None:  # the whole line, its 8 digits too
            assert time.monotonic() < deadline and term.proc.poll() is None, term.output
            term.read_available(0.2)
        assert b"timer" not in term.output
        term.type(b"q")
        term.expect(b"key q at ")
        assert term.wait_exit() == 0
        return int(m.group(1), 16)
    finally:
        term.close()


def test_a_typed_key_ends_an_idle_wait_at_once() -> None:
    """Before: the wait skipped 60 s of virtual time to the timer, which fired first."""
    tick = _typed_session([*RVIRT, *ARGS, "-bios", str(idle_guest())])
    assert 0 < tick < DEADLINE


def test_qemu_waits_for_the_key_alike() -> None:
    tick = _typed_session([need("qemu-system-riscv32"), *ARGS, "-bios", str(idle_guest())])
    assert 0 < tick < DEADLINE


def test_without_a_terminal_idle_time_is_skipped() -> None:
    r = run_rvirt(*ARGS, "-bios", str(idle_guest()), input=b"")
    assert (r.returncode, r.stdout) == (1, b"idle guest ready\r\ntimer\r\n")


def test_piped_input_is_handed_over_before_the_skip() -> None:
    runs = [run_rvirt(*ARGS, "-bios", str(idle_guest()), input=b"kq") for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stdout
        m = KEY.search(r.stdout)
        assert m and int(m.group(1), 16) < TICKS_PER_SECOND, r.stdout
    assert runs[0].stdout == runs[1].stdout  # no real time in it


def test_a_replay_puts_the_key_where_it_came() -> None:
    guest = idle_guest()
    cfg = BoardConfig(ram_size=150 << 20, bios=str(guest), rng_seed=bytes(32),
                        rtc_epoch_ns=0, accel="interp")
    out = bytearray()
    m = Board(cfg, console=out.extend)
    t = MachineTarget(m)
    t.enable_history()
    waits: list[float] = []

    def wait(seconds: float) -> None:  # a person who types `k` after a while
        waits.append(seconds)
        if len(waits) == 3:
            time.sleep(min(seconds, 0.02))
            t.console_input(b"k")
        else:
            time.sleep(min(seconds, 0.01))

    m.set_input_wait(wait, realtime=True)
    got_key = m.symbols["got_key"]
    m.add_breakpoint(got_key)
    stop = None
    while stop is None:
        stop = t.resume(1 << 16)
    assert (stop.kind, m.hart.pc) == ("breakpoint", got_key)
    h = m.hart
    seen = (m.position, h.x[18], h.x[19], m.idle_ns)  # s2: the tick, s3: the key
    assert seen[2] == ord("k") and 0 < seen[1] < DEADLINE and m.idle_ns > 0
    assert len(waits) == 3 and all(0 < w <= 0.05 for w in waits)
    m.remove_breakpoint(got_key)
    assert t.reverse_continue().kind == "history-start"
    m.add_breakpoint(got_key)
    stop = None
    while stop is None:
        stop = t.resume(1 << 16)
    assert stop.kind == "breakpoint"
    assert (m.position, h.x[18], h.x[19], m.idle_ns) == seen
    assert len(waits) == 3  # the replay did not wait
