"""Grades the tutorial's kernels: p0 boots to `entry` with a valid sp and gp; hello prints
its lines and exits 0; trap takes its three timer interrupts (and then finishes its U-mode
part and exits 0).  Each test boots the kernel on a fresh rvirt machine."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Submission

    from rvirt.pytest_plugin import MachineFactory

# Budgets: the tutorial's kernels need well under a million instructions; a kernel that
# loops or traps forever fails instead of hanging the run.
STEPS = 5_000_000
SECONDS = 60
MTIMER_INTERRUPT = 0x8000_0007


def test_p0_boots_to_entry(rvirt_machine: MachineFactory, submission: Submission) -> None:
    m = rvirt_machine(bios=submission.elf("p0"), memory="150M")
    r = m.run(until="entry", max_instructions=STEPS, timeout=SECONDS)
    assert r.reason == "until", f"p0 never reached entry ({r.reason} after " \
                                f"{r.instructions} instructions)"
    sp, gp = m.reg("sp"), m.reg("gp")
    assert sp in m.ram and sp % 16 == 0, f"sp = {sp:#x}: not an aligned address in RAM"
    if "_stack_top" in m.symbols:
        assert sp == m.symbols["_stack_top"], f"sp = {sp:#x}, not _stack_top"
    assert gp in m.ram, f"gp = {gp:#x}: not an address in RAM"
    if "__global_pointer$" in m.symbols:
        assert gp == m.symbols["__global_pointer$"], f"gp = {gp:#x}, not __global_pointer$"


HELLO = [
    r"Hello from Rust on the RISC-V virt machine!",
    r"running on hart 0 in machine mode",
    r"panic at src/main\.rs:\d+: on purpose, the answer is 42",
]


def test_hello_prints_and_exits(rvirt_machine: MachineFactory, submission: Submission) -> None:
    m = rvirt_machine(bios=submission.elf("hello"), memory="150M")
    r = m.run(max_instructions=STEPS, timeout=SECONDS)
    assert (r.reason, r.exit_code) == ("exit", 0)
    lines = m.console.text.splitlines()
    assert len(lines) == len(HELLO), f"expected {len(HELLO)} lines"
    for line, pattern in zip(lines, HELLO, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} is not {pattern!r}"


def test_trap_takes_three_timer_interrupts(rvirt_machine: MachineFactory,
                                           submission: Submission) -> None:
    m = rvirt_machine(bios=submission.elf("trap"), memory="150M")
    # Run until the kernel installs its handler, then stop at every entry to it.
    r = m.run(until=lambda m: m.csr("mtvec") != 0, max_instructions=STEPS, timeout=SECONDS)
    assert r.reason == "until", "mtvec was never set"
    assert m.csr("mtvec") & 3 == 0, "expected a direct-mode trap vector"
    vector = m.csr("mtvec")
    causes = []
    budget = STEPS - r.instructions
    while budget > 0:
        r = m.run(until=vector, max_instructions=budget, timeout=SECONDS)
        budget -= r.instructions
        if r.reason != "until":
            break
        causes.append(m.csr("mcause"))
    assert causes.count(MTIMER_INTERRUPT) == 3, f"trap causes: {[hex(c) for c in causes]}"
    assert causes[:3] == [MTIMER_INTERRUPT] * 3, "the timer interrupts come first"
    assert (r.reason, r.exit_code) == ("exit", 0)
    for n in (1, 2, 3):
        assert f"timer interrupt {n} (mcause = 0x80000007)" in m.console.text

