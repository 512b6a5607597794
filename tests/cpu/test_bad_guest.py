"""A guest's bad behaviour is never a crash of rvirt: ROM writes, PLIC holes and bad access
sizes, jumps to unmapped memory, and trap storms behave as on QEMU 7.2."""

from __future__ import annotations

from pathlib import Path

from rvirt.board.virt import Board, BoardConfig
from tests.tooling import assemble, run_qemu, run_rvirt

ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")
PROG = Path(__file__).with_name("bad-guest.S")


def test_bad_guest_same_as_qemu() -> None:
    elf = str(assemble(PROG))
    r = run_rvirt(*ARGS, elf, timeout=30)
    assert (r.returncode, r.stdout) == (0, b"RPBJ\n"), r.stderr
    q = run_qemu(*ARGS, elf, timeout=30)
    assert (q.returncode, q.stdout) == (r.returncode, r.stdout)


STORM = """
    .section .text.init
    .globl _start
_start:
    li t0, 0x90000000   # mtvec in unmapped memory: every trap faults again at mtvec
    csrw mtvec, t0
    .word 0             # illegal instruction -> trap -> fetch fault at mtvec -> ...
"""


def test_trap_storm_keeps_the_machine_running() -> None:
    """Each fetch at mtvec faults into mtvec again, forever: rvirt keeps executing (as
    QEMU does), stays debuggable, and the state is the architectural one."""
    elf = assemble(STORM, "trap_storm")
    m = Board(BoardConfig(ram_size=16 << 20, bios=str(elf)), console=lambda b: None)
    assert m.run(max_instructions=200_000) is None  # still running, no exception
    h = m.hart
    assert h.pc == 0x90000000
    assert h.csr["mcause"] == 1 and h.csr["mtval"] == 0x90000000
    assert h.csr["mepc"] == 0x90000000
    assert m.read_memory(0x80000000, 4) is not None  # the debug facade still answers
