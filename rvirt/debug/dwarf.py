"""What a guest ELF says about its code: functions, source lines and symbols, read from
the symbol table and DWARF (pyelftools) for every user (hints, -d logs, the profile, the
debugger), with names and files as gdb 13 prints them.

Nothing is read when a `DebugInfo` is made. The symbol table is read on the first
question; a compilation unit's line table and functions when an address in it is first
asked about (found through .debug_aranges), each parsed once into sorted arrays searched
with bisect.  Missing or odd DWARF never raises: the answers just know less.
"""

from __future__ import annotations

import io
import os
import posixpath
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from rvirt.debug.demangle import demangle

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

__all__ = ["DebugInfo", "FrameRule", "Function", "LineSpan", "Scope", "Type", "Variable",
           "demangle", "evaluate_location"]

SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4

# Scopes that prefix a function's name, as gdb builds Rust names from the DIE tree
# (gdb/dwarf2/read.c determine_prefix): `core::str::{impl#0}::len`.
_SCOPE_TAGS = frozenset({"DW_TAG_namespace", "DW_TAG_structure_type", "DW_TAG_union_type",
                         "DW_TAG_enumeration_type", "DW_TAG_class_type",
                         "DW_TAG_interface_type"})

# The DIEs that name a type C can spell: `struct point`, `enum color`, `handler_t`, `int`.
_TYPE_TAGS = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union",
              "DW_TAG_enumeration_type": "enum", "DW_TAG_typedef": "",
              "DW_TAG_base_type": ""}


@dataclass(frozen=True)
class Function:
    """A function's code [low, high) (for one split into several ranges, the range asked
    about).  `name` is what gdb shows in frames and `info functions` (from DWARF; for code
    without DWARF, the symbol demangled as gdb's `info symbol` does); `raw` is the linkage
    name, the one in the ELF symbol table."""

    name: str
    raw: str
    low: int
    high: int

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, int) and self.low <= addr < self.high


@dataclass
class _Sym:
    addr: int
    size: int
    name: str
    section: int | None  # index of its allocated section; None for absolute symbols
    text: bool


@dataclass
class _Inline:
    """An inlined call inside a function: where its code is, and the line that calls it."""

    ranges: list[tuple[int, int]]
    call_file: int
    call_line: int


@dataclass
class _Func:
    low: int
    high: int
    entry: int
    name: str
    raw: str | None
    inlines: list[_Inline] = field(default_factory=list)
    die: int = -1  # offset of its DW_TAG_subprogram, for its variables and return type


@dataclass
class _Unit:
    """One compilation unit, parsed: its line table and its functions."""

    file_base: int = 1  # the number of the first file: 1 before DWARF 5, then 0
    files: list[str] = field(default_factory=list)       # as gdb names them
    full: list[str] = field(default_factory=list)        # absolute, for reading the source
    line_addrs: list[int] = field(default_factory=list)  # sorted row addresses
    line_rows: list[tuple[int, int, bool]] = field(default_factory=list)  # file, line, stmt
    func_lows: list[int] = field(default_factory=list)
    funcs: list[_Func] = field(default_factory=list)
    prologue_ends: list[int] = field(default_factory=list)  # rows flagged prologue_end
    cu_offset: int = -1
    language: int = 0  # DW_AT_language (0x1c is Rust)


