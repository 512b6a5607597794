"""Reverse execution through the facade (Machine.reverse_step/reverse_continue, resume,
step, writes): every state it lands in is the forward-only run's at that position."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rvirt.debug.machine_target import MachineTarget
from tests.debug.history.conftest import fingerprint, forward_only, machine, run_to


def test_position_counts_instructions_and_traps(trap_elf: Path) -> None:
    m = machine(trap_elf)
    run_to(m, 150_000)  # past the timer interrupts and the first ecall
    assert m.hart.traps > 0
    assert m.position == m.hart.instret + m.hart.traps == 150_000


def test_reverse_step_is_one_step_back(trap_elf: Path) -> None:
    m = machine(trap_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 14  # several snapshots in this short run
    t.resume(120_000)
    end = m.position
    checks = []
    for _ in range(5):
        stop = t.reverse_step()
        assert stop.kind == "step"
        checks.append(fingerprint(m))
    assert m.position == end - 5
    forward_only(trap_elf, checks)


def test_history_start(p0_elf: Path) -> None:
    m = machine(p0_elf)
    t = MachineTarget(m)
    t.enable_history()
    assert t.reverse_step().kind == "history-start"
    assert m.position == 0 and m.hart.pc == 0x1000
    t.resume(1000)
    t.add_breakpoint(0xDEAD0)  # never reached
    assert t.reverse_continue().kind == "history-start"
    assert m.position == 0 and m.hart.pc == 0x1000


def test_random_moves_match_a_forward_run(trap_elf: Path) -> None:
    rng = random.Random(20261203)
    m = machine(trap_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 13
    tick = m.symbols["_RNvCsavQ3vo7jjbN_4trap10timer_tick"] if (
        "_RNvCsavQ3vo7jjbN_4trap10timer_tick" in m.symbols) else None
    checks = []
    for _ in range(60):
        move = rng.choice(["resume", "step", "back", "back", "reverse-continue", "seek"])
        if move == "resume":
            t.resume(rng.randint(1, 30_000))
        elif move == "step":
            t.step()
        elif move == "back":
            for _ in range(rng.randint(1, 40)):
                t.reverse_step()
        elif move == "reverse-continue":
            pc = rng.choice([tick, m.hart.pc - 8, m.hart.pc + 6])
            if pc is not None:
                t.add_breakpoint(pc)
                t.reverse_continue()
                t.remove_breakpoint(pc)
        else:
            t.history._seek(rng.randint(t.history.start, t.history.end))
        if m.exit_status is not None:
            break
        checks.append(fingerprint(m))
    assert len(t.history.snaps) > 3
    forward_only(trap_elf, checks)


def test_watch_then_reverse_continue_finds_the_last_write(trap_elf: Path) -> None:
    m = machine(trap_elf)
    t = MachineTarget(m)
    ticks = next(a for name, a in m.symbols.items() if name.endswith("5TICKS"))
    t.enable_history()
    t.history.interval = 1 << 14
    t.resume(150_000)
    value = int.from_bytes(m.read_memory(ticks, 4), "little")
    assert value >= 2
    t.add_watchpoint("watch", ticks, 4)
    stop = t.reverse_continue()
    assert stop.kind == "watch" and stop.addr == ticks
    # stopped before the write: memory holds the old value; one step makes the new one
    assert int.from_bytes(m.read_memory(ticks, 4), "little") == value - 1
    pos = m.position
    t.remove_watchpoint("watch", ticks, 4)
    assert t.step().kind == "step"
    assert int.from_bytes(m.read_memory(ticks, 4), "little") == value
    t.reverse_step()
    assert m.position == pos
    # with past_access (what gdb wants), the stop is just after the write
    t.add_watchpoint("watch", ticks, 4)
    t.resume(1)  # off the write, forward (it is reported, not done)
    t.remove_watchpoint("watch", ticks, 4)
    t.step()
    t.add_watchpoint("watch", ticks, 4)
    stop = t.reverse_continue(past_access=True)
    assert stop.kind == "watch" and m.position == pos + 1
    assert int.from_bytes(m.read_memory(ticks, 4), "little") == value


def test_a_write_in_the_past_drops_the_future(p0_elf: Path) -> None:
    m = machine(p0_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 12
    t.resume(50_000)
    end = m.position
    for _ in range(100):
        t.reverse_step()
    snaps = len(t.history.snaps)
    assert t.history.in_past
    t.write_register(10, 0x1234)  # a0
    h = t.history
    assert not h.in_past and h.end == end - 100
    assert len(h.snaps) <= snaps and all(s.pos <= h.end for s in h.snaps)
    assert h.events[-1].kind == "register"
    # the new future is live, and history replays the write
    t.resume(500)
    after = fingerprint(m)
    t.reverse_step()
    t.step()
    assert fingerprint(m) == after
    for _ in range(600):
        t.reverse_step()
    t.resume(600)
    assert fingerprint(m) == after


def test_console_input_is_replayed_at_its_position(echo_elf: Path) -> None:
    out = bytearray()
    m = machine(echo_elf, out.extend)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 12
    inputs = []
    for i, text in enumerate((b"ab", b"c", b"def")):
        t.resume(3000 + 500 * i)
        inputs.append((m.position, text))
        t.console_input(text)
    t.resume(20_000)
    assert bytes(out) == b"abcdef"
    assert [(e.pos, e.data) for e in t.history.events if e.kind == "input"] == inputs
    final = fingerprint(m)
    checks = []
    for n in (1, 7, 2000, 9000):
        for _ in range(n % 50):
            t.reverse_step()
        t.history._seek(max(t.history.start, m.position - n))
        checks.append(fingerprint(m))
    # input typed while in the past waits for the end of history
    t.console_input(b"g")
    t.resume(t.history.end - m.position)
    assert fingerprint(m) == final and bytes(out).count(b"g") == 0
    t.resume(5000)
    # what the guest printed shows once: replays print nothing again
    assert bytes(out) == b"abcdefg"
    forward_only(echo_elf, checks, inputs)


def test_monitor_info_history(p0_elf: Path) -> None:
    m = machine(p0_elf)
    t = MachineTarget(m)
    assert "history is off" in t.monitor("info history")
    t.enable_history()
    t.history.replay_seconds = float("inf")  # snapshots INTERVAL apart, however slow
    t.resume(3 << 20)
    t.reverse_step()
    text = t.monitor("info history")
    assert f"position: {m.position} (1 behind the end of history)" in text
    assert "snapshots: 3" in text and "memory:" in text
    assert "info history" in t.monitor("help")


def test_snapshots_keep_only_written_pages(p0_elf: Path) -> None:
    m = machine(p0_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.replay_seconds = float("inf")
    t.resume(4 << 20)
    first, *later = t.history.snaps
    assert first.pages  # at reset: the non-zero pages (image, device tree), not all RAM
    assert len(later) == 3
    # p0 counts in its loop: its stack and data, a page or two per interval
    assert all(len(s.pages) <= 4 for s in later)


def test_merged_snapshots_still_replay_exactly(trap_elf: Path) -> None:
    # a tiny memory limit: snapshots get merged (every other one goes) again and again
    m = machine(trap_elf)
    t = MachineTarget(m)
    t.enable_history()
    h = t.history
    h.interval, h.memory_limit = 1 << 10, h.memory_bytes() + (64 << 10)
    t.resume(140_000)
    assert 2 < len(h.snaps) < 140_000 >> 10
    gaps = [b.pos - a.pos for a, b in zip(h.snaps, h.snaps[1:], strict=False)]
    assert max(gaps) > h.interval
    rng = random.Random(5)
    checks = []
    for _ in range(12):
        h._seek(rng.randint(h.start, h.end))
        checks.append(fingerprint(m))
        t.reverse_step()
        checks.append(fingerprint(m))
    forward_only(trap_elf, checks)


def test_a_debugger_reset_is_replayed(p0_elf: Path) -> None:
    m = machine(p0_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 12
    t.resume(20_000)
    before = fingerprint(m)
    t.monitor("system_reset")
    assert m.hart.pc == 0x1000 and m.position == before[0]
    assert t.history.events[-1].kind == "reset"
    t.resume(30_000)
    after = fingerprint(m)
    t.history._seek(before[0] - 5)
    t.resume(5)
    assert fingerprint(m)[1] == 0x1000  # the reset, done again at its position
    t.resume(30_000)
    assert fingerprint(m) == after


# Counts to 2000 in RAM, then asks the test finisher for a reset: again and again.
RESETS = """\
    .section .text.init
    .globl _start
