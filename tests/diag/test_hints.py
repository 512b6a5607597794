"""Hints: each classic mistake, built as a cargo feature of examples/p0, gets its hint
(what happened, the probable cause, the function and source line), once, and the machine
goes on as QEMU's would; the correct kernels get none; -no-hints silences them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from rvirt.board.virt import Machine, MachineConfig
from rvirt.diag.hints import Hints
from tests.cli.guest import ARGS
from tests.tooling import run_rvirt

pytestmark = pytest.mark.tools


def hinted(elf: Path, instructions: int = 20_000) -> tuple[list[str], Machine]:
    """The hint lines of a run of `instructions`, which must not end the machine."""
    lines: list[str] = []
    m = Machine(MachineConfig(ram_size=150 << 20, bios=str(elf)), console=lambda b: None,
                notice=lambda s: None)
    Hints(m, say=lines.append).attach()
    assert m.run(max_instructions=instructions) is None  # it goes on, as on QEMU
    return lines, m


def test_no_stack(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, m = hinted(p0_mistake_elf("no-stack"))
    assert lines[0].startswith("hint: fault_store at 0xfffffff4 (sp+0x14) in p0::entry at "
                               "src/main.rs:38: sp = 0xffffffe0 is not in RAM")
    assert "the prologue of p0::entry" in lines[0]
    assert lines[1] == ("hint: the stack was never set up: _start must load sp (la sp, "
                        "_stack_top) before it calls Rust code.")
    assert m.hart.pc == 0 and m.hart.csr["mcause"] == 1  # looping on fetch faults


def test_no_trap_handler(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, _ = hinted(p0_mistake_elf("no-trap-handler"))
    assert len(lines) == 2
    assert lines[0].startswith("hint: machine_ecall (cause 11) in p0::mistake at "
                               "src/main.rs:")
    assert "with mtvec = 0: no trap handler is installed" in lines[0]
    assert lines[1] == "hint: install one before anything can trap: csrw mtvec, <handler " \
        "address>."


def test_rom_store(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, m = hinted(p0_mistake_elf("rom-store"))
    assert len(lines) == 2
    assert lines[0].startswith("hint: a store to 0x00001000 in core::ptr::write_volatile<u32> "
                               "at /usr/lib/rustlib/src/rust/library/core/src/ptr/mod.rs:")
    assert "that is the boot ROM (0x1000-0xffff), which ignores stores" in lines[0]
    assert m.read_memory(0x1000, 4) == bytes.fromhex("97020000")  # ROM unchanged
    assert m.function_at(m.hart.pc).name == "p0::entry"  # and p0 went on to count


def test_no_device(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, _ = hinted(p0_mistake_elf("no-device"))
    assert lines[0].startswith("hint: a store to 0x10010000 in core::ptr::write_volatile<u8>")
    assert "faulted (fault_store): no device or memory is at that address." in lines[0]
    assert "UART 0x10000000" in lines[1]
    assert lines[2].startswith("hint: fault_store (cause 7)") and "mtvec = 0" in lines[2]


def test_linker_mistake(p0_noscript_elf: Path) -> None:
    lines, _ = hinted(p0_noscript_elf)
    assert lines == [
        "hint: the boot ROM jumped to 0x80000000, but nothing is loaded there: the kernel "
        "is linked outside RAM (its entry point is 0x100b4, _start).",
        "hint: link it at 0x80000000: give the linker your linker script (-T script.ld, "
        "e.g. from build.rs)."]


def test_correct_kernels_get_no_hint(p0_elf: Path,
                                     example_elf: Callable[[str], Path]) -> None:
    lines, _ = hinted(p0_elf, 200_000)
    assert lines == []
    for name in ("hello", "trap", "paging"):
        r = run_rvirt(*ARGS, "-bios", str(example_elf(name)), input=b"")
        assert r.returncode == 0
        assert b"hint" not in r.stderr, (name, r.stderr)


def _stderr_of_endless_run(*args: str) -> str:
    with pytest.raises(subprocess.TimeoutExpired) as stopped:
        run_rvirt(*ARGS, *args, timeout=4, input=b"")
    return (stopped.value.stderr or b"").decode()


def test_hint_lines_on_stderr_once(p0_mistake_elf: Callable[[str], Path]) -> None:
    err = _stderr_of_endless_run("-bios", str(p0_mistake_elf("no-trap-handler")))
    hints = [line for line in err.splitlines() if line.startswith("rvirt: hint: ")]
    assert len(hints) == 2, err  # once, though the hart traps over and over


def test_no_hints_option(p0_mistake_elf: Callable[[str], Path]) -> None:
    err = _stderr_of_endless_run("-bios", str(p0_mistake_elf("no-trap-handler")), "-no-hints")
    assert "hint" not in err