class DebugInfo:
    """Symbols, functions and source lines of one ELF (a path, or an open ELFFile)."""

    def __init__(self, elf: str | os.PathLike[str] | ELFFile) -> None:
        self._source = elf
        self._elf: Any = None
        self._opened = False
        self.error: str | None = None  # why less is known, when something could not be read
        self._sections: list[tuple[int, int, int]] | None = None  # (addr, end, index)
        self._exec: set[int] = set()
        self._syms: list[_Sym] | None = None
        self._sym_addrs: list[int] = []
        self._by_name: dict[str, int] = {}
        self._aliases: dict[str, int] | None = None
        self._func_names: dict[str, int] | None = None  # DWARF's names, made on demand
        self._dwarf: Any = None
        self._unit_lows: list[int] | None = None
        self._unit_spans: list[tuple[int, int, int]] = []  # (low, high, CU offset)
        self._units: dict[int, _Unit | None] = {}
        self._all_units = False
        self._fdes: list[tuple[int, int, Any]] | None = None
        self._fde_lows: list[int] = []
        self._types: dict[int, Type] = {}
        self._statics: dict[str, list[tuple[int, Variable]]] | None = None
        self._named: dict[tuple[str, str], list[tuple[int, int]]] | None = None

    # --- the answers -------------------------------------------------------------------

    def function_at(self, addr: int) -> Function | None:
        """The function whose code holds `addr` (the outermost one, not an inlined callee)."""
        hit = self._dwarf_func(addr)
        if hit is not None:
            f, _ = hit
            return Function(f.name, f.raw or self._sym_name_at(f.entry) or f.name, f.low,
                            f.high)
        sym = self._text_sym_at(addr)
        if sym is None:
            return None
        sym_, high = sym
        return Function(demangle(sym_.name, verbose=True), sym_.name, sym_.addr, high)

    def line_at(self, addr: int, *, full_path: bool = False) -> tuple[str, int] | None:
        """(file, line) of the line-table row holding `addr`, the file named as gdb's
        `info line` names it (`src/main.rs`), or absolute with full_path=True."""
        unit = self._unit_at(addr)
        if unit is None:
            return None
        row = _row_at(unit, addr)
        if row is None:
            return None
        file, line, _ = row
        return (unit.full if full_path else unit.files)[file], line

    def addresses_of_line(self, file: str, line: int) -> list[int]:
        """Addresses where statement rows of `file`:`line` start (sorted), `file` given as
        gdb takes it: the name it prints, an absolute path, or a trailing part
        (`main.rs`)."""
        found: set[int] = set()
        for unit in self._every_unit():
            wanted = {i for i, (shown, full) in enumerate(zip(unit.files, unit.full, strict=True))
                      if _same_file(file, shown, full)}
            if not wanted:
                continue
            prev: tuple[int, int, bool] | None = None
            for addr, row in zip(unit.line_addrs, unit.line_rows, strict=True):
                f, ln, stmt = row
                # a row continuing the same line is not where the line starts
                if f in wanted and ln == line and stmt and (prev is None or prev[:2] != (f, ln)):
                    found.add(addr)
                prev = row
        return sorted(found)

    def symbol(self, name: str) -> int | None:
        """Address of the symbol or function called `name` (linkage name, demangled name,
        or gdb's name for a function such as `p0::entry`)."""
        self._load_symbols()
        if name in self._by_name:
            return self._by_name[name]
        if self._aliases is None:  # demangled names: made on the first miss only
            assert self._syms is not None
            self._aliases = {}
            for s in self._syms:
                for alias in (demangle(s.name), demangle(s.name, verbose=True)):
                    self._aliases.setdefault(alias, s.addr)
        if name in self._aliases:
            return self._aliases[name]
        if "::" not in name:
            # a name without a scope is in the symbol table if anywhere (C functions,
            # #[no_mangle] ones): no need to read all the DWARF to miss it
            return None
        if self._func_names is None:
            self._func_names = {}
            for unit in self._every_unit():
                for f in unit.funcs:
                    self._func_names.setdefault(f.name, f.entry)
        return self._func_names.get(name)

    def symbol_at(self, addr: int, *, raw: bool = False) -> tuple[str, int] | None:
        """(name, offset) as gdb's `info symbol ADDR` gives them: the ELF symbol holding
        `addr`, demangled as gdb does (`entry`, 4 for `entry + 4 in section .text`), or
        with raw=True its linkage name, as the symbol table has it."""
        sym = self._sym_at(addr, text_only=False)
        if sym is None:
            return None
        return (sym.name if raw else demangle(sym.name, verbose=True)), addr - sym.addr

    def code_symbol_at(self, addr: int) -> Function | None:
        """The function holding `addr` from the symbol table alone, named by its
        demangled symbol (`<hello::Uart as core::fmt::Write>::write_str`): no DWARF is
        read, so it is cheap enough to ask about every block (the profile does)."""
        hit = self._text_sym_at(addr)
        if hit is None:
            return None
        sym, high = hit
        return Function(demangle(sym.name), sym.name, sym.addr, high)

    def where(self, addr: int) -> str:
        """A short place for messages: `p0::entry at src/main.rs:37`, `_start+0x8` when
        there is no line, `p0::TICKS` for data, `0x10000` when nothing is known.  Inside
        code inlined into the function, the line is the call's, in the function's own
        source (as gdb shows the function's frame)."""
        func = self.function_at(addr)
        place = self._line_in_function(addr)
        if func is not None and place is not None:
            return f"{func.name} at {place[0]}:{place[1]}"
        if func is not None:
            off = addr - func.low
            return func.name if off == 0 else f"{func.name}+{off:#x}"
        if place is not None:
            return f"{place[0]}:{place[1]}"
        data = self._sym_at(addr, text_only=False)
        if data is not None:
            off = addr - data.addr
            return demangle(data.name) + (f"+{off:#x}" if off else "")
        return f"{addr:#x}"

    def functions(self) -> list[Function]:
        """Every function with code, by address: DWARF's, then symbols DWARF lacks."""
        out: dict[int, Function] = {}
        for unit in self._every_unit():
            for f in unit.funcs:
                out.setdefault(f.entry, Function(f.name, f.raw or f.name, f.entry, f.high))
        self._load_symbols()
        assert self._syms is not None
        for s in self._syms:
            if s.text and s.addr not in out and self._dwarf_func(s.addr) is None:
                hit = self._text_sym_at(s.addr)
                if hit is not None and hit[0] is s:
                    out[s.addr] = Function(demangle(s.name, verbose=True), s.name, s.addr,
                                           hit[1])
        return [out[a] for a in sorted(out)]

    # --- the ELF and its symbols -----------------------------------------------------------

    def _open(self) -> Any:
        if self._opened:
            return self._elf
        self._opened = True
        try:
            from elftools.elf.elffile import ELFFile
            if isinstance(self._source, str | os.PathLike):
                with open(self._source, "rb") as f:
                    data = f.read()
                # read whole: the file may be rebuilt while the machine runs
                self._elf = ELFFile(io.BytesIO(data))
            else:
                self._elf = self._source
            sections = []
            for i, sec in enumerate(self._elf.iter_sections()):
                if sec["sh_flags"] & SHF_ALLOC and sec["sh_size"]:
                    sections.append((sec["sh_addr"], sec["sh_addr"] + sec["sh_size"], i))
                    if sec["sh_flags"] & SHF_EXECINSTR:
                        self._exec.add(i)
            self._sections = sorted(sections)
        except Exception as e:  # pyelftools raises many kinds on a bad file: know nothing
            self._fail(e)
            self._elf = None
            self._sections = []
        return self._elf

    def _fail(self, e: BaseException) -> None:
        if self.error is None:
            self.error = f"{type(e).__name__}: {e}"

    def _section_of(self, addr: int) -> int | None:
        self._open()
        assert self._sections is not None
        for lo, hi, index in self._sections:
            if lo <= addr < hi:
                return index
        return None

    def _load_symbols(self) -> None:
        if self._syms is not None:
            return
        self._syms = []
        elf = self._open()
        if elf is None:
            return
        try:
            table = elf.get_section_by_name(".symtab") or elf.get_section_by_name(".dynsym")
            if table is None or not hasattr(table, "iter_symbols"):
                return
            for sym in table.iter_symbols():
                name = sym.name
                kind = sym["st_info"]["type"]
                shndx = sym["st_shndx"]
                # mapping symbols ($x, $d) and local labels are not names of anything
                if (not name or shndx == "SHN_UNDEF" or kind in ("STT_SECTION", "STT_FILE")
                        or name.startswith(("$", ".L"))):
                    continue
                addr = sym["st_value"]
                if shndx == "SHN_ABS":
                    section = None
                elif isinstance(shndx, int):
                    section = shndx
                else:
                    continue
                self._by_name.setdefault(name, addr)
                if section is not None and self._section_index_alloc(section):
                    self._syms.append(_Sym(addr, sym["st_size"], name, section,
                                           section in self._exec))
        except Exception as e:  # a cut-off symbol table: keep what was read
            self._fail(e)
        # gdb orders symbols at one address by name and takes the last (minsyms.c)
        self._syms.sort(key=lambda s: (s.addr, s.name))
        self._sym_addrs = [s.addr for s in self._syms]

    def _section_index_alloc(self, index: int) -> bool:
        assert self._sections is not None
        return any(i == index for _, _, i in self._sections)

    def _sym_at(self, addr: int, text_only: bool) -> _Sym | None:
        """The symbol gdb's minimal-symbol lookup picks for `addr` (gdb/minsyms.c
        lookup_minimal_symbol_by_pc_section): in the same section, the last one at or
        before it, preferring one with a size that covers it, else the nearest label."""
        self._load_symbols()
        assert self._syms is not None
        section = self._section_of(addr)
        if section is None:
            return None
        i = bisect_right(self._sym_addrs, addr) - 1
        best_zero: _Sym | None = None
        while i >= 0:
            s = self._syms[i]
            i -= 1
            if s.section != section or (text_only and not s.text):
                continue
            if s.size == 0:
                if best_zero is None:
                    best_zero = s
                continue
            if addr < s.addr + s.size:
                return s
            return best_zero
        return best_zero

    def _text_sym_at(self, addr: int) -> tuple[_Sym, int] | None:
        """The text symbol holding `addr` and where its code ends: its size, or for a
        label without one, the next symbol or the end of its section."""
        s = self._sym_at(addr, text_only=True)
        if s is None:
            return None
        if s.size:
            return s, s.addr + s.size
        assert self._sections is not None and self._syms is not None
        end = next((hi for lo, hi, index in self._sections if index == s.section), s.addr)
        j = bisect_right(self._sym_addrs, s.addr)
        while j < len(self._syms):
            t = self._syms[j]
            if t.section == s.section and t.text:
                end = min(end, t.addr)
                break
            j += 1
        return s, max(end, addr + 1)

    def _sym_name_at(self, addr: int) -> str | None:
        s = self._sym_at(addr, text_only=True)
        return s.name if s is not None and s.addr == addr else None

    # --- DWARF: units ------------------------------------------------------------------

    def _dwarf_info(self) -> Any:
        if self._unit_lows is not None:
            return self._dwarf
        self._unit_lows = []
        elf = self._open()
        if elf is None:
            return None
        try:
            if not elf.has_dwarf_info():
                return None
            self._dwarf = elf.get_dwarf_info()
            spans = None
            if self._dwarf.debug_aranges_sec:
                try:
                    spans = self._aranges()
                except Exception as e:  # a broken index: the units' own ranges still tell
                    self._fail(e)
            if not spans:
                spans = self._unit_ranges()
            self._unit_spans = sorted(s for s in spans if self._real_code(s[0]))
            self._unit_lows = [s[0] for s in self._unit_spans]
        except Exception as e:  # odd DWARF: no line or function information
            self._fail(e)
            self._dwarf = None
            self._unit_spans, self._unit_lows = [], []
        return self._dwarf

    def _real_code(self, addr: int) -> bool:
        """False for what the linker left of discarded functions: their DWARF still
        describes them, at address 0 (gdb drops these too: read.c, has_section_at_zero)."""
        return self._section_of(addr) is not None

    def _aranges(self) -> list[tuple[int, int, int]]:
        aranges = self._dwarf.get_aranges()
        return [(e.begin_addr, e.begin_addr + e.length, e.info_offset)
                for e in aranges.entries if e.length]

    def _unit_ranges(self) -> list[tuple[int, int, int]]:
        spans = []
        for cu in self._dwarf.iter_CUs():
            try:
                top = cu.get_top_DIE()
                spans += [(lo, hi, cu.cu_offset) for lo, hi in self._die_ranges(top, cu)]
            except Exception as e:  # this unit's ranges cannot be read: leave it out
                self._fail(e)
        return spans

    def _unit_at(self, addr: int) -> _Unit | None:
        if self._dwarf_info() is None:
            return None
        assert self._unit_lows is not None
        i = bisect_right(self._unit_lows, addr) - 1
        # spans may nest or overlap a little; look back over the few that start earlier
        while i >= 0:
            lo, hi, offset = self._unit_spans[i]
            if lo <= addr < hi:
                return self._unit(offset)
            i -= 1
            if addr - lo > 0x10_0000:
                break
        return None

    def _unit(self, offset: int) -> _Unit | None:
        if offset in self._units:
            return self._units[offset]
        unit: _Unit | None = None
        try:
            cu = self._dwarf.get_CU_at(offset)
            unit = _Unit(cu_offset=offset)
            lang = cu.get_top_DIE().attributes.get("DW_AT_language")
            unit.language = lang.value if lang is not None else 0
            # lines and functions apart, so that a broken half leaves the other
            for read in (self._read_lines, self._read_functions):
                try:
                    read(cu, unit)
                except Exception as e:  # odd DWARF in this unit: keep what was read
                    self._fail(e)
        except Exception as e:  # not even the unit's header: nothing from it
            self._fail(e)
        self._units[offset] = unit
        return unit

    def _every_unit(self) -> Iterator[_Unit]:
        if self._dwarf_info() is None:
            return
        if not self._all_units:
            self._all_units = True
            try:
                for cu in self._dwarf.iter_CUs():
                    self._unit(cu.cu_offset)
            except Exception as e:  # a cut-off .debug_info: the units before it remain
                self._fail(e)
        for unit in self._units.values():
            if unit is not None:
                yield unit

    # --- DWARF: line table -------------------------------------------------------------

    def _read_lines(self, cu: Any, unit: _Unit) -> None:
        program = self._dwarf.line_program_for_CU(cu)
        if program is None:
            return
        top = cu.get_top_DIE()
        comp_dir = _text(top.attributes["DW_AT_comp_dir"].value) \
            if "DW_AT_comp_dir" in top.attributes else ""
        version = program["version"]
        dirs = [_text(d) for d in program["include_directory"]]
        for entry in program["file_entry"]:
            name = _text(entry.name)
            d = entry.dir_index
            # As gdb 13 names files: a relative name is joined to its include directory,
            # except directory 0, the compilation directory (numbered from 1 before
            # DWARF 5, from 0 since).
            if d and not posixpath.isabs(name):
                index = d if version >= 5 else d - 1
                if index < len(dirs):
                    name = posixpath.join(dirs[index], name)
            unit.files.append(name)
            unit.full.append(posixpath.normpath(posixpath.join(comp_dir, name)))
        unit.file_base = 0 if version >= 5 else 1  # numbered from 1 before DWARF 5
        rows: list[tuple[int, int, int, int, bool]] = []  # addr, order, file, line, stmt
        seq: list[tuple[int, int, int, bool]] = []
        seq_start: int | None = None
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if seq_start is None:
                seq_start = state.address
            if state.prologue_end:
                unit.prologue_ends.append(state.address)
            if state.end_sequence:
                if seq and self._real_code(seq_start):
                    for addr, file, line, stmt in seq:
                        rows.append((addr, len(rows), file, line, stmt))
                    # the end of a sequence: no line from here on (line 0)
                    rows.append((state.address, len(rows), -1, 0, True))
                seq, seq_start = [], None
                continue
            file = state.file - unit.file_base
            # gdb keeps no row for line 0 (read.c lnp_state_machine::record_line)
            if state.line != 0 and 0 <= file < len(unit.files):
                seq.append((state.address, file, state.line, bool(state.is_stmt)))
        # by address; at one address the end of a sequence comes first, as gdb sorts it
        rows.sort(key=lambda r: (r[0], r[3] != 0, r[1]))
        for addr, _, file, line, stmt in rows:
            unit.line_addrs.append(addr)
            unit.line_rows.append((file, line, stmt))
        unit.prologue_ends.sort()

    # --- DWARF: functions --------------------------------------------------------------

    def _read_functions(self, cu: Any, unit: _Unit) -> None:
        top = cu.get_top_DIE()
        names: dict[int, tuple[str | None, str | None, int | None, str]] = {}
        concrete: list[tuple[Any, int | None]] = []
        # One walk over the unit: every DIE's name, linkage name, parent and tag (the
        # scope path of a name comes from its declaration's parents), and the functions
        # with code.
        stack: list[tuple[Any, int | None]] = [(top, None)]
        while stack:
            die, parent = stack.pop()
            attrs = die.attributes
            # an empty name is no name (what is left of a broken string table)
            name = _text(attrs["DW_AT_name"].value) if "DW_AT_name" in attrs else None
            raw = (_text(attrs["DW_AT_linkage_name"].value)
                   if "DW_AT_linkage_name" in attrs else None)
            name, raw = name or None, raw or None
            names[die.offset] = (name, raw, parent, die.tag)
            if die.tag == "DW_TAG_subprogram" and ("DW_AT_low_pc" in attrs
                                                   or "DW_AT_ranges" in attrs):
                concrete.append((die, parent))
            if die.has_children:
                for child in die.iter_children():
                    stack.append((child, die.offset))
        funcs: list[_Func] = []
        for die, _parent in concrete:
            ranges = [r for r in self._die_ranges(die, cu) if self._real_code(r[0])]
            if not ranges:
                continue
            name, raw = self._qualified(die, names)
            if name is None:
                continue
            inlines = self._inlines(die, cu)
            entry = ranges[0][0]
            if "DW_AT_low_pc" in die.attributes:
                entry = die.attributes["DW_AT_low_pc"].value
            funcs += [_Func(lo, hi, entry, name, raw, inlines, die.offset) for lo, hi in ranges]
        unit.funcs = sorted(funcs, key=lambda f: f.low)
        unit.func_lows = [f.low for f in unit.funcs]

    def _qualified(self, die: Any, names: dict[int, tuple[str | None, str | None, int | None,
                                                          str]]) -> tuple[str | None, str | None]:
        """gdb's name for a function: its scopes' names and its own, joined by `::`,
        taken from the declaration the definition points at (DW_AT_specification, or
        DW_AT_abstract_origin for an out-of-line copy of an inlined function)."""
        offset = die.offset
        raw: str | None = None
        for _ in range(8):  # specification chains are one or two long
            name, link, parent, _tag = names.get(offset, (None, None, None, ""))
            raw = raw or link
            attrs = die.attributes
            ref = attrs.get("DW_AT_specification") or attrs.get("DW_AT_abstract_origin")
            if name is not None or ref is None:
                break
            die = die.get_DIE_from_attribute(ref.name)
            offset = die.offset
            if offset not in names:  # in another unit: its own name and nothing more
                n = die.attributes.get("DW_AT_name")
                link = die.attributes.get("DW_AT_linkage_name")
                return ((_text(n.value) or None) if n else None,
                        raw or ((_text(link.value) or None) if link else None))
        if name is None:
            return None, raw
        parts = [name]
        seen = 0
        while parent is not None and seen < 64:
            pname, _, grand, tag = names.get(parent, (None, None, None, ""))
            if tag not in _SCOPE_TAGS or pname is None:
                break
            parts.append(pname)
            parent = grand
            seen += 1
        return "::".join(reversed(parts)), raw

    def _inlines(self, func: Any, cu: Any) -> list[_Inline]:
        """The inlined calls directly inside `func` (lexical blocks looked through)."""
        out: list[_Inline] = []
        stack = [c for c in func.iter_children()] if func.has_children else []
        while stack:
            die = stack.pop()
            if die.tag == "DW_TAG_inlined_subroutine":
                a = die.attributes
                if "DW_AT_call_line" in a and "DW_AT_call_file" in a:
                    ranges = self._die_ranges(die, cu)
                    if ranges:
                        out.append(_Inline(ranges, a["DW_AT_call_file"].value,
                                           a["DW_AT_call_line"].value))
            elif die.tag == "DW_TAG_lexical_block" and die.has_children:
                stack.extend(die.iter_children())
        return out

    def _die_ranges(self, die: Any, cu: Any) -> list[tuple[int, int]]:
        a = die.attributes
        if "DW_AT_low_pc" in a and "DW_AT_high_pc" in a:
            lo = a["DW_AT_low_pc"].value
            hi_attr = a["DW_AT_high_pc"]
            # DWARF 4: a constant high_pc is a length (section 2.17.2)
            hi = hi_attr.value if hi_attr.form == "DW_FORM_addr" else lo + hi_attr.value
            return [(lo, hi)] if hi > lo else []
        if "DW_AT_ranges" not in a:
            return []
        lists = self._dwarf.range_lists()
        if lists is None:
            return []
        top = cu.get_top_DIE()
        base = top.attributes["DW_AT_low_pc"].value if "DW_AT_low_pc" in top.attributes else 0
        out = []
        for r in lists.get_range_list_at_offset(a["DW_AT_ranges"].value, cu=cu):
            if hasattr(r, "base_address"):
                base = r.base_address
            elif hasattr(r, "begin_offset"):
                lo, hi = r.begin_offset, r.end_offset
                if not getattr(r, "is_absolute", False):
                    lo, hi = lo + base, hi + base
                if hi > lo:
                    out.append((lo, hi))
        return out

    def _dwarf_func(self, addr: int) -> tuple[_Func, _Unit] | None:
        unit = self._unit_at(addr)
        if unit is None:
            return None
        i = bisect_right(unit.func_lows, addr) - 1
        # a function's ranges may enclose another's (rare); the innermost start wins
        while i >= 0:
            f = unit.funcs[i]
            if f.low <= addr < f.high:
                return f, unit
            i -= 1
            if addr - f.low > 0x10_0000:
                break
        return None

    def _line_in_function(self, addr: int) -> tuple[str, int] | None:
        hit = self._dwarf_func(addr)
        if hit is not None:
            f, unit = hit
            for inline in f.inlines:
                if any(lo <= addr < hi for lo, hi in inline.ranges):
                    index = inline.call_file - unit.file_base
                    if 0 <= index < len(unit.files):
                        return unit.files[index], inline.call_line
        return self.line_at(addr)


    def section_name(self, addr: int) -> str | None:
        """The name of the allocated section holding `addr` (for `info symbol`)."""
        index = self._section_of(addr)
        if index is None or self._elf is None:
            return None
        try:
            return self._elf.get_section(index).name
        except Exception:  # a broken section header table
            return None

    def pointer_symbol(self, addr: int, *, raw: bool = False) -> tuple[str, int] | None:
        """The symbol gdb names after a pointer's value (`<TRAP_STACK+3968>`): as
        symbol_at, but a data symbol of size 0 names nothing (printcmd.c
        build_address_symbolic drops those)."""
        sym = self._sym_at(addr, text_only=False)
        if sym is None or (sym.size == 0 and not sym.text):
            return None
        return (sym.name if raw else demangle(sym.name, verbose=True)), addr - sym.addr

    # --- the debugger's questions: lines, prologues, frames, variables ------------------

    def language_at(self, addr: int) -> str:
        """gdb's current language at `addr`: "rust" in a Rust unit's code, else "c" (gdb's
        `language auto` outside debug info)."""
        hit = self._dwarf_func(addr)
        if hit is not None and hit[1].language == 0x1C:
            return "rust"
        return "c"

    def line_span(self, addr: int) -> LineSpan | None:
        """The line-table row block holding `addr`, as gdb's find_pc_line returns it: the
        row's address (`start`), where the next row begins (`end`), file and line."""
        unit = self._unit_at(addr)
        if unit is None:
            return None
        i = bisect_right(unit.line_addrs, addr) - 1
        if i < 0:
            return None
        row = _row_at(unit, addr)
        if row is None:
            return None
        start = unit.line_addrs[i]
        # a row that is not a statement continues the statement rows of its line before
        # it: gdb's pc for the line is theirs (a frame there shows its address)
        k = i
        while (k > 0 and not unit.line_rows[k][2]
               and unit.line_rows[k - 1][:2] == unit.line_rows[k][:2]):
            k -= 1
        if unit.line_rows[k][2] and unit.line_rows[k][:2] == unit.line_rows[i][:2]:
            start = unit.line_addrs[k]
        # the row gdb picks may be an earlier one at the same address
        j = bisect_right(unit.line_addrs, addr)
        end = unit.line_addrs[j] if j < len(unit.line_addrs) else start + 1
        file, line, _ = row
        return LineSpan(start, end, unit.files[file], line, unit.full[file])

    def line_is_stmt_start(self, addr: int) -> bool:
        """True when a statement row of the line table starts exactly at `addr`."""
        unit = self._unit_at(addr)
        if unit is None:
            return False
        i = bisect_right(unit.line_addrs, addr) - 1
        while i >= 0 and unit.line_addrs[i] == addr:
            if unit.line_rows[i][2] and unit.line_rows[i][1]:
                return True
            i -= 1
        return False

    def post_prologue(self, addr: int) -> int | None:
        """Where gdb 13 puts `break FUNC` for a function starting at `addr`, when the line
        table can tell: the first prologue_end row in the function (symtab.c
        skip_prologue_using_linetable), else the end of the function's first line, past
        rows of inlined calls on later lines (skip_prologue_using_sal).  None when the
        function has no line information (the caller scans the code instead)."""
        hit = self._dwarf_func(addr)
        if hit is None:
            return None
        f, unit = hit
        lo, hi = f.low, f.high
        k = bisect_right(unit.prologue_ends, lo - 1)
        if k < len(unit.prologue_ends) and unit.prologue_ends[k] < hi:
            return unit.prologue_ends[k]
        first = self.line_span(lo)
        if first is None:
            return None
        end = first.end
        while end < hi:
            sal = self.line_span(end)
            if sal is None or sal.line == 0:
                break
            inlined = any(any(a <= end < b for a, b in il.ranges) for il in f.inlines)
            if sal.line >= first.line and sal.end <= hi and inlined:
                end = sal.end
                continue
            break
        if end >= hi:
            return None
        return end

    def inline_call(self, addr: int) -> tuple[str, int, int, int] | None:
        """When `addr` is in code inlined into its function: (file, line) of the call, as
        gdb shows the caller's line, and the inlined range [lo, hi) holding `addr`."""
        hit = self._dwarf_func(addr)
        if hit is None:
            return None
        f, unit = hit
        for inline in f.inlines:
            for lo, hi in inline.ranges:
                if lo <= addr < hi:
                    index = inline.call_file - unit.file_base
                    if 0 <= index < len(unit.files):
                        return unit.files[index], inline.call_line, lo, hi
        return None

    def symbol_name(self, addr: int) -> str | None:
        """The name gdb's symbol lookup gives code at `addr` when it does not demangle
        (`x/i`, `info line`): a DWARF function's linkage name, or its DWARF name when it
        has none (`#[no_mangle]`), else the ELF symbol's."""
        hit = self._dwarf_func(addr)
        if hit is not None:
            return hit[0].raw or hit[0].name
        sym = self._text_sym_at(addr)
        return sym[0].name if sym is not None else None

    def file_entries(self, file: str) -> int:
        """How many line-table file entries name `file` (DWARF 5 tables often list the
        primary file twice, as entries 0 and 1; gdb makes a symtab of each)."""
        n = 0
        for unit in self._every_unit():
            n += sum(1 for shown, full in zip(unit.files, unit.full, strict=True)
                     if _same_file(file, shown, full))
        return n

    def inline_chain(self, pc: int) -> list[InlineCall]:
        """The inlined calls whose code holds `pc`, innermost first (gdb's inline frames),
        each with its name, entry, call site, ranges and arguments."""
        hit = self._dwarf_func(pc)
        if hit is None or hit[0].die < 0:
            return []
        f, unit = hit
        out: list[InlineCall] = []
        try:
            die = self._dwarf.get_DIE_from_refaddr(f.die)
            cu = die.cu
            parent = die
            while True:
                for child in parent.iter_children() if parent.has_children else ():
                    if child.tag not in ("DW_TAG_inlined_subroutine", "DW_TAG_lexical_block"):
                        continue
                    ranges = self._die_ranges(child, cu)
                    if not any(lo <= pc < hi for lo, hi in ranges):
                        continue
                    if child.tag == "DW_TAG_inlined_subroutine":
                        out.append(self._inline_call(child, cu, pc, unit, ranges))
                    parent = child
                    break
                else:
                    break
        except Exception as e:  # odd DWARF: no inline frames
            self._fail(e)
            return []
        return list(reversed(out))

    def _inline_call(self, die: Any, cu: Any, pc: int, unit: _Unit,
                     ranges: list[tuple[int, int]]) -> InlineCall:
        a = die.attributes
        origin = die.get_DIE_from_attribute("DW_AT_abstract_origin")
        named = origin
        if "DW_AT_specification" in origin.attributes:
            named = origin.get_DIE_from_attribute("DW_AT_specification")
        n = named.attributes.get("DW_AT_name") or origin.attributes.get("DW_AT_name")
        name = self._type_name(named, _text(n.value)) if n is not None else "??"
        index = a["DW_AT_call_file"].value - unit.file_base if "DW_AT_call_file" in a else -1
        file, full = (unit.files[index], unit.full[index]) \
            if 0 <= index < len(unit.files) else ("??", "")
        line = a["DW_AT_call_line"].value if "DW_AT_call_line" in a else 0
        entry = a["DW_AT_entry_pc"].value if "DW_AT_entry_pc" in a else ranges[0][0]
        args = []
        for child in die.iter_children() if die.has_children else ():
            if child.tag == "DW_TAG_formal_parameter":
                v = self._variable(child, cu, pc)
                if v is not None:
                    args.append(v)
        return InlineCall(name, entry, file, full, line, ranges, args)

    def function_entry(self, addr: int) -> int | None:
        """The entry address of the DWARF function holding `addr` (None without DWARF)."""
        hit = self._dwarf_func(addr)
        return hit[0].entry if hit is not None else None

    # --- call frame information (.debug_frame, else .eh_frame) ---------------------------

    def frame_rule(self, pc: int) -> FrameRule | None:
        """How to find the caller's frame from `pc`: the CFA rule and where registers were
        saved, from the FDE covering `pc` (None when no FDE does)."""
        if self._fdes is None:
            self._load_fdes()
        assert self._fdes is not None
        i = bisect_right(self._fde_lows, pc) - 1
        if i < 0:
            return None
        lo, hi, fde = self._fdes[i]
        if not lo <= pc < hi:
            return None
        try:
            table = fde.get_decoded().table
        except Exception as e:  # a broken FDE: as if there were none
            self._fail(e)
            return None
        row = None
        for r in table:
            if r["pc"] <= pc:
                row = r
            else:
                break
        if row is None or row["cfa"].reg is None:
            return None
        saved: dict[int, int | None] = {}
        for reg, rule in row.items():
            if not isinstance(reg, int):
                continue
            if rule.type == "OFFSET":
                saved[reg] = rule.arg
            elif rule.type == "UNDEFINED":
                saved[reg] = None
        return FrameRule(row["cfa"].reg, row["cfa"].offset, saved)

    def _load_fdes(self) -> None:
        self._fdes = []
        self._fde_lows = []
        dwarf = self._dwarf_info() if self._open() is not None else None
        if dwarf is None:
            return
        try:
            from elftools.dwarf.callframe import FDE
            if dwarf.has_CFI():
                entries = dwarf.CFI_entries()
            elif dwarf.has_EH_CFI():
                entries = dwarf.EH_CFI_entries()
            else:
                entries = []
            fdes = []
            for e in entries:
                if isinstance(e, FDE):
                    lo = e.header["initial_location"]
                    fdes.append((lo, lo + e.header["address_range"], e))
            fdes.sort(key=lambda t: t[0])
            self._fdes = fdes
            self._fde_lows = [t[0] for t in fdes]
        except Exception as e:  # no unwinding information: frames stop at the first
            self._fail(e)

    # --- variables and types -------------------------------------------------------------

    def function_scope(self, pc: int) -> Scope | None:
        """The DWARF function holding `pc` with its arguments, the locals whose lexical
        block holds `pc` (innermost first, as gdb's `info locals` lists them), its frame
        base expression and return type."""
        hit = self._dwarf_func(pc)
        if hit is None or hit[0].die < 0:
            return None
        f, unit = hit
        try:
            die = self._dwarf.get_DIE_from_refaddr(f.die)
            cu = die.cu
            frame_base = None
            fb = die.attributes.get("DW_AT_frame_base")
            if fb is not None and isinstance(fb.value, list):
                frame_base = bytes(fb.value)
            ret = self._type_of(die) if "DW_AT_type" in die.attributes else None
            args: list[Variable] = []
            blocks: list[list[Variable]] = []

            def walk(parent: Any, depth: int) -> None:
                mine: list[Variable] = []
                for child in parent.iter_children():
                    tag = child.tag
                    if tag == "DW_TAG_formal_parameter" and depth == 0:
                        v = self._variable(child, cu, pc)
                        if v is not None:
                            args.append(v)
                    elif tag == "DW_TAG_variable":
                        v = self._variable(child, cu, pc)
                        if v is not None:
                            mine.append(v)
                    elif tag == "DW_TAG_lexical_block" and child.has_children:
                        if any(lo <= pc < hi for lo, hi in self._die_ranges(child, cu)):
                            walk(child, depth + 1)
                blocks.append(mine)

            if die.has_children:
                walk(die, 0)
            locals_ = [v for block in blocks for v in block]
            proto = die.attributes.get("DW_AT_prototyped")
            return Scope(f.name, f.entry, frame_base, args, locals_, ret,
                         bool(proto is not None and proto.value))
        except Exception as e:  # odd DWARF: no variables
            self._fail(e)
            return None

    def static(self, name: str, pc: int | None = None) -> Variable | None:
        """A static (a variable with a fixed address) by name: `TICKS` or `p0::TICKS`;
        without a scope, one in the unit of `pc` is preferred, as gdb looks up."""
        if self._statics is None:
            self._statics = {}
            for unit in list(self._every_unit()):
                try:
                    cu = self._dwarf.get_CU_at(unit.cu_offset)
                    self._collect_statics(cu.get_top_DIE(), cu, [], unit.cu_offset)
                except Exception as e:  # a unit that cannot be walked has no statics
                    self._fail(e)
        found = self._statics.get(name)
        if not found:
            return None
        if pc is not None:
            unit = self._unit_at(pc)
            for cu_offset, v in found:
                if unit is not None and cu_offset == unit.cu_offset:
                    return v
        return found[0][1]

    def named_type(self, tag: str, name: str, pc: int | None = None) -> Type | None:
        """A type by name, as an expression's cast or `sizeof` or `ptype` names it: tag
        "struct", "union" or "enum" with a C tag's name, or "" for a typedef, a base type
        or a Rust type's path (`hello::Uart`), or "enumerator" for the C enum type that
        has an enumerator of that name; one in the unit of `pc` is preferred, as gdb
        looks up."""
        if self._named is None:
            self._named = {}
            for unit in list(self._every_unit()):
                try:
                    cu = self._dwarf.get_CU_at(unit.cu_offset)
                    self._collect_types(cu.get_top_DIE(), unit.cu_offset, [])
                except Exception as e:  # a unit that cannot be walked has no types
                    self._fail(e)
        found = self._named.get((tag, name))
        if not found:
            return None
        unit = self._unit_at(pc) if pc is not None else None
        offset = next((o for cu, o in found if unit is not None and cu == unit.cu_offset),
                      found[0][1])
        try:
            return self._type(self._dwarf.get_DIE_from_refaddr(offset))
        except Exception as e:  # a dangling reference: no such type
            self._fail(e)
            return None

    def _collect_types(self, die: Any, cu_offset: int, scope: list[str]) -> None:
        """Index the types `die` holds for named_type: C's by tag and name; those in a
        namespace (Rust's) by their path, `hello::Uart`, with tag ""."""
        assert self._named is not None
        for child in die.iter_children():
            n = child.attributes.get("DW_AT_name")
            if child.tag == "DW_TAG_namespace":
                if n is not None and child.has_children:
                    self._collect_types(child, cu_offset, [*scope, _text(n.value)])
                continue
            kind = _TYPE_TAGS.get(child.tag)
            if kind == "enum" and child.has_children and not scope:
                # its enumerators are names of constants: `p GREEN`
                for e in child.iter_children():
                    en = e.attributes.get("DW_AT_name")
                    if e.tag == "DW_TAG_enumerator" and en is not None:
                        self._named.setdefault(("enumerator", _text(en.value)), []).append(
                            (cu_offset, child.offset))
            if kind is None or n is None or "DW_AT_declaration" in child.attributes:
                continue
            key = (kind, _text(n.value)) if not scope else \
                ("", "::".join([*scope, _text(n.value)]))
            self._named.setdefault(key, []).append((cu_offset, child.offset))

    def _collect_statics(self, die: Any, cu: Any, scope: list[str], cu_offset: int) -> None:
        assert self._statics is not None
        for child in die.iter_children():
            tag = child.tag
            if tag == "DW_TAG_variable" and "DW_AT_location" in child.attributes:
                loc = child.attributes["DW_AT_location"].value
                name = child.attributes.get("DW_AT_name")
                if name is None or not isinstance(loc, list) or not loc or loc[0] != 0x03:
                    continue
                short = _text(name.value)
                typ = self._type_of(child)
                v = Variable(short, typ, bytes(loc), False)
                full = "::".join([*scope, short])
                for key in dict.fromkeys((short, full)):
                    self._statics.setdefault(key, []).append((cu_offset, v))
            elif tag in _SCOPE_TAGS and child.has_children:
                n = child.attributes.get("DW_AT_name")
                if n is not None:
                    self._collect_statics(child, cu, [*scope, _text(n.value)], cu_offset)

    def _variable(self, die: Any, cu: Any, pc: int) -> Variable | None:
        attrs = die.attributes
        name_attr = attrs.get("DW_AT_name")
        typed = die
        if "DW_AT_abstract_origin" in attrs:  # an inlined copy: name and type are there
            origin = die.get_DIE_from_attribute("DW_AT_abstract_origin")
            name_attr = name_attr or origin.attributes.get("DW_AT_name")
            if "DW_AT_type" not in attrs:
                typed = origin
        if name_attr is None:
            return None
        loc = attrs.get("DW_AT_location")
        expr: bytes | None = None
        if loc is not None:
            if isinstance(loc.value, list):
                expr = bytes(loc.value)
            else:
                expr = self._location_list(loc, cu, pc)
        typ = self._type_of(typed)
        return Variable(_text(name_attr.value), typ, expr,
                        die.tag == "DW_TAG_formal_parameter")

    def _location_list(self, attr: Any, cu: Any, pc: int) -> bytes | None:
        from elftools.dwarf.locationlists import LocationEntry, LocationParser
        lists = self._dwarf.location_lists()
        if lists is None:
            return None
        parser = LocationParser(lists)
        top = cu.get_top_DIE()
        base = top.attributes["DW_AT_low_pc"].value if "DW_AT_low_pc" in top.attributes else 0
        entries = parser.parse_from_attribute(attr, cu["version"], die=None) \
            if hasattr(parser, "parse_from_attribute") else []
        for e in entries if isinstance(entries, list) else []:
            if hasattr(e, "base_address"):
                base = e.base_address
            elif isinstance(e, LocationEntry):
                lo, hi = e.begin_offset, e.end_offset
                if not getattr(e, "is_absolute", False):
                    lo, hi = lo + base, hi + base
                if lo <= pc < hi:
                    return bytes(e.loc_expr)
        return None

    def _type_of(self, die: Any) -> Type:
        if "DW_AT_type" not in die.attributes:
            return VOID
        try:
            return self._type(die.get_DIE_from_attribute("DW_AT_type"))
        except Exception as e:  # a dangling reference: no type
            self._fail(e)
            return VOID

    def _type(self, die: Any) -> Type:
        cached = self._types.get(die.offset)
        if cached is not None:
            return cached
        a = die.attributes
        tag = die.tag
        name = _text(a["DW_AT_name"].value) if "DW_AT_name" in a else ""
        size = a["DW_AT_byte_size"].value if "DW_AT_byte_size" in a else 0
        t = Type("void", name, size)
        self._types[die.offset] = t  # before the members: types may refer to themselves
        if tag == "DW_TAG_base_type":
            enc = a["DW_AT_encoding"].value if "DW_AT_encoding" in a else 0
            t.kind = "unit" if size == 0 else "base"
            t.encoding = {0x02: "bool", 0x04: "float", 0x05: "signed", 0x06: "signed char",
                          0x07: "unsigned", 0x08: "unsigned char", 0x10: "char"}.get(enc,
                                                                                  "unsigned")
        elif tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type"):
            t.kind = "pointer"
            t.size = size or 4
            t.target = self._type_of(die)
            # gdb ignores a pointer's DW_AT_name (read.c read_tag_pointer_type): Rust's
            # `&mut T` is shown as `*mut T`
            t.name = ""
        elif tag in ("DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type"):
            # the type itself, for every check of its kind; a copy carries the typedef's
            # name and the qualifiers, which C names show (`handler_t`, `const char *`)
            inner = self._type_of(die)
            if tag == "DW_TAG_typedef":
                t = replace(inner, alias=name, quals="", under=inner)
            else:
                word = "const" if tag == "DW_TAG_const_type" else "volatile"
                quals = " ".join(q for q in ("const", "volatile")
                                 if q == word or q in inner.quals.split())
                t = replace(inner, quals=quals)
            t.plain = inner.plain or inner
            self._types[die.offset] = t
            return t
        elif tag == "DW_TAG_subroutine_type":
            t.kind = "func"
            self._prototype(die, t)
        elif tag == "DW_TAG_array_type":
            t.kind = "array"
            elem = self._type_of(die)
            counts = []
            for child in die.iter_children():
                if child.tag == "DW_TAG_subrange_type":
                    ca = child.attributes
                    count = 0
                    if "DW_AT_count" in ca:
                        count = ca["DW_AT_count"].value
                    elif "DW_AT_upper_bound" in ca:
                        count = ca["DW_AT_upper_bound"].value + 1
                    counts.append(count if isinstance(count, int) else 0)
            counts = counts or [0]
            # C's `T a[2][3]` is one DIE with two subranges: an array of arrays
            for count in reversed(counts[1:]):
                elem = Type("array", "", count * elem.size, target=elem, count=count)
            t.target = elem
            t.count = counts[0]
            t.size = size or counts[0] * elem.size
        elif tag == "DW_TAG_enumeration_type":
            t.kind = "enum"
            t.tag = "enum"
            t.name = self._type_name(die, name)
            base = self._type_of(die) if "DW_AT_type" in a else None
            for child in die.iter_children():
                if child.tag == "DW_TAG_enumerator":
                    t.enumerators.append((_text(child.attributes["DW_AT_name"].value),
                                          child.attributes["DW_AT_const_value"].value))
            # without an underlying type, unsigned unless an enumerator is negative (gdb's
            # update_enumeration_type_from_children)
            t.encoding = base.encoding if base is not None else \
                "signed" if any(v < 0 for _, v in t.enumerators) else "unsigned"
        elif tag in ("DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_class_type"):
            t.kind = "struct"
            t.tag = {"DW_TAG_union_type": "union", "DW_TAG_class_type": "class"}.get(tag,
                                                                                 "struct")
            t.stub = "DW_AT_declaration" in a  # only declared here: `struct opaque;`
            t.name = self._type_name(die, name)
            for child in die.iter_children() if die.has_children else ():
                if child.tag == "DW_TAG_member":
                    t.fields.append(self._member(child))
                elif child.tag == "DW_TAG_variant_part":
                    t.kind = "variant"
                    self._variant_part(child, t)
        return t

    def _member(self, die: Any) -> Field:
        a = die.attributes
        offset = a["DW_AT_data_member_location"].value \
            if "DW_AT_data_member_location" in a else 0
        if not isinstance(offset, int):
            offset = 0
        name = _text(a["DW_AT_name"].value) if "DW_AT_name" in a else ""
        typ = self._type_of(die)
        bits = a["DW_AT_bit_size"].value if "DW_AT_bit_size" in a else 0
        if not bits:
            return Field(name, offset, typ)
        # a bitfield: DWARF 5's bit offset from the structure's start, or DWARF 2-4's
        # DW_AT_bit_offset, counted from the most significant bit of a storage unit of
        # DW_AT_byte_size bytes at the member location (little-endian here)
        if "DW_AT_data_bit_offset" in a:
            start = a["DW_AT_data_bit_offset"].value
        else:
            unit = a["DW_AT_byte_size"].value if "DW_AT_byte_size" in a else typ.size
            msb = a["DW_AT_bit_offset"].value if "DW_AT_bit_offset" in a else 0
            start = offset * 8 + unit * 8 - msb - bits
        return Field(name, start // 8, typ, bits, start % 8)

    def _prototype(self, die: Any, t: Type) -> None:
        """A function type's return type (`target`) and parameters (`params`)."""
        t.target = self._type_of(die)
        t.prototyped = bool(die.attributes.get("DW_AT_prototyped", None)
                            and die.attributes["DW_AT_prototyped"].value)
        for child in die.iter_children() if die.has_children else ():
            if child.tag == "DW_TAG_formal_parameter":
                t.params.append(self._type_of(child))
            elif child.tag == "DW_TAG_unspecified_parameters":
                t.varargs = True

    def _variant_part(self, die: Any, t: Type) -> None:
        discr_ref = die.attributes.get("DW_AT_discr")
        discr_off = die.cu.cu_offset + discr_ref.value if discr_ref is not None else None
        for child in die.iter_children():
            if child.tag == "DW_TAG_member":
                m = self._member(child)
                if discr_off is None or child.offset == discr_off:
                    t.discr = m
            elif child.tag == "DW_TAG_variant":
                value = child.attributes.get("DW_AT_discr_value")
                for m in child.iter_children():
                    if m.tag == "DW_TAG_member":
                        t.variants.append((value.value if value is not None else None,
                                           self._member(m)))

    def _type_name(self, die: Any, name: str) -> str:
        """A type's name as gdb shows it: qualified by the namespaces and types around
        its DIE (`trap::TrapFrame`, `core::result::Result<(), core::fmt::Error>::Ok`)."""
        parts = [name]
        parent = die.get_parent()
        while parent is not None and parent.tag in _SCOPE_TAGS:
            n = parent.attributes.get("DW_AT_name")
            if n is None:
                break
            parts.append(_text(n.value))
            parent = parent.get_parent()
        return "::".join(reversed(parts))


@dataclass(frozen=True)
class LineSpan:
    """One line-table row block: [start, end), its file (as gdb names it) and line."""

    start: int
    end: int
    file: str
    line: int
    full: str  # the file's absolute path, for reading the source


@dataclass(frozen=True)
class InlineCall:
    """Code of `name` inlined at `call_file`:`call_line` (its caller's line)."""

    name: str
    entry: int
    call_file: str
    call_full: str
    call_line: int
    ranges: list[tuple[int, int]]
    args: list[Variable]


@dataclass(frozen=True)
class FrameRule:
    """A CFI row: CFA = register `cfa_reg` + `cfa_offset`; `saved` maps a register to the
    offset from the CFA where its caller's value is, or None when it is undefined."""

    cfa_reg: int
    cfa_offset: int
    saved: dict[int, int | None]


@dataclass(eq=False)
class Type:
    """A DWARF type as the debugger prints it.  kind: "base" (encoding "signed",
    "unsigned", "bool", "char", "float", ...), "unit", "void", "pointer", "func",
    "array" (`count` of `target`), "enum" (C-like, `enumerators`), "struct" (`fields`),
    "variant" (a Rust enum: `discr` and `variants` as (discriminant or None, field))."""

    kind: str
    name: str
    size: int
    encoding: str = ""
    target: Type | None = None
    count: int = 0
    fields: list[Field] = field(default_factory=list)
    enumerators: list[tuple[str, int]] = field(default_factory=list)
    discr: Field | None = None
    variants: list[tuple[int | None, Field]] = field(default_factory=list)
    # What C names and declarations show: "struct", "union" or "enum" before the name;
    # the typedef name this type was reached through; "const"/"volatile"; the type with
    # neither (None when this is it); a function type's parameters (`target` returns).
    tag: str = ""
    alias: str = ""
    quals: str = ""
    plain: Type | None = None
    under: Type | None = None  # a typedef's type (one level)
    params: list[Type] = field(default_factory=list)
    prototyped: bool = False
    varargs: bool = False
    stub: bool = False  # a declared struct without its definition (gdb's incomplete type)


@dataclass(frozen=True)
class Field:
    """A member at byte `offset`; a bitfield is `bits` wide from bit `bit` of there."""

    name: str
    offset: int
    type: Type
    bits: int = 0
    bit: int = 0


VOID = Type("void", "void", 0)


@dataclass(frozen=True)
class Variable:
    """An argument, local or static: its location expression (None: optimised out)."""

    name: str
    type: Type
    location: bytes | None
    is_arg: bool


@dataclass(frozen=True)
class Scope:
    function: str
    entry: int
    frame_base: bytes | None
    args: list[Variable]
    locals: list[Variable]
    return_type: Type | None
    prototyped: bool = False  # C's DW_AT_prototyped: `int (void)`, not `int ()`


class LocationError(Exception):
    """A location expression the debugger cannot evaluate."""


def evaluate_location(expr: bytes, register: Any, frame_base: int | None = None,
                      read_word: Any = None) -> tuple[str, int]:
    """Evaluate a DWARF location expression (DWARF 5 section 2.5-2.6): ("memory", addr),
    ("register", regno) or ("value", v).  `register(n)` reads register n of the frame;
    `read_word(addr)` reads 4 bytes (DW_OP_deref)."""
    stack: list[int] = []
    i = 0
    mask = 0xFFFFFFFF

    def leb(signed: bool) -> int:
        """A LEB128 number at i (DWARF 5, 7.6), i moved past it."""
        nonlocal i
        value = shift = 0
        while True:
            b = expr[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value - (1 << shift) if signed and b & 0x40 else value

    def uleb() -> int:
        return leb(False)

    def sleb() -> int:
        return leb(True)

    while i < len(expr):
        op = expr[i]
        i += 1
        if op == 0x03:  # DW_OP_addr
            stack.append(int.from_bytes(expr[i:i + 4], "little"))
            i += 4
        elif 0x50 <= op <= 0x6F:  # DW_OP_reg0..31
            return "register", op - 0x50
        elif op == 0x90:  # DW_OP_regx
            return "register", uleb()
        elif 0x70 <= op <= 0x8F:  # DW_OP_breg0..31
            stack.append((register(op - 0x70) + sleb()) & mask)
        elif op == 0x92:  # DW_OP_bregx
            reg = uleb()
            stack.append((register(reg) + sleb()) & mask)
        elif op == 0x91:  # DW_OP_fbreg
            if frame_base is None:
                raise LocationError("no frame base")
            stack.append((frame_base + sleb()) & mask)
        elif 0x30 <= op <= 0x4F:  # DW_OP_lit0..31
            stack.append(op - 0x30)
        elif op in (0x08, 0x09):  # const1u/s
            v = expr[i]
            stack.append(v - 256 if op == 0x09 and v > 127 else v)
            i += 1
        elif op in (0x0A, 0x0B):
            stack.append(int.from_bytes(expr[i:i + 2], "little", signed=op == 0x0B))
            i += 2
        elif op in (0x0C, 0x0D):
            stack.append(int.from_bytes(expr[i:i + 4], "little", signed=op == 0x0D))
            i += 4
        elif op == 0x10:
            stack.append(uleb())
        elif op == 0x11:
            stack.append(sleb())
        elif op == 0x23:  # plus_uconst
            stack.append((stack.pop() + uleb()) & mask)
        elif op == 0x22:
            b, a = stack.pop(), stack.pop()
            stack.append((a + b) & mask)
        elif op == 0x1C:
            b, a = stack.pop(), stack.pop()
            stack.append((a - b) & mask)
        elif op == 0x06:  # deref
            if read_word is None:
                raise LocationError("cannot dereference")
            stack.append(read_word(stack.pop()))
        elif op == 0x9C:  # call_frame_cfa
            if frame_base is None:
                raise LocationError("no CFA")
            stack.append(frame_base)
        elif op == 0x9F:  # stack_value
            return "value", stack[-1]
        elif op == 0x93:  # piece: the first piece is what this debugger shows
            break
        else:
            raise LocationError(f"DW_OP {op:#x}")
    if not stack:
        raise LocationError("empty location")
    return "memory", stack[-1]

def _row_at(unit: _Unit, addr: int) -> tuple[int, int, bool] | None:
    """The row gdb's find_pc_sect_line picks: the last at or before `addr`; when that is
    not a statement, a statement row at the same address just before it.  Line 0 (the end
    of a sequence) is no line."""
    i = bisect_right(unit.line_addrs, addr) - 1
    if i < 0:
        return None
    j = i
    while (j > 0 and not unit.line_rows[j][2] and unit.line_addrs[j - 1] == unit.line_addrs[j]
           and unit.line_rows[j - 1][1] != 0):
        j -= 1
    row = unit.line_rows[j] if unit.line_rows[j][2] else unit.line_rows[i]
    return None if row[1] == 0 else row


def _same_file(wanted: str, shown: str, full: str) -> bool:
    if wanted in (shown, full):
        return True
    # gdb matches a trailing part of the path, at a directory boundary
    return any(p.endswith("/" + wanted) for p in (shown, full))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
