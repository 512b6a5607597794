"""gdb-multiarch drives the stub through reverse and forward moves (reverse-stepi,
reverse-continue, reverse-finish, stepi, continue, ...) in seeded random sequences;
after every move the state must be the forward-only run's at the same position, and
what gdb shows must be that state."""

from __future__ import annotations

import random
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from rvirt.board.virt import Board
from rvirt.debug.gdbstub import GdbServer
from rvirt.debug.machine_target import MachineTarget
from tests.debug.history.conftest import fingerprint, forward_only, machine
from tests.tooling import need

pytestmark = pytest.mark.tools

Fingerprint = tuple[int, int, tuple[int, ...], str]
ABI = ("zero ra sp gp tp t0 t1 t2 fp s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 "
       "s10 s11 t3 t4 t5 t6").split()


def gdb_session(t: MachineTarget, elf: Path, commands: list[str],
                poll: Callable[[GdbServer], None] | None = None) -> str:
    """Run gdb in batch mode against an in-process stub for machine m; gdb's output.
    Each command is an -ex, so one that fails does not end the session."""
    gdb = need("gdb-multiarch")
    server = GdbServer(t, "127.0.0.1", 0, poll_interval=0.01)
    server.listen()
    if poll is not None:
        server.poll_hook = lambda: poll(server)
    thread = threading.Thread(target=server.serve, kwargs={"running": False}, daemon=True)
    thread.start()
    args = [gdb, "-nx", "-batch", "-ex", "set confirm off", "-ex", "set pagination off",
            "-ex", f"file {elf}", "-ex", f"target remote 127.0.0.1:{server.port}"]
    for command in [*commands, "kill"]:
        args += ["-ex", command]
    try:
        done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=600)
    finally:
        server.request_stop()
        thread.join(60)
        server.close()
    return done.stdout


def with_checkpoints(t: MachineTarget) -> list[Fingerprint]:
    """`monitor checkpoint` records the machine's fingerprint (in the stub's thread,
    while the machine is stopped) and prints its number."""
    checks: list[Fingerprint] = []
    plain = t.monitor

    def monitor(command: str) -> str:
        if command.strip() == "checkpoint":
            checks.append(fingerprint(t.machine))
            return f"checkpoint {len(checks) - 1}\n"
        return plain(command)

    t.monitor = monitor  # type: ignore[method-assign]
    return checks


def gdb_registers(out: str) -> list[dict[str, int]]:
    """Each `info registers` in gdb's output, in order (register name -> value): one per
    checkpoint, as both fail together once the program has exited."""
    views: list[dict[str, int]] = []
    for line in out.splitlines():
        reg = re.match(r"(\w+)\s+0x([0-9a-f]+)\s", line)
        if reg is None:
            continue
        if reg.group(1) == "ra":
            views.append({})
        if views and reg.group(1) not in views[-1]:
            views[-1][reg.group(1)] = int(reg.group(2), 16)
    return views


MOVES = ("stepi", "stepi 3", "nexti", "continue", "reverse-stepi", "reverse-stepi 7",
         "reverse-nexti", "reverse-continue", "reverse-finish", "reverse-stepi 40")


def random_session(seed: int, moves: int, first: list[str]) -> list[str]:
    rng = random.Random(seed)
    commands = list(first)
    for _ in range(moves):
        commands += [rng.choice(MOVES), "monitor checkpoint", "info registers"]
    return commands


def check_session(m: Board, elf: Path, out: str, checks: list[Fingerprint],
                  minimum: int, inputs: list[tuple[int, bytes]] | None = None) -> None:
    assert len(checks) >= minimum, out
    views = gdb_registers(out)
    assert len(views) == len(checks), out
    for n, (_, pc, x, _) in enumerate(checks):
        view = views[n]
        assert view["pc"] == pc, (n, out)
        assert [view[name] for name in ABI[1:]] == list(x[1:]), (n, out)
    forward_only(elf, checks, inputs or [])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_moves_on_timer_interrupts(trap_elf: Path, seed: int) -> None:
    m = machine(trap_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 14  # several snapshots in this short run
    checks = with_checkpoints(t)
    first = ["break trap::timer_tick", "break trap::syscall", "break trap::power_off",
             "continue", "monitor checkpoint", "info registers"]
    out = gdb_session(t, trap_elf, random_session(seed, 25, first))
    assert "Breakpoint 1, trap::timer_tick" in out, out
    check_session(m, trap_elf, out, checks, 20)


def test_random_moves_with_console_input(echo_elf: Path) -> None:
    m = machine(echo_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 12
    checks = with_checkpoints(t)
    last = [0]

    def type_a_key(server: GdbServer) -> None:
        # while gdb lets the machine run at the end of history, a byte now and then
        if (server.running and not t.history.in_past
                and m.position - last[0] >= 15_000):
            last[0] = m.position
            t.console_input(bytes((0x61 + m.position % 26,)))

    out = gdb_session(t, echo_elf, random_session(7, 25, ["break echoed"]), type_a_key)
    inputs = [(e.pos, e.data) for e in t.history.events if e.kind == "input"]
    assert len(inputs) >= 2, out
    check_session(m, echo_elf, out, checks, 20, inputs)


def test_history_start_watch_monitor_and_a_write_in_the_past(trap_elf: Path) -> None:
    m = machine(trap_elf)
    t = MachineTarget(m)
    t.enable_history()
    out = gdb_session(t, trap_elf, [
        "reverse-stepi",  # at reset: nothing before
        "stepi", "stepi", "reverse-stepi", "p/x $pc",
        "break trap::timer_tick", "continue", "continue", "delete",
        "watch trap::TICKS", "reverse-continue", "x/i $pc", "delete",
        "monitor info history",
        "reverse-stepi 10", "set var $a0 = 0x5a5a", "monitor info history",
    ])
    assert out.count("No more reverse-execution history.") == 1, out
    assert "$1 = 0x1004" in out, out
    # at the second tick's entry TICKS is 1: its last write is the first tick's amoadd,
    # from 0 to 1 (gdb shows it undone: old 1, new 0)
    assert re.search(r"Old value = .*\(1\)\}\}\nNew value = .*\(0\)\}\}", out), out
    assert re.search(r"=> 0x[0-9a-f]+ <[^>]*>:\s+amoadd.w", out), out
    infos = re.findall(r"position: (\d+) \((.*)\)", out)
    assert len(infos) == 2, out
    assert infos[0][1].endswith("behind the end of history")
    assert infos[1][1] == "at the end of history"  # the write dropped the future
    assert "log: 1 events" in out, out


def test_ctrl_c_ends_a_long_reverse_continue(p0_elf: Path) -> None:
    from tests.debug.gdbstub.rspclient import RspClient
    m = machine(p0_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 14
    t.resume(4 << 20)  # some 250 stretches to search, for a breakpoint never reached
    end = m.position
    server = GdbServer(t, "127.0.0.1", 0)
    server.listen()
    thread = threading.Thread(target=server.serve, kwargs={"running": False}, daemon=True)
    thread.start()
    try:
        with RspClient.connect(server.port) as c:
            assert b"ReverseContinue+" in c.handshake()
            assert c.insert_breakpoint(0x80FFFFF0) == b"OK"
            c.send_packet("bc")
            c.send_raw(b"\x03")
            assert c.read_reply() == b"T02thread:p01.01;"  # SIGINT, as for any Ctrl-C
            pos = m.position
            assert 0 < pos < end  # somewhere on the way back, not at the start
            assert c.command("bs").startswith(b"T05")
    finally:
        server.request_stop()
        thread.join(60)
        server.close()
