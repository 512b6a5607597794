"""Kernels for the reverse-execution tests, and a forward-only oracle: a fresh machine run
straight to a position, which every reverse move must agree with."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from rvirt.board.virt import Machine, MachineConfig
from rvirt.debug.history import nonzero_pages
from tests.examples.conftest import TARGET, _build
from tests.tooling import ROOT, assemble

UART0 = 0x10000000

# Echoes each byte it receives on UART0 and appends it to `buf`, so input changes memory
# too.  `echoed` is the store that echoes: a place to stop at.
ECHO = f"""\
    .section .text.init
    .globl _start, echoed
_start:
    li t0, {UART0:#x}
    la t3, buf
1:  lbu t1, 5(t0)
    andi t1, t1, 1
    beqz t1, 1b
    lbu t2, 0(t0)
    sb t2, 0(t3)
    addi t3, t3, 1
echoed:
    sb t2, 0(t0)
    j 1b
    .bss
    .globl buf
buf: .space 4096
"""


@pytest.fixture(scope="session")
def trap_elf() -> Path:
    """examples/trap: timer interrupts, ecalls from U-mode, then exit."""
    project = ROOT / "examples" / "trap"
    return _build(project / "target" / TARGET / "debug" / "trap", project=project)


@pytest.fixture(scope="session")
def p0_elf() -> Path:
    project = ROOT / "examples" / "p0"
    return _build(project / "target" / TARGET / "debug" / "p0", project=project)


@pytest.fixture(scope="session")
def echo_elf() -> Path:
    return assemble(ECHO, "reverse_echo")


def machine(elf: Path, output: Callable[[bytes], None] | None = None) -> Machine:
    """A machine whose runs repeat exactly (fixed rng-seed and RTC)."""
    cfg = MachineConfig(ram_size=150 << 20, bios=str(elf), rng_seed=bytes(32),
                        rtc_epoch_ns=0)
    return Machine(cfg, console=output or (lambda data: None))


def fingerprint(m: Machine) -> tuple[int, int, tuple[int, ...], str]:
    """Position, pc, x0-x31 and a digest of all of RAM."""
    h = m.hart
    digest = hashlib.sha1()
    for n, data in sorted(nonzero_pages(m.ram).items()):
        digest.update(n.to_bytes(4, "little") + data)
    return m.position, h.pc, tuple(h.x[:32]), digest.hexdigest()


def run_to(m: Machine, pos: int) -> None:
    """Run machine m (history off) forward to position pos exactly."""
    m._pos_limit = pos
    try:
        while m.position < pos:
            before = m.position
            stop = m._run(1 << 40)
            assert stop is None or stop.kind != "exited", (pos, m.position)
            assert m.position > before or not m.hart.waiting, "stuck before the position"
    finally:
        m._pos_limit = None
    assert m.position == pos


def forward_only(elf: Path, checks: Iterable[tuple[int, int, tuple[int, ...], str]],
                 inputs: Iterable[tuple[int, bytes]] = ()) -> None:
    """Every fingerprint must be that of a fresh forward-only run at its position, with
    the console input handed over at the same positions."""
    m = machine(elf)
    todo = sorted([(pos, 0, data) for pos, data in inputs] +
                  [(c[0], 1, c) for c in checks], key=lambda t: (t[0], t[1]))
    for pos, kind, item in todo:
        run_to(m, pos)
        if kind == 0:
            m.uart.receive(item)
        else:
            assert fingerprint(m) == item, f"differs at position {pos}"


@pytest.fixture(scope="session")
def paging_elf() -> Path:
    """examples/paging: Sv32 page tables, U-mode through a mapping."""
    project = ROOT / "examples" / "paging"
    return _build(project / "target" / TARGET / "debug" / "paging", project=project)
