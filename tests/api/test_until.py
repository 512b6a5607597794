"""run(until=...): a symbol, FILE:LINE, an address and a callable all stop exactly before
the instruction there, like a gdb breakpoint; run() always makes progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import rvirt
from tests.tooling import ROOT

pytestmark = pytest.mark.tools


def p0_line(text: str) -> int:
    """The line of examples/p0/src/main.rs holding `text` (found, so edits elsewhere in
    the file do not break the test)."""
    lines = (ROOT / "examples" / "p0" / "src" / "main.rs").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_symbol_stops_at_entry(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0")) as m:
        r = m.run(until="p0::entry")
        assert r.reason == "until" and r.exit_code is None
        assert r.pc == m.pc == m.symbols["p0::entry"] == m.symbols["entry"]
        assert m.function(m.pc) == "p0::entry"
        assert m.line(m.pc) == ("src/main.rs", p0_line('pub extern "C" fn entry()'))
        # the boot ROM's 6 instructions, then _start's gp, sp and tail: 12 in all
        assert r.instructions == m.instret == 12


def test_raw_and_demangled_names_agree(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0")) as m:
        ticks = m.symbols["p0::TICKS"]
        raw = [n for n, a in m.symbols.items() if a == ticks and n.startswith("_R")]
        assert raw, "the v0-mangled name of p0::TICKS is listed too"
        assert m.symbols[raw[0]] == ticks
        assert "p0::entry" in m.symbols and "no_such_symbol" not in m.symbols


def test_file_line(kernel: Callable[[str], Path]) -> None:
    # gdb's FILE:LINE: the file as gdb names it, or a trailing part of its path
    with rvirt.Machine(bios=kernel("p0")) as m:
        store = p0_line("TICKS = ticks")
        first = m.run(until=f"src/main.rs:{store}")
        assert first.reason == "until" and m.line(m.pc) == ("src/main.rs", store)
        # The loop comes back to line 41, whose code starts at more than one address: the
        # next runs stop at each of them in turn and then at the first again, each having
        # run something (run() always runs the instruction it starts at).
        pcs = [first.pc]
        while True:
            again = m.run(until=f"main.rs:{store}", max_instructions=100)
            assert again.reason == "until" and again.instructions > 0
            assert m.line(m.pc) == ("src/main.rs", store)
            if again.pc == first.pc:
                break
            pcs.append(again.pc)
        assert len(set(pcs)) == len(pcs) < 10


def test_address_is_exact(kernel: Callable[[str], Path]) -> None:
    """Stopped before the instruction at the address: a fresh machine given exactly that
    many instructions is in the same place with the same registers."""
    with rvirt.Machine(bios=kernel("hello")) as m, rvirt.Machine(bios=kernel("hello")) as ref:
        addr = m.symbols["core::fmt::write"]
        r = m.run(until=addr)
        assert r.reason == "until" and m.pc == addr
        counted = ref.run(max_instructions=r.instructions)
        assert counted.reason == "limit" and ref.pc == addr
        assert [ref.reg(f"x{i}") for i in range(32)] == [m.reg(f"x{i}") for i in range(32)]


def test_interrupt_entry_is_caught(kernel: Callable[[str], Path]) -> None:
    """An address reached by taking an interrupt stops there, before the handler's first
    instruction, with mcause and mepc already set."""
    with rvirt.Machine(bios=kernel("trap")) as m:
        vector = m.symbols["trap_vector"]
        r = m.run(until="trap_vector")
        assert r.reason == "until" and m.pc == vector
        assert m.csr("mcause") == 0x8000_0007  # machine timer interrupt
        assert m.console.text.endswith("waiting for 3 timer interrupts\n")


def test_callable_matches_address(kernel: Callable[[str], Path]) -> None:
    """A callable asked before every instruction stops at the same instruction as the
    breakpoint: each of the five trap entries of examples/trap, interrupts included."""
    with rvirt.Machine(bios=kernel("trap")) as a, rvirt.Machine(bios=kernel("trap")) as b:
        vector = a.symbols["trap_vector"]
        for _ in range(5):
            by_address = a.run(until=vector)
            by_callable = b.run(until=lambda mm: mm.pc == vector)
            assert by_address == by_callable
            assert a.instret == b.instret and a.csr("mcause") == b.csr("mcause")
        assert a.run().reason == b.run().reason == "exit"


def test_callable_sees_exact_state(kernel: Callable[[str], Path]) -> None:
    """What the callable reads is the state before the instruction at pc: counters,
    registers and memory, in the middle of the interpreter's batch."""
    seen: list[tuple[int, int]] = []

    def at_thousand(m: rvirt.Machine) -> bool:
        seen.append((m.instret, m.csr("minstret")))
        return m.instret == 1000

    with rvirt.Machine(bios=kernel("hello")) as m:
        r = m.run(until=at_thousand)
        assert r.reason == "until" and r.instructions == 1000 == m.instret
        assert all(n == minstret for n, minstret in seen)
        assert [n for n, _ in seen][-3:] == [998, 999, 1000]


def test_until_and_limit_and_exit(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("hello")) as m:
        assert m.run(until="hello::kmain", max_instructions=3).reason == "limit"
        r = m.run()
        assert (r.reason, r.exit_code) == ("exit", 0)
        assert m.run().reason == "exit"  # an ended machine stays ended


def test_callable_errors_propagate(kernel: Callable[[str], Path]) -> None:
    def boom(m: rvirt.Machine) -> bool:
        if m.instret == 20:
            raise LookupError("from the callable")
        return False

    with rvirt.Machine(bios=kernel("hello")) as m:
        with pytest.raises(LookupError):
            m.run(until=boom)
        assert m.instret == 20
        assert m.run(max_instructions=5).instructions == 5  # the machine goes on


def test_timeout(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0")) as m:
        r = m.run(timeout=0.2)  # p0 counts forever
        assert r.reason == "timeout" and r.instructions > 0
