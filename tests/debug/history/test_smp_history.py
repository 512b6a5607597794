"""Reverse execution with -smp 2: snapshots hold every hart and whose turn it is, so
each state a reverse move lands in is a forward-only run's at that position, for both
harts' registers and all of RAM (the smp probe: both harts store to shared counters in
turns)."""

from __future__ import annotations

import hashlib
import random
import subprocess
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.debug.history import nonzero_pages
from rvirt.debug.machine_target import MachineTarget
from tests.board.test_smp import RACE, build
from tests.tooling import ROOT, RVIRT, assemble

pytestmark = pytest.mark.tools

HARTS = 2
QUANTUM = 97  # turns much shorter than the snapshot spacing, ending at odd points


@pytest.fixture(scope="module")
def smp_elf() -> Path:
    return build(HARTS)


def machine(elf: Path) -> Board:
    cfg = BoardConfig(ram_size=150 << 20, bios=str(elf), rng_seed=bytes(32),
                      rtc_epoch_ns=0, harts=HARTS, quantum=QUANTUM)
    return Board(cfg, console=lambda data: None)


def fingerprint(m: Board) -> tuple[object, ...]:
    """Position, whose turn, every hart's pc and x1-x31, and a digest of all of RAM."""
    digest = hashlib.sha1()
    for n, data in sorted(nonzero_pages(m.ram).items()):
        digest.update(n.to_bytes(4, "little") + data)
    harts = tuple((h.pc, tuple(h.x[:32]), h.reservation) for h in m.harts)
    return m.position, m.turn, m.turn_left, harts, digest.hexdigest()


def forward_only(elf: Path, checks: list[tuple[object, ...]]) -> None:
    m = machine(elf)
    for check in sorted(checks, key=lambda c: c[0]):  # type: ignore[arg-type,return-value]
        pos = check[0]
        m.pos_limit = pos  # type: ignore[assignment]
        try:
            while m.position < pos:  # type: ignore[operator]
                stop = m.resume(1 << 40)
                assert stop is None or stop.kind != "exited"
        finally:
            m.pos_limit = None
        assert fingerprint(m) == check, f"differs at position {pos}"


def test_reverse_steps_and_continue_with_two_harts(smp_elf: Path) -> None:
    m = machine(smp_elf)
    t = MachineTarget(m)
    t.enable_history()
    assert t.history is not None
    t.history.interval = 1 << 10  # several snapshots, each many turns apart
    t.resume(5_000)  # both harts busy (hart 0 later waits for its timer)
    checks = [fingerprint(m)]
    for _ in range(QUANTUM + 3):  # back across the end of a turn
        assert t.reverse_step().kind == "step"
        checks.append(fingerprint(m))
    # a breakpoint hart 1 reaches: reverse-continue stops where hart 1 is about to run it
    pc1 = m.harts[1].pc
    t.add_breakpoint(pc1)
    stop = t.reverse_continue()
    t.remove_breakpoint(pc1)
    assert stop.kind == "breakpoint" and stop.addr == pc1
    assert m.harts[m.next_hart].pc == pc1
    checks.append(fingerprint(m))
    t.resume(2_000)
    checks.append(fingerprint(m))
    forward_only(smp_elf, checks)


def test_random_moves_with_two_harts_match_a_forward_run(smp_elf: Path) -> None:
    rng = random.Random(20261207)
    m = machine(smp_elf)
    t = MachineTarget(m)
    t.enable_history()
    assert t.history is not None
    t.history.interval = 1 << 10
    checks = []
    for _ in range(40):
        move = rng.choice(["resume", "step", "back", "back", "seek"])
        if move == "resume":
            t.resume(rng.randint(1, 1_500))
        elif move == "step":
            t.step(m.next_hart or 0)  # the hart a run would move on
        elif move == "back":
            for _ in range(rng.randint(1, 150)):
                t.reverse_step()
        else:
            t.history._seek(rng.randint(t.history.start, t.history.end))
        if m.exit_status is not None:
            break
        checks.append(fingerprint(m))
    assert len(t.history.snaps) > 3
    forward_only(smp_elf, checks)


def test_watch_and_reverse_continue_name_the_hart_that_wrote() -> None:
    """Two harts take tickets from one counter (tests/board/test_smp.py's RACE): going
    back from the end, each reverse-continue stops at the previous write of the counter
    and names the hart that made it, switching threads as it goes, as gdb does."""
    src = RACE.replace("    .globl _start\n", "    .globl _start, print\n").replace(
        "    li t4, 0x10000000\n", "print:\n    li t4, 0x10000000\n")
    elf = assemble(src, "smp-race-watch")
    counter = next(int(line.split()[0], 16) for line in subprocess.run(
        ["riscv64-unknown-elf-nm", str(elf)], capture_output=True, text=True,
        check=True).stdout.splitlines() if line.endswith(" counter"))
    session = ["break print", "continue", f"watch *(int *) {counter:#x}",
               "reverse-continue", "reverse-continue", "thread"]
    done = subprocess.run([*RVIRT, "-machine", "virt", "-cpu", "rv32", "-m", "150M",
                           "-nographic", "-smp", "2", "-smp-quantum", "8", "-bios", str(elf),
                           "-debugger"], cwd=ROOT, input="\n".join(session) + "\n",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    stops = done.stdout.split("(rvirt) reverse-continue\n")[1:]
    assert len(stops) == 2
    # which hart made the last two writes is fixed by the turns: 2, then 1
    assert stops[0].startswith(
        "[Switching to Thread 1.2]\n\nThread 2 hit Hardware watchpoint 2: ")
    assert "Old value = 192\nNew value = 191\n" in stops[0]
    assert stops[1].startswith(
        "[Switching to Thread 1.1]\n\nThread 1 hit Hardware watchpoint 2: ")
    assert "Old value = 191\nNew value = 190\n" in stops[1]
    assert "[Current thread is 1 (Thread 1.1)]" in stops[1]
