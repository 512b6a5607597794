"""rvirt.debug.dwarf against gdb-multiarch's answers on the example kernels (`info line
*ADDR`, `info symbol ADDR`, `info line FILE:LINE`), the short places hints print, and
ELFs with little, odd or broken debug information."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from rvirt.debug.dwarf import DebugInfo, Function
from tests.debug.oracle import function_of, gdb_batch, line_of, per_address, symbol_of
from tests.tooling import BUILD, CROSS, ROOT, assemble, need

pytestmark = pytest.mark.tools

KERNELS = ("p0", "p0-no-linker-script", "hello", "trap", "paging")


@pytest.fixture(scope="module")
def kernel(request: pytest.FixtureRequest) -> Callable[[str], Path]:
    def find(name: str) -> Path:
        if name == "p0":
            return request.getfixturevalue("p0_elf")
        if name == "p0-no-linker-script":
            return request.getfixturevalue("p0_noscript_elf")
        return request.getfixturevalue("example_elf")(name)
    return find


def text_range(elf: Path) -> tuple[int, int]:
    with open(elf, "rb") as f:
        sec = ELFFile(f).get_section_by_name(".text")
        return sec["sh_addr"], sec["sh_addr"] + sec["sh_size"]


def sample(elf: Path, info: DebugInfo) -> list[int]:
    """Addresses to ask about: every function's first two instructions and, across the
    whole of .text (and a little before and after it), every halfword of a small kernel
    or every fifth of a larger one."""
    lo, hi = text_range(elf)
    step = 2 if hi - lo < 0x1000 else 10
    addrs = set(range(lo - 0x40, hi + 0x40, step))
    for f in info.functions():
        addrs.update((f.low, f.low + 2, f.high - 2))
    return sorted(a for a in addrs if a >= 0)


@pytest.mark.parametrize("name", KERNELS)
def test_answers_equal_gdb(name: str, kernel: Callable[[str], Path]) -> None:
    elf = kernel(name)
    info = DebugInfo(elf)
    addrs = sample(elf, info)
    gdb = per_address(elf, addrs)
    assert len(gdb) == len(addrs)
    wrong: list[str] = []
    for a in addrs:
        info_line, info_symbol = gdb[a]
        func = info.function_at(a)
        mine = (info.line_at(a), func.name if func else None, info.symbol_at(a))
        want = (line_of(info_line), function_of(info_line), symbol_of(info_symbol))
        if mine != want:
            wrong.append(f"{a:#x}: gdb {want} rvirt {mine}")
    assert not wrong, "\n".join(wrong[:20])
    assert info.error is None


@pytest.mark.parametrize("name", ["p0", "hello"])
def test_addresses_of_line_equal_gdb(name: str, kernel: Callable[[str], Path]) -> None:
    """`info line src/main.rs:N` starts at the first address rvirt gives for the line, and
    a line without code has none."""
    elf = kernel(name)
    info = DebugInfo(elf)
    lines = range(1, 120)
    commands = [c for n in lines for c in (f"echo @{n}\\n", f"info line src/main.rs:{n}")]
    answers: dict[int, str] = {}
    current = 0
    for line in gdb_batch(elf, commands).splitlines():
        if line.startswith("@"):
            current = int(line[1:])
        elif current and current not in answers:  # gdb answers once per unit naming the file
            answers[current] = line
    assert sorted(answers) == list(lines)
    checked = 0
    for n, answer in answers.items():
        mine = info.addresses_of_line("src/main.rs", n)
        if " starts at address " in answer:
            start = int(answer.split(" starts at address ")[1].split()[0], 16)
            assert mine and mine[0] == start, (n, answer, mine)
            assert all(info.line_at(a) == ("src/main.rs", n) for a in mine)
            checked += 1
        else:
            assert mine == [], (n, answer, mine)
    assert checked > 5
    assert info.addresses_of_line("main.rs", 37) == info.addresses_of_line("src/main.rs", 37)
    full = str(elf.parents[3] / "src" / "main.rs")
    assert info.addresses_of_line(full, 37) == info.addresses_of_line("src/main.rs", 37)
    assert info.addresses_of_line("ain.rs", 37) == []  # a part of a name is not a file


def test_p0_places(p0_elf: Path) -> None:
    info = DebugInfo(p0_elf)
    entry = info.symbol("p0::entry")
    start = info.symbol("_start")
    assert entry is not None and start == 0x8000_0000
    assert info.symbol("entry") == entry  # the linkage name (#[no_mangle])
    assert info.where(entry) == "p0::entry at src/main.rs:37"
    assert info.line_at(entry) == ("src/main.rs", 37)
    assert info.line_at(entry, full_path=True) == (str(ROOT / "examples/p0/src/main.rs"), 37)
    assert info.where(start) == "_start"
    assert info.where(start + 8) == "_start+0x8"
    assert info.where(0x10000) == "0x10000"
    assert info.function_at(0x10000) is None and info.line_at(0x10000) is None
    f = info.function_at(entry + 4)
    assert f == Function("p0::entry", "entry", entry, f.high) and entry + 4 in f
    assert info.function_at(start) == Function("_start", "_start", start, start + 0x18)
    ticks = info.symbol("p0::TICKS")
    assert ticks is not None and info.where(ticks) == "p0::TICKS"
    assert info.symbol("p0[12d632176886ed2b]::TICKS") == ticks  # as gdb's info symbol says
    assert info.symbol("_RNvCs1CgzAhFaSzT_2p05TICKS") == ticks
    assert info.symbol("no_such_symbol") is None
    assert info.symbol("p0::no_such_function") is None
    assert info.symbol("core::str::{impl#0}::len") == info.symbol(
        "_RNvMNtCs5vbsRDZqdei_4core3stre3lenB4_") == info.symbol("<str>::len")
    len_at = info.symbol("<str>::len") or 0
    assert info.symbol_at(len_at + 2) == ("<str>::len", 2)
    assert info.symbol_at(len_at, raw=True) == ("_RNvMNtCs5vbsRDZqdei_4core3stre3lenB4_", 0)


def test_inlined_code_is_placed_at_the_call(p0_elf: Path) -> None:
    """Inside code inlined into `entry` (wrapping_add from core), the line table names
    core's file; where() names the line of `entry` that calls it, as a backtrace does."""
    info = DebugInfo(p0_elf)
    f = info.function_at(info.symbol("p0::entry") or 0)
    assert f is not None
    inlined = [a for a in range(f.low, f.high, 2)
               if (info.line_at(a) or ("", 0))[0].endswith("uint_macros.rs")]
    assert inlined
    for a in inlined:
        place = info.where(a)
        assert place.startswith("p0::entry at src/main.rs:"), place


