"""What a guest ELF says about its code: functions, source lines and symbols, read from
the symbol table and DWARF (pyelftools) for every user (hints, -d logs, the profile, the
debugger), with names and files as gdb 13 prints them.

Nothing is read when a `DebugInfo` is made. The symbol table is read on the first
question; a compilation unit's line table and functions when an address in it is first
asked about (found through .debug_aranges), each parsed once into sorted arrays searched
with bisect.  Missing or odd DWARF never raises: the answers just know less.

DebugInfo is made of parts by concern: symbols (the ELF symbol table), lines (.debug_line),
scopes (variables and inlined calls), typeinfo (types), cfi (.debug_frame); this module
reads the units and their functions.  model holds the values answered with, expr the
location expressions.
"""

from __future__ import annotations

import io
import os
from bisect import bisect_right
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rvirt.debug.demangle import demangle
from rvirt.debug.dwarf.cfi import Cfi
from rvirt.debug.dwarf.expr import LocationError, evaluate_location
from rvirt.debug.dwarf.lines import Lines
from rvirt.debug.dwarf.model import (
    _SCOPE_TAGS,
    SHF_ALLOC,
    SHF_EXECINSTR,
    VOID,
    Field,
    FrameRule,
    Function,
    InlineCall,
    LineSpan,
    Scope,
    Type,
    Variable,
    _Func,
    _Inline,
    _Sym,
    _text,
    _Unit,
)
from rvirt.debug.dwarf.scopes import Scopes
from rvirt.debug.dwarf.symbols import Symbols
from rvirt.debug.dwarf.typeinfo import Types

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

__all__ = ["VOID", "DebugInfo", "Field", "FrameRule", "Function", "InlineCall", "LineSpan",
           "LocationError", "Scope", "Type", "Variable", "demangle", "evaluate_location"]


class DebugInfo(Symbols, Lines, Scopes, Types, Cfi):
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

    def language_at(self, addr: int) -> str:
        """gdb's current language at `addr`: "rust" in a Rust unit's code, else "c" (gdb's
        `language auto` outside debug info)."""
        hit = self._dwarf_func(addr)
        if hit is not None and hit[1].language == 0x1C:
            return "rust"
        return "c"

    def function_entry(self, addr: int) -> int | None:
        """The entry address of the DWARF function holding `addr` (None without DWARF)."""
        hit = self._dwarf_func(addr)
        return hit[0].entry if hit is not None else None
