"""What the ELFs loaded into a machine say about its code: one DebugInfo per image
(-bios, then -kernel), made on first use, asked in turn.  Shared by everything above the
board that names code (the debug facade, hints, logs, the profile): the board itself
knows nothing of DWARF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.debug.dwarf import DebugInfo, Function, InlineCall, LineSpan, Type, Variable


class DebugInfos:
    """The DebugInfo of each ELF image of a machine, read when first asked for (reading
    symbols and DWARF costs nothing until someone needs a name)."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = paths
        self._infos: list[DebugInfo] | None = None

    @property
    def infos(self) -> list[DebugInfo]:
        if self._infos is None:
            from rvirt.debug.dwarf import DebugInfo  # pyelftools only when needed
            self._infos = [DebugInfo(path) for path in self._paths]
        return self._infos

    def __iter__(self) -> Iterator[DebugInfo]:
        return iter(self.infos)

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, i: int) -> DebugInfo:
        return self.infos[i]

    # Each question below is asked of the images in load order; the first that answers
    # wins, as gdb searches its objfiles in order.

    def function_at(self, pc: int) -> Function | None:
        return self.function_and_info(pc)[0]

    def symbol(self, name: str) -> int | None:
        """The address of a symbol or function named `name` (raw, demangled or gdb's)."""
        for info in self.infos:
            addr = info.symbol(name)
            if addr is not None:
                return addr
        return None

    def line_at(self, pc: int) -> tuple[str, int] | None:
        """(file, line) of the code at `pc`, as gdb names them."""
        for info in self.infos:
            found = info.line_at(pc)
            if found is not None:
                return found
        return None

    def function_and_info(self, pc: int) -> tuple[Function | None, DebugInfo | None]:
        """The function holding `pc` and the image that has it."""
        for info in self.infos:
            f = info.function_at(pc)
            if f is not None:
                return f, info
        return None, None

    def info_at(self, pc: int) -> DebugInfo | None:
        """The image with a function at `pc`, else the first image (its CFI and
        language answer for code no image names)."""
        info = self.function_and_info(pc)[1]
        if info is None and self._paths:
            return self.infos[0]
        return info

    def functions(self) -> Iterator[Function]:
        for info in self.infos:
            yield from info.functions()

    def find_functions(self, name: str) -> list[tuple[Function, DebugInfo]]:
        """gdb's linespec lookup of a function name: exact, or matching whole trailing
        `::` components (`kmain` finds `hello::kmain`), or a linkage name; one answer
        per entry address."""
        found: list[tuple[Function, DebugInfo]] = []
        for info in self.infos:
            addr = info.symbol(name)
            if addr is not None:
                f = info.function_at(addr)
                if f is not None:
                    found.append((f, info))
                    continue
            for f in info.functions():
                if f.name == name or f.name.endswith("::" + name) or f.raw == name:
                    found.append((f, info))
        seen: set[int] = set()
        unique = []
        for f, info in found:
            if f.low not in seen:
                seen.add(f.low)
                unique.append((f, info))
        return unique

    def function_symbol_at(self, pc: int) -> str | None:
        """The ELF symbol naming `pc` in an image that has a function there."""
        for info in self.infos:
            hit = info.symbol_at(pc)
            if hit is not None and info.function_at(pc) is not None:
                return hit[0]
        return None

    def symbol_at(self, addr: int) -> tuple[str, int, DebugInfo] | None:
        """(symbol, offset into it, its image) for `info symbol`."""
        for info in self.infos:
            hit = info.symbol_at(addr)
            if hit is not None:
                return hit[0], hit[1], info
        return None

    def pointer_symbol(self, addr: int, *, raw: bool = False) -> tuple[str, int] | None:
        for info in self.infos:
            hit = info.pointer_symbol(addr, raw=raw)
            if hit is not None:
                return hit
        return None

    def line_span(self, pc: int) -> LineSpan | None:
        for info in self.infos:
            s = info.line_span(pc)
            if s is not None:
                return s
        return None

    def line_is_stmt_start(self, pc: int) -> bool:
        return any(info.line_is_stmt_start(pc) for info in self.infos)

    def addresses_of_line(self, file: str, line: int) -> list[int]:
        return [a for info in self.infos for a in info.addresses_of_line(file, line)]

    def first_code_from_line(self, file: str, line: int, limit: int = 200
                             ) -> tuple[int, DebugInfo] | None:
        """The first address of `line`, or of the next line below it with code (within
        `limit` lines), as gdb moves a breakpoint on a line without code; and its image."""
        for info in self.infos:
            for ln in range(line, line + limit):
                addrs = info.addresses_of_line(file, ln)
                if addrs:
                    return addrs[0], info
        return None

    def first_code_after_line(self, file: str, line: int, limit: int = 200) -> list[int]:
        """The first address of each line below `line` (within `limit`) that has code."""
        return [a for info in self.infos for ln in range(line + 1, line + limit)
                for a in info.addresses_of_line(file, ln)[:1]]

    def file_known(self, file: str) -> bool:
        """Some image has code on line 1 of `file` (how `break FILE:LINE` tells an
        unknown file from a line out of range)."""
        return any(info.addresses_of_line(file, 1) for info in self.infos)

    def file_entries(self, file: str) -> int:
        return sum(info.file_entries(file) for info in self.infos)

    def inline_chain(self, pc: int) -> list[InlineCall]:
        for info in self.infos:
            chain = info.inline_chain(pc)
            if chain:
                return chain
        return []

    def inline_starts_at(self, pc: int) -> bool:
        """An inlined call begins at `pc` in some image."""
        return any(c.entry == pc for info in self.infos for c in info.inline_chain(pc))

    def inline_call(self, pc: int) -> tuple[str, int, int, int] | None:
        for info in self.infos:
            hit = info.inline_call(pc)
            if hit is not None:
                return hit
        return None

    def static(self, name: str, pc: int | None, first: DebugInfo | None = None
               ) -> Variable | None:
        """A static variable by name, looked up in `first` (the image of the code being
        looked at), then in the others."""
        order = ([first] if first else []) + [i for i in self.infos if i is not first]
        for info in order:
            var = info.static(name, pc)
            if var is not None:
                return var
        return None

    def named_type(self, tag: str, name: str, pc: int | None) -> Type | None:
        for info in self.infos:
            t = info.named_type(tag, name, pc)
            if t is not None:
                return t
        return None

    def where(self, pc: int) -> str:
        """`p0::entry at src/main.rs:37`, `_start+0x8`, or the address: for messages."""
        for info in self.infos:
            text = info.where(pc)
            if text != f"{pc:#x}":
                return text
        return f"{pc:#x}"


_BY_MACHINE: WeakKeyDictionary[Board, DebugInfos] = WeakKeyDictionary()


def debug_infos(m: Board) -> DebugInfos:
    """The machine's DebugInfos (one per machine, whoever asks first)."""
    infos = _BY_MACHINE.get(m)
    if infos is None:
        infos = _BY_MACHINE[m] = DebugInfos([img.path for img in m.images if not img.raw])
    return infos
