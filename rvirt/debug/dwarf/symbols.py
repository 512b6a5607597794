"""The ELF symbol table of an image: names by address and addresses by name, as gdb's
minimal symbols answer (`<name+off>`, `info symbol`, linkage names)."""

from __future__ import annotations

from bisect import bisect_right

from rvirt.debug.demangle import demangle
from rvirt.debug.dwarf.model import Function, _Sym


# One part of DebugInfo (dwarf/__init__.py): it uses the state DebugInfo.__init__ sets
# and the units and DIEs the other parts read, all on the one object.
class Symbols:
    """ELF symbols."""

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

    def symbol_name(self, addr: int) -> str | None:
        """The name gdb's symbol lookup gives code at `addr` when it does not demangle
        (`x/i`, `info line`): a DWARF function's linkage name, or its DWARF name when it
        has none (`#[no_mangle]`), else the ELF symbol's."""
        hit = self._dwarf_func(addr)
        if hit is not None:
            return hit[0].raw or hit[0].name
        sym = self._text_sym_at(addr)
        return sym[0].name if sym is not None else None
