"""The examples' sessions through `rvirt -debugger`, against gdb-multiarch on QEMU: hello
(a breakpoint in a method, finish with its Value returned, bt through core::fmt's frames,
locals and arguments, up/down/frame, until, list, info line/symbol/frame) and trap (a
breakpoint in the trap handler, its frame pointer into TRAP_STACK, struct and array
values, CSRs decoded as gdb does, a watchpoint on an atomic static)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.debug.frontend.compare import answers, rvirt_session, side_by_side
from tests.tooling import need

pytestmark = pytest.mark.tools

HELLO = [
    "break hello::Uart::putc", "break kmain", "info breakpoints", "continue", "bt",
    "info frame", "p console", "continue", "bt", "p byte", "p self", "p/x byte",
    "info locals", "info args", "finish", "finish", "p $pc", "x/4xw $sp", "x/2i $pc",
    "info line", "list", "list", "delete", "break hello::{impl#1}::write_str", "continue",
    "info args", "p s", "p *self", "p $sp", "finish", "p $", "p $1", "p $sp - 8",
    "p &console", "info symbol 0x80000852", "info symbol $pc", "info line kmain", "next",
    "next", "bt", "up", "info locals", "info frame", "down", "frame 1", "frame", "until",
    "tbreak src/main.rs:75", "info breakpoints", "continue", "p answer", "p info",
    "info registers", "list hello::power_off", "info line src/main.rs:69",
    "info line src/main.rs:70", "info line main.rs:74", "kill",
]

TRAP = [
    "break trap::handle_trap", "continue", "bt", "p mcause", "info locals", "p frame",
    "p *frame", "p frame.x", "p frame.x[2]", "next", "next", "p mcause", "p/x mcause",
    "p code", "info registers mcause mepc mtval mstatus mie mip", "p $mcause",
    "p/x $mstatus", "p TICKS", "p trap::TICKS", "x/2xw &TICKS", "p trap::power_off",
    "break trap::mtime", "continue", "bt", "finish", "delete", "watch TICKS", "continue",
    "bt", "info breakpoints", "kill",
]
# What depends on how fast time passes (QEMU's mtime follows the host clock here, rvirt's
# the instruction count): the value mtime() returns.
TIME_DEPENDENT = re.compile(r"^Value returned is \$\d+ = \d+$")


def _same(session: list[tuple[str, list[str], list[str]]]) -> None:
    for command, ours, gdbs in session:
        if command == "finish":
            ours = [ln if not TIME_DEPENDENT.match(ln) else ln.split("=")[0] for ln in ours]
            gdbs = [ln if not TIME_DEPENDENT.match(ln) else ln.split("=")[0] for ln in gdbs]
        assert ours == gdbs, command


def test_hello_session_is_gdbs(demo: ModuleType, example_elf: Callable[[str], Path]) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(example_elf("hello"), demo, HELLO))


def test_trap_session_is_gdbs(demo: ModuleType, example_elf: Callable[[str], Path]) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(example_elf("trap"), demo, TRAP))


def _rvirt(elf: Path, commands: list[str]) -> dict[str, list[str]]:
    status, out, err = rvirt_session(elf, commands)
    assert status == 0 and "Traceback" not in err, err
    return {f"{i}:{c}": lines for i, (c, lines) in enumerate(answers(out, "(rvirt) "))}


def test_hello_finish_and_backtrace(example_elf: Callable[[str], Path]) -> None:
    a = _rvirt(example_elf("hello"), [
        "break hello::{impl#1}::write_str", "continue", "finish", "delete 1",
        "break hello::Uart::putc", "continue", "bt"])
    assert a["3:finish"][0] == ("Run till exit from #0  hello::{impl#1}::write_str "
                                "(self=0x8001b7f7, s=...) at src/main.rs:38")
    assert a["3:finish"][-1] == ("Value returned is $1 = "
                                 "core::result::Result<(), core::fmt::Error>::Ok(())")
    frames = [ln.split(" in ", 1)[-1].split(" (")[0] for ln in a["7:bt"][:-1]]
    assert frames == ["#0  hello::Uart::putc", "hello::{impl#1}::write_str",
                      "core::fmt::write",
                      "core::fmt::Write::write_fmt::{impl#1}::spec_write_fmt<hello::Uart>",
                      "core::fmt::Write::write_fmt<hello::Uart>", "hello::kmain", "??"]
    assert a["7:bt"][-1] == "Backtrace stopped: frame did not save the PC"


def test_trap_info_trap_and_mcause(example_elf: Callable[[str], Path]) -> None:
    a = _rvirt(example_elf("trap"), [
        "break trap::handle_trap", "continue", "next", "next", "p/x mcause", "info trap",
        "p/x $mcause"])
    assert a["5:p/x mcause"] == ["$1 = 0x80000007"]
    trap = a["6:info trap"]
    assert trap[0].startswith("mcause   0x80000007  interrupt 7: ")
    assert trap[1] == "mtval    0x00000000"
    assert re.fullmatch(r"mepc     0x800[0-9a-f]{5} in trap::kmain at src/main.rs:\d+",
                        trap[2])
    assert a["7:p/x $mcause"] == ["$2 = 0x80000007"]


def test_serial_file_keeps_the_guest_apart(example_elf: Callable[[str], Path]) -> None:
    """With -serial file:PATH the UART writes the file, and the debugger alone the
    terminal (the sessions above compare transcripts this way)."""
    status, out, uart = rvirt_session(example_elf("hello"), ["continue"])
    assert status == 0
    assert "Hello from Rust on the RISC-V virt machine!" in uart
    assert "Hello" not in out
    assert answers(out, "(rvirt) ")[1][1][-1] == "[Inferior 1 (process 1) exited normally]"


P0_WATCH = ["break p0::entry", "continue", "next", "next", "next", "rwatch ticks",
            "continue", "continue", "info breakpoints", "delete", "awatch TICKS", "continue",
            "continue", "info watchpoints", "tbreak 43", "info breakpoints", "continue",
            "advance 41", "p ticks == 3 && TICKS != 0", "kill"]


def test_p0_watchpoints_and_temporary_breakpoints_are_gdbs(demo: ModuleType,
                                                            p0_elf: Path) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(p0_elf, demo, P0_WATCH))


P0_DISPLAY = ["break p0::entry", "continue", "next", "next", "next", "display TICKS",
              "display/i $pc", "si", "info display", "stepi", "undisplay 1", "nexti",
              "until", "info frame", "kill"]


def test_p0_displays_and_instruction_steps_are_gdbs(demo: ModuleType, p0_elf: Path) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    for command, ours, gdbs in side_by_side(p0_elf, demo, P0_DISPLAY):
        if command.startswith("display"):
            # rvirt shows a new display at once, as gdb does at its prompt; gdb -batch
            # (the QEMU side) printed nothing for these commands
            assert ours and ours[0].startswith(("1: TICKS = ", "2: x/i $pc"))
            continue
        assert ours == gdbs, command


def test_linker_mistake_session_is_gdbs(demo: ModuleType, p0_noscript_elf: Path) -> None:
    """scripts/demo.py's LINKER_MISTAKE session (mstatus decoded as gdb does), and writes
    with `set`."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    session = [c for c in demo.LINKER_MISTAKE if not c.startswith("target remote")]
    session[-1:-1] = ["set $t0 = 5", "p $t0", "set var $a0 = 0x42", "info registers a0"]
    for command, ours, gdbs in side_by_side(p0_noscript_elf, demo, session):
        assert ours == gdbs, command


