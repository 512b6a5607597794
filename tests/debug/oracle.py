"""gdb-multiarch as the oracle for the DWARF tests: one batch run answers many questions
about an ELF without a target (`info line *ADDR`, `info symbol ADDR`, minimal symbols)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.tooling import BUILD, need


def gdb_batch(elf: Path, commands: list[str], *, rust: bool = False) -> str:
    """gdb's output for `commands` on `elf` (no target).  rust=True sets the language
    before the file is read, so symbols of an ELF without DWARF are demangled as Rust."""
    gdb = need("gdb-multiarch")
    BUILD.mkdir(parents=True, exist_ok=True)
    script = BUILD / f"dwarf_{elf.name}.gdb"
    script.write_text("\n".join(commands) + "\n")
    pre = ["-iex", "set language rust"] if rust else []
    r = subprocess.run([gdb, "-nx", "-batch", *pre, "-x", str(script), str(elf)],
                       capture_output=True, text=True, timeout=300)
    return r.stdout + r.stderr


def per_address(elf: Path, addrs: list[int]) -> dict[int, tuple[str, str]]:
    """For each address: gdb's `info line *ADDR` (symbols shown demangled, as in frames)
    and `info symbol ADDR` lines."""
    commands = ["set print asm-demangle on"]
    for a in addrs:
        commands += [f"echo @{a:#x}\\n", f"info line *{a:#x}", f"info symbol {a:#x}"]
    out: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in gdb_batch(elf, commands).splitlines():
        if line.startswith("@0x"):
            current = out.setdefault(int(line[1:], 16), [])
        elif current is not None:
            current.append(line)
    return {a: (lines[0], lines[1]) for a, lines in out.items()}


def line_of(info_line: str) -> tuple[str, int] | None:
    """(file, line) from `Line 37 of "src/main.rs" starts at ...`; None without a line."""
    m = re.match(r'Line (\d+) of "([^"]*)"', info_line)
    return (m.group(2), int(m.group(1))) if m else None


def function_of(info_line: str) -> str | None:
    """The function gdb names for the address: `<p0::entry+4>` -> `p0::entry`."""
    m = re.search(r"address 0x[0-9a-f]+ <(.*?)(?:\+\d+)?>(?: and | but |\.?$)", info_line)
    return m.group(1) if m else None


def symbol_of(info_symbol: str) -> tuple[str, int] | None:
    """(name, offset) from `entry + 4 in section .text`; None for `No symbol matches`."""
    m = re.match(r"(.*?)(?: \+ (\d+))? in section \S+$", info_symbol)
    return (m.group(1), int(m.group(2) or 0)) if m else None


def minimal_symbols(elf: Path, *, rust: bool = False) -> dict[str, str]:
    """Every minimal symbol's linkage name -> the name gdb prints for it."""
    names: dict[str, str] = {}
    for line in gdb_batch(elf, ["maint print msymbols"], rust=rust).splitlines():
        # `[ 4] T 0x800000c6 _RNv... section .text  <str>::len  objfile-or-cu`
        m = re.match(r"\[ *\d+\] \S 0x[0-9a-f]+ (\S+)(?: section \S+)?(.*)$", line)
        if m is None:
            continue
        rest = [p for p in m.group(2).strip().split("  ") if p]
        names[m.group(1)] = rest[0] if len(rest) == 2 else m.group(1)
    return names
