"""Time: deterministic by default (mtime follows retired instructions, so two runs are
identical and a wfi skips to the deadline), or the host's clock with -clock host."""

from __future__ import annotations

import time
from pathlib import Path

from rvirt.board.virt import Board, BoardConfig
from tests.tooling import assemble, run_rvirt

ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")
PROG = Path(__file__).with_name("timer-irq.S")


SPIN = """
    .section .text.init
    .globl _start
_start:
    addi t0, t0, 1
    j _start
"""


def _machine(clock: str, shift: int = 0) -> Board:
    elf = assemble(SPIN, "spin")
    return Board(BoardConfig(ram_size=16 << 20, bios=str(elf), clock=clock,
                                 icount_shift=shift), console=lambda b: None)


def test_virtual_time_stands_still_without_instructions() -> None:
    m = _machine("virtual")
    m.run(max_instructions=1000)
    before = m.mtime()
    time.sleep(0.02)
    assert m.mtime() == before == m.hart.instret // 100  # 1 ns per instruction (shift 0)


def test_icount_shift_scales_virtual_time() -> None:
    m = _machine("virtual", shift=3)
    m.run(max_instructions=1000)
    assert m.mtime() == (m.hart.instret << 3) // 100


def test_host_clock_advances_while_the_hart_does_nothing() -> None:
    m = _machine("host")
    m.run(max_instructions=1000)
    retired, before = m.hart.instret, m.mtime()
    time.sleep(0.02)
    assert m.hart.instret == retired
    assert m.mtime() > before


def test_timer_program_on_both_clocks() -> None:
    """Virtual time: two runs are identical, each interrupt arrives inside the wfi ('w').
    Host time: the same four interrupts arrive, wherever real time puts them."""
    elf = str(assemble(PROG))
    runs = [run_rvirt(*ARGS, elf, *extra, timeout=60) for extra in ((), (), ("-clock", "host"))]
    assert all(r.returncode == 0 for r in runs)
    assert runs[0].stdout == runs[1].stdout == b"I7w\nI7w\nI7w\nI7?\nD\n"
    assert [line[:2] for line in runs[2].stdout.split(b"\n")] == [b"I7"] * 4 + [b"D", b""]


def test_bad_clock_flag() -> None:
    r = run_rvirt("-clock", "sundial", *ARGS, elf := str(assemble(PROG)))
    assert r.returncode == 1 and b"-clock sundial" in r.stderr and elf