def test_functions_cover_the_symbols(p0_elf: Path) -> None:
    info = DebugInfo(p0_elf)
    funcs = info.functions()
    names = [f.name for f in funcs]
    assert names[0] == "_start" and "p0::entry" in names and "p0::panic" in names
    assert all(a.high <= b.low for a, b in zip(funcs, funcs[1:], strict=False))


def test_nothing_is_read_until_asked(tmp_path: Path, p0_elf: Path) -> None:
    """Making a DebugInfo reads nothing (the file need not even exist yet), and importing
    the module does not import pyelftools: a machine that never asks pays nothing."""
    later = tmp_path / "p0"
    info = DebugInfo(later)
    later.write_bytes(p0_elf.read_bytes())
    assert info.where(0x8000_0000) == "_start"
    code = ("import sys; from rvirt.debug.dwarf import DebugInfo; DebugInfo(sys.argv[1]); "
            "print(any(m.startswith('elftools') for m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code, str(p0_elf)], capture_output=True,
                       text=True, cwd=ROOT, check=True)
    assert r.stdout.strip() == "False"


def test_an_open_elffile_works_too(p0_elf: Path) -> None:
    with open(p0_elf, "rb") as f:
        info = DebugInfo(ELFFile(f))
        assert info.where(info.symbol("p0::entry") or 0) == "p0::entry at src/main.rs:37"


# --- ELFs that know less -------------------------------------------------------------

ASM = """\
    .section .text.init
    .globl _start
    .type _start, @function
_start:
    la sp, stack_top
    call helper
1:  j 1b
    .size _start, .-_start
    .text
    .globl helper
    .type helper, @function
helper:
    addi a0, a0, 1
    ret
    .size helper, .-helper
label_without_size:
    nop
    nop
    .bss
    .space 64
stack_top:
"""


def test_no_dwarf_uses_the_symbol_table() -> None:
    elf = assemble(ASM, "dwarf_nodebug")
    info = DebugInfo(elf)
    start = info.symbol("_start")
    helper = info.symbol("helper")
    label = info.symbol("label_without_size")
    assert start == 0x8000_0000 and helper is not None and label is not None
    assert info.line_at(start) is None and info.addresses_of_line("x.S", 1) == []
    assert info.where(start + 4) == "_start+0x4"
    assert info.function_at(helper + 2) == Function("helper", "helper", helper, helper + 4)
    # a label without a size reaches to the end of its section
    f = info.function_at(label + 2)
    assert f is not None and f.name == "label_without_size" and f.low == label
    assert info.error is None
    gdb = per_address(elf, [start + 4, helper + 2, label + 2])
    assert symbol_of(gdb[start + 4][1]) == info.symbol_at(start + 4) == ("_start", 4)
    assert symbol_of(gdb[label + 2][1]) == info.symbol_at(label + 2)