_start:
    la t0, counter
    li t1, 2000
1:  lw t2, 0(t0)
    addi t2, t2, 1
    sw t2, 0(t0)
    bltu t2, t1, 1b
    li t3, 0x100000
    li t4, 0x7777
    sw t4, 0(t3)
    j _start
    .bss
counter: .word 0
"""


def test_reverse_across_guest_resets() -> None:
    from tests.tooling import assemble
    elf = assemble(RESETS, "reverse_resets")
    m = machine(elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 12
    t.resume(25_000)  # past three resets
    assert m.hart.traps >= 3
    rng = random.Random(3)
    checks = []
    for _ in range(10):
        t.history._seek(rng.randint(t.history.start, t.history.end))
        checks.append(fingerprint(m))
        t.reverse_step()
        checks.append(fingerprint(m))
    forward_only(elf, checks)


def test_restoring_a_state_starts_history_again(p0_elf: Path) -> None:
    from rvirt.debug import history
    m = machine(p0_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.resume(5000)
    state = history.capture(m)
    t.resume(5000)
    history.restore(m, state, t.history)
    h = t.history
    assert h.start == h.end == m.position == 5000 and len(h.snaps) == 1
    assert t.reverse_step().kind == "history-start"


def test_reverse_continue_to_a_write_long_ago(echo_elf: Path) -> None:
    # Stretches whose snapshot shows no store to the watched page are not replayed; the
    # one write, long before, is still found exactly.
    m = machine(echo_elf)
    t = MachineTarget(m)
    t.enable_history()
    t.history.interval = 1 << 12
    buf = m.symbols["buf"]
    t.resume(3000)
    t.console_input(b"a")
    t.resume(200_000)
    assert m.read_memory(buf, 1) == b"a"
    t.add_watchpoint("watch", buf, 1)
    stop = t.reverse_continue()
    assert stop.kind == "watch" and stop.addr == buf
    assert m.read_memory(buf, 1) == b"\0" and 3000 < m.position < 3100
    checks = [fingerprint(m)]
    t.remove_watchpoint("watch", buf, 1)
    t.step()
    assert m.read_memory(buf, 1) == b"a"
    checks.append(fingerprint(m))
    forward_only(echo_elf, checks, [(3000, b"a")])


def test_skipping_stretches_finds_what_replaying_them_finds(
        trap_elf: Path, paging_elf: Path, echo_elf: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # watch + reverse-continue on words of RAM: the same stop, with and without leaving
    # out the stretches the snapshots show no store to (paging's U-mode runs under Sv32)
    from rvirt.debug.history import History
    rng = random.Random(11)
    for elf in (trap_elf, paging_elf, echo_elf):
        m = machine(elf)
        t = MachineTarget(m)
        t.enable_history()
        t.history.interval = 1 << 12
        for _ in range(6):
            t.resume(10_000)
            t.console_input(b"xy")  # for the echo program's buffer
        end = m.position
        written = sorted(set().union(*(s.pages for s in t.history.snaps[1:])))
        assert written
        for _ in range(4):
            page = rng.choice(written)
            addr = 0x80000000 + page * 4096 + rng.randrange(0, 4096, 4)
            t.add_watchpoint("watch", addr, 4)
            results = []
            for skip in (True, False):
                if not skip:
                    monkeypatch.setattr(History, "_no_write_to_watched", lambda s, k: False)
                t.history._seek(end)
                stop = t.reverse_continue()
                results.append((stop, fingerprint(m)))
                monkeypatch.undo()
            assert results[0] == results[1], (elf.name, hex(addr))
            t.remove_watchpoint("watch", addr, 4)