def test_set_var_writes_memory(demo: ModuleType, p0_elf: Path) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(p0_elf, demo, [
        "break p0::entry", "continue", "next", "next", "next", "set var TICKS = 7",
        "p TICKS", "set var ticks = ticks + 5", "p ticks", "next", "next", "p TICKS",
        "kill"]))


HELLO_INLINE = ["break hello::{impl#1}::write_str", "continue", "continue", "finish",
                "next", "next", "step", "bt", "info args", "p count", "up", "info locals",
                "down", "finish", "bt", "next", "step", "step", "next", "kill"]


def test_hello_steps_into_inlined_code_as_gdb(demo: ModuleType,
                                              example_elf: Callable[[str], Path]) -> None:
    """`step` into a function inlined into core::fmt::write: gdb's inline frames in bt,
    up/down, the inlined call's arguments, finish out of it."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(example_elf("hello"), demo, HELLO_INLINE))


RUST_TYPES_HELLO = ["break hello::{impl#1}::write_str", "continue", "ptype self",
                    "ptype *self", "ptype s", "whatis s", "finish", "ptype $", "whatis $",
                    "ptype hello::Uart", "whatis hello::Uart", "whatis 1", "ptype u32",
                    "kill"]
RUST_TYPES_TRAP = ["break trap::handle_trap", "continue", "whatis frame", "ptype frame",
                   "ptype *frame", "ptype mcause", "ptype TICKS", "ptype frame.x",
                   "whatis trap::power_off", "ptype trap::power_off",
                   "whatis trap::TrapFrame", "ptype trap::TrapFrame", "ptype trap::Stack",
                   "whatis mcause == 1", "ptype nosuch", "p 017", "kill"]


@pytest.mark.parametrize(("name", "session"), [("hello", RUST_TYPES_HELLO),
                                               ("trap", RUST_TYPES_TRAP)])
def test_rust_ptype_and_whatis_are_gdbs(demo: ModuleType, example_elf: Callable[[str], Path],
                                        name: str, session: list[str]) -> None:
    """Rust's types as gdb's Rust printer spells them: structs, tuple structs, a unit
    struct, an enum's variants, types named by their path."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(example_elf(name), demo, session))


P0_THREADS = ["info threads", "break p0::entry", "continue", "info threads", "thread",
              "thread 1", "thread apply all bt", "thread apply 1 p $pc", "thread 2", "kill"]


def test_p0_threads_are_gdbs(demo: ModuleType, p0_elf: Path) -> None:
    """The hart as gdb shows QEMU's CPU: info threads, thread, thread apply."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    _same(side_by_side(p0_elf, demo, P0_THREADS))