def test_assembly_with_line_info_equals_gdb() -> None:
    """`gcc -g` on assembly: DWARF 5 line tables, no functions; files named as gdb does."""
    elf = assemble(ASM, "dwarf_asm_g", extra_as=("-g",))
    info = DebugInfo(elf)
    addrs = list(range(0x8000_0000, 0x8000_0030, 2))
    gdb = per_address(elf, addrs)
    for a in addrs:
        assert info.line_at(a) == line_of(gdb[a][0]), hex(a)
        assert info.symbol_at(a) == symbol_of(gdb[a][1]), hex(a)
    start = info.symbol("_start") or 0
    # the assembler was given an absolute path, so the line table has one
    assert info.where(start) == f"_start at {BUILD / 'dwarf_asm_g.S'}:5"
    assert info.line_at(start, full_path=True) == (str(BUILD / "dwarf_asm_g.S"), 5)


def test_without_aranges_units_are_found_by_their_ranges(p0_elf: Path) -> None:
    objcopy = need(CROSS + "objcopy")
    BUILD.mkdir(parents=True, exist_ok=True)
    stripped = BUILD / "dwarf_p0_no_aranges"
    subprocess.run([objcopy, "--remove-section", ".debug_aranges", str(p0_elf),
                    str(stripped)], check=True, capture_output=True)
    full, bare = DebugInfo(p0_elf), DebugInfo(stripped)
    lo, hi = text_range(p0_elf)
    for a in range(lo, hi, 2):
        assert bare.where(a) == full.where(a), hex(a)
        assert bare.line_at(a) == full.line_at(a), hex(a)


def _damaged(p0_elf: Path, name: str, damage: Callable[[bytearray, dict[str, tuple[int, int]]],
                                                       None]) -> Path:
    data = bytearray(p0_elf.read_bytes())
    with open(p0_elf, "rb") as f:
        sections = {s.name: (s["sh_offset"], s["sh_size"]) for s in ELFFile(f).iter_sections()}
    damage(data, sections)
    out = BUILD / f"dwarf_{name}"
    BUILD.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bytes(data))
    return out


def _fill(section: str, byte: int) -> Callable[[bytearray, dict[str, tuple[int, int]]], None]:
    def damage(data: bytearray, sections: dict[str, tuple[int, int]]) -> None:
        off, size = sections[section]
        data[off:off + size] = bytes([byte]) * size
    return damage


def _cut(fraction: float) -> Callable[[bytearray, dict[str, tuple[int, int]]], None]:
    def damage(data: bytearray, sections: dict[str, tuple[int, int]]) -> None:
        del data[int(len(data) * fraction):]
    return damage


def _scramble(section: str) -> Callable[[bytearray, dict[str, tuple[int, int]]], None]:
    def damage(data: bytearray, sections: dict[str, tuple[int, int]]) -> None:
        off, size = sections[section]
        for i in range(off + 11, off + size, 7):
            data[i] = (data[i] * 31 + 17) & 0xFF
    return damage


DAMAGE = {
    "info-ff": _fill(".debug_info", 0xFF),
    "info-zero": _fill(".debug_info", 0),
    "info-scrambled": _scramble(".debug_info"),
    "line-ff": _fill(".debug_line", 0xFF),
    "line-scrambled": _scramble(".debug_line"),
    "abbrev-scrambled": _scramble(".debug_abbrev"),
    "aranges-ff": _fill(".debug_aranges", 0xFF),
    "ranges-scrambled": _scramble(".debug_ranges"),
    "str-zero": _fill(".debug_str", 0),
    "symtab-scrambled": _scramble(".symtab"),
    "cut-at-90%": _cut(0.9),
    "cut-at-50%": _cut(0.5),
    "cut-at-1%": _cut(0.01),
    "header-only": _cut(0.0001),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_broken_debug_info_never_raises(case: str, p0_elf: Path) -> None:
    elf = _damaged(p0_elf, case, DAMAGE[case])
    info = DebugInfo(elf)
    lo, hi = 0x8000_0000, 0x8000_0150
    for a in range(lo - 4, hi, 2):
        info.where(a)
        info.line_at(a)
        info.line_at(a, full_path=True)
        info.function_at(a)
        info.symbol_at(a)
    info.addresses_of_line("src/main.rs", 38)
    info.symbol("p0::entry")
    info.functions()
    if case.startswith(("line", "aranges")):
        # the symbol table is whole: functions are still named
        assert info.where(0x8000_0000).startswith("_start")


@pytest.mark.parametrize("content", [None, b"", b"not an ELF at all\n", b"\x7fELF\x01\x01"])
def test_not_an_elf_knows_nothing(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "kernel"
    if content is not None:
        path.write_bytes(content)
    info = DebugInfo(path)
    assert info.where(0x8000_0000) == "0x80000000"
    assert info.function_at(0x8000_0000) is None
    assert info.line_at(0x8000_0000) is None
    assert info.symbol("_start") is None and info.symbol_at(0x8000_0000) is None
    assert info.addresses_of_line("main.rs", 1) == [] and info.functions() == []
    assert info.error is not None
