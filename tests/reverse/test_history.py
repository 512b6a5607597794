"""Reverse execution through the facade (Machine.reverse_step/reverse_continue, resume,
step, writes): every state it lands in is the forward-only run's at that position."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.reverse.conftest import fingerprint, forward_only, machine, run_to


def test_position_counts_instructions_and_traps(trap_elf: Path) -> None:
    m = machine(trap_elf)
    run_to(m, 150_000)  # past the timer interrupts and the first ecall
    assert m.hart.traps > 0
    assert m.position == m.hart.instret + m.hart.traps == 150_000


def test_reverse_step_is_one_step_back(trap_elf: Path) -> None:
    m = machine(trap_elf)
    m.enable_history()
    m.history.interval = 1 << 14  # several snapshots in this short run
    m.resume(120_000)
    end = m.position
    checks = []
    for _ in range(5):
        stop = m.reverse_step()
        assert stop.kind == "step"
        checks.append(fingerprint(m))
    assert m.position == end - 5
    forward_only(trap_elf, checks)


def test_history_start(p0_elf: Path) -> None:
    m = machine(p0_elf)
    m.enable_history()
    assert m.reverse_step().kind == "history-start"
    assert m.position == 0 and m.hart.pc == 0x1000
    m.resume(1000)
    m.add_breakpoint(0xDEAD0)  # never reached
    assert m.reverse_continue().kind == "history-start"
    assert m.position == 0 and m.hart.pc == 0x1000


def test_random_moves_match_a_forward_run(trap_elf: Path) -> None:
    rng = random.Random(20261203)
    m = machine(trap_elf)
    m.enable_history()
    m.history.interval = 1 << 13
    tick = m.symbols["_RNvCsavQ3vo7jjbN_4trap10timer_tick"] if (
        "_RNvCsavQ3vo7jjbN_4trap10timer_tick" in m.symbols) else None
    checks = []
    for _ in range(60):
        move = rng.choice(["resume", "step", "back", "back", "reverse-continue", "seek"])
        if move == "resume":
            m.resume(rng.randint(1, 30_000))
        elif move == "step":
            m.step()
        elif move == "back":
            for _ in range(rng.randint(1, 40)):
                m.reverse_step()
        elif move == "reverse-continue":
            pc = rng.choice([tick, m.hart.pc - 8, m.hart.pc + 6])
            if pc is not None:
                m.add_breakpoint(pc)
                m.reverse_continue()
                m.remove_breakpoint(pc)
        else:
            m.history._seek(rng.randint(m.history.start, m.history.end))
        if m.exit_status is not None:
            break
        checks.append(fingerprint(m))
    assert len(m.history.snaps) > 3
    forward_only(trap_elf, checks)


def test_watch_then_reverse_continue_finds_the_last_write(trap_elf: Path) -> None:
    m = machine(trap_elf)
    ticks = next(a for name, a in m.symbols.items() if name.endswith("5TICKS"))
    m.enable_history()
    m.history.interval = 1 << 14
    m.resume(150_000)
    value = int.from_bytes(m.read_memory(ticks, 4), "little")
    assert value >= 2
    m.add_watchpoint("watch", ticks, 4)
    stop = m.reverse_continue()
    assert stop.kind == "watch" and stop.addr == ticks
    # stopped before the write: memory holds the old value; one step makes the new one
    assert int.from_bytes(m.read_memory(ticks, 4), "little") == value - 1
    pos = m.position
    m.remove_watchpoint("watch", ticks, 4)
    assert m.step().kind == "step"
    assert int.from_bytes(m.read_memory(ticks, 4), "little") == value
    m.reverse_step()
    assert m.position == pos
    # with past_access (what gdb wants), the stop is just after the write
    m.add_watchpoint("watch", ticks, 4)
    m.resume(1)  # off the write, forward (it is reported, not done)
    m.remove_watchpoint("watch", ticks, 4)
    m.step()
    m.add_watchpoint("watch", ticks, 4)
    stop = m.reverse_continue(past_access=True)
    assert stop.kind == "watch" and m.position == pos + 1
    assert int.from_bytes(m.read_memory(ticks, 4), "little") == value


def test_a_write_in_the_past_drops_the_future(p0_elf: Path) -> None:
    m = machine(p0_elf)
    m.enable_history()
    m.history.interval = 1 << 12
    m.resume(50_000)
    end = m.position
    for _ in range(100):
        m.reverse_step()
    snaps = len(m.history.snaps)
    assert m.history.in_past
    m.write_register(10, 0x1234)  # a0
    h = m.history
    assert not h.in_past and h.end == end - 100
    assert len(h.snaps) <= snaps and all(s.pos <= h.end for s in h.snaps)
    assert h.events[-1].kind == "register"
    # the new future is live, and history replays the write
    m.resume(500)
    after = fingerprint(m)
    m.reverse_step()
    m.step()
    assert fingerprint(m) == after
    for _ in range(600):
        m.reverse_step()
    m.resume(600)
    assert fingerprint(m) == after


def test_console_input_is_replayed_at_its_position(echo_elf: Path) -> None:
    out = bytearray()
    m = machine(echo_elf, out.extend)
    m.enable_history()
    m.history.interval = 1 << 12
    inputs = []
    for i, text in enumerate((b"ab", b"c", b"def")):
        m.resume(3000 + 500 * i)
        inputs.append((m.position, text))
        m.console_input(text)
    m.resume(20_000)
    assert bytes(out) == b"abcdef"
    assert [(e.pos, e.data) for e in m.history.events if e.kind == "input"] == inputs
    final = fingerprint(m)
    checks = []
    for n in (1, 7, 2000, 9000):
        for _ in range(n % 50):
            m.reverse_step()
        m.history._seek(max(m.history.start, m.position - n))
        checks.append(fingerprint(m))
    # input typed while in the past waits for the end of history
    m.console_input(b"g")
    m.resume(m.history.end - m.position)
    assert fingerprint(m) == final and bytes(out).count(b"g") == 0
    m.resume(5000)
    # what the guest printed shows once: replays print nothing again
    assert bytes(out) == b"abcdefg"
    forward_only(echo_elf, checks, inputs)


def test_monitor_info_history(p0_elf: Path) -> None:
    m = machine(p0_elf)
    assert "history is off" in m.monitor("info history")
    m.enable_history()
    m.history.replay_seconds = float("inf")  # snapshots INTERVAL apart, however slow
    m.resume(3 << 20)
    m.reverse_step()
    text = m.monitor("info history")
    assert f"position: {m.position} (1 behind the end of history)" in text
    assert "snapshots: 3" in text and "memory:" in text
    assert "info history" in m.monitor("help")


def test_snapshots_keep_only_written_pages(p0_elf: Path) -> None:
    m = machine(p0_elf)
    m.enable_history()
    m.history.replay_seconds = float("inf")
    m.resume(4 << 20)
    first, *later = m.history.snaps
    assert first.pages  # at reset: the non-zero pages (image, device tree), not all RAM
    assert len(later) == 3
    # p0 counts in its loop: its stack and data, a page or two per interval
    assert all(len(s.pages) <= 4 for s in later)


def test_merged_snapshots_still_replay_exactly(trap_elf: Path) -> None:
    # a tiny memory limit: snapshots get merged (every other one goes) again and again
    m = machine(trap_elf)
    m.enable_history()
    h = m.history
    h.interval, h.memory_limit = 1 << 10, h.memory_bytes() + (64 << 10)
    m.resume(140_000)
    assert 2 < len(h.snaps) < 140_000 >> 10
    gaps = [b.pos - a.pos for a, b in zip(h.snaps, h.snaps[1:], strict=False)]
    assert max(gaps) > h.interval
    rng = random.Random(5)
    checks = []
    for _ in range(12):
        h._seek(rng.randint(h.start, h.end))
        checks.append(fingerprint(m))
        m.reverse_step()
        checks.append(fingerprint(m))
    forward_only(trap_elf, checks)


def test_a_debugger_reset_is_replayed(p0_elf: Path) -> None:
    m = machine(p0_elf)
    m.enable_history()
    m.history.interval = 1 << 12
    m.resume(20_000)
    before = fingerprint(m)
    m.monitor("system_reset")
    assert m.hart.pc == 0x1000 and m.position == before[0]
    assert m.history.events[-1].kind == "reset"
    m.resume(30_000)
    after = fingerprint(m)
    m.history._seek(before[0] - 5)
    m.resume(5)
    assert fingerprint(m)[1] == 0x1000  # the reset, done again at its position
    m.resume(30_000)
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
    m.enable_history()
    m.history.interval = 1 << 12
    m.resume(25_000)  # past three resets
    assert m.hart.traps >= 3
    rng = random.Random(3)
    checks = []
    for _ in range(10):
        m.history._seek(rng.randint(m.history.start, m.history.end))
        checks.append(fingerprint(m))
        m.reverse_step()
        checks.append(fingerprint(m))
    forward_only(elf, checks)


def test_restoring_a_state_starts_history_again(p0_elf: Path) -> None:
    from rvirt.debug import history
    m = machine(p0_elf)
    m.enable_history()
    m.resume(5000)
    state = history.capture(m)
    m.resume(5000)
    history.restore(m, state)
    h = m.history
    assert h.start == h.end == m.position == 5000 and len(h.snaps) == 1
    assert m.reverse_step().kind == "history-start"


def test_reverse_continue_to_a_write_long_ago(echo_elf: Path) -> None:
    # Stretches whose snapshot shows no store to the watched page are not replayed; the
    # one write, long before, is still found exactly.
    m = machine(echo_elf)
    m.enable_history()
    m.history.interval = 1 << 12
    buf = m.symbols["buf"]
    m.resume(3000)
    m.console_input(b"a")
    m.resume(200_000)
    assert m.read_memory(buf, 1) == b"a"
    m.add_watchpoint("watch", buf, 1)
    stop = m.reverse_continue()
    assert stop.kind == "watch" and stop.addr == buf
    assert m.read_memory(buf, 1) == b"\0" and 3000 < m.position < 3100
    checks = [fingerprint(m)]
    m.remove_watchpoint("watch", buf, 1)
    m.step()
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
        m.enable_history()
        m.history.interval = 1 << 12
        for _ in range(6):
            m.resume(10_000)
            m.console_input(b"xy")  # for the echo program's buffer
        end = m.position
        written = sorted(set().union(*(s.pages for s in m.history.snaps[1:])))
        assert written
        for _ in range(4):
            page = rng.choice(written)
            addr = 0x80000000 + page * 4096 + rng.randrange(0, 4096, 4)
            m.add_watchpoint("watch", addr, 4)
            results = []
            for skip in (True, False):
                if not skip:
                    monkeypatch.setattr(History, "_no_write_to_watched", lambda s, k: False)
                m.history._seek(end)
                stop = m.reverse_continue()
                results.append((stop, fingerprint(m)))
                monkeypatch.undo()
            assert results[0] == results[1], (elf.name, hex(addr))
            m.remove_watchpoint("watch", addr, 4)
