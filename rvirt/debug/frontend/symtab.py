"""Looking up code by address, name and line over all the loaded images (DebugInfos),
for the debugger: gdb's symtab.c (find_function_start_sal, skip_prologue_sal) and the
symbol labels printcmd.c prints (`<name+off>`)."""

from __future__ import annotations

import re

from rvirt.debug.dwarf import DebugInfo, Function, LineSpan
from rvirt.debug.frontend.base import MASK, CommandError
from rvirt.isa.decode import decode


# One part of the Debugger (session.py): it uses the state Debugger.__init__ sets and
# the methods of the other parts, all on the one session object.
class Symtab:
    """Symbols, lines and sources of a session."""

    def function_at(self, pc: int) -> tuple[Function | None, DebugInfo | None]:
        return self.infos.function_and_info(pc)

    def info_at(self, pc: int) -> DebugInfo | None:
        return self.infos.info_at(pc)

    def line_span(self, pc: int) -> LineSpan | None:
        return self.infos.line_span(pc)

    def code_symbol(self, addr: int, raw: bool = False) -> str:
        """` <name+off>` for a code address (raw: linkage names, as `x/i` prints them
        with gdb's `asm-demangle` off), or ''."""
        f, info = self.function_at(addr)
        if f is None or info is None:
            return ""
        name = (info.symbol_name(addr) or f.raw) if raw else f.name
        off = addr - f.low
        if not raw:
            # the DWARF name is the one `print` shows; an offset from the function start
            entry = f.low
            off = addr - entry
        return f" <{name}+{off}>" if off else f" <{name}>"

    def data_symbol(self, addr: int, raw: bool = False) -> str:
        hit = self.infos.pointer_symbol(addr, raw=raw)
        if hit is None:
            return ""
        name, off = hit
        return f" <{name}+{off}>" if off else f" <{name}>"

    def symbolize(self, addr: int, code: bool) -> str:
        return self.code_symbol(addr) if code else self.data_symbol(addr)

    def label(self, addr: int) -> str:
        """`x`'s address label: `0x1004` or `0x80000852 <_RNv...+18>`."""
        sym = self.code_symbol(addr, raw=True) or self.data_symbol(addr, raw=True)
        return f"{addr:#x}{sym}"

    def find_functions(self, name: str) -> list[tuple[Function, DebugInfo]]:
        """gdb's linespec lookup of a function name: exact, or matching whole trailing
        `::` components (`kmain` finds `hello::kmain`), or a linkage name."""
        return self.infos.find_functions(name)

    def source_line(self, sal: LineSpan, line: int | None = None) -> str:
        line = sal.line if line is None else line
        text = self.read_source(sal.full)
        if text is None:
            return f"{line}\t{sal.file}: No such file or directory."
        if not 1 <= line <= len(text):
            return f"Line number {line} out of range; \"{sal.file}\" has {len(text)} lines."
        return f"{line}\t{text[line - 1]}"

    def read_source(self, path: str) -> list[str] | None:
        if path not in self._sources:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    self._sources[path] = fh.read().splitlines()
            except OSError:
                self._sources[path] = None
        return self._sources[path]

    def resolve_location(self, spec: str) -> tuple[int, str]:
        """A linespec -> (address, what `info breakpoints` says), with gdb's prologue
        skipping for functions."""
        spec = spec.strip()
        if spec.startswith("*"):
            v = self.eval(spec[1:])
            return v.as_int() & MASK, ""
        m = re.fullmatch(r"(?:(.+):)?(\d+)", spec)
        if m:
            file, line = m.group(1), int(m.group(2))
            if file is None:
                sal = self.line_span(self.frame().lookup_pc)
                if sal is None:
                    raise CommandError("No line number known for the current location.")
                file = sal.file
            # gdb moves a line without code to the next line that has some
            hit = self.infos.first_code_from_line(file, line)
            if hit is not None:
                addr, info = hit
                # a line that opens a function: past its prologue, as gdb's
                # skip_prologue_sal does for a sal at a function's start
                f = info.function_at(addr)
                if f is not None and f.low == addr:
                    return self.skip_prologue(f, info), ""
                return addr, ""
            if not self.infos.file_known(file):
                raise CommandError(f"No source file named {file}.")
            raise CommandError(f"No line {line} in file \"{file}\".")
        found = self.find_functions(spec)
        if not found:
            raise CommandError(f"Function \"{spec}\" not defined.")
        f, info = found[0]
        return self.skip_prologue(f, info), ""

    def skip_prologue(self, f: Function, info: DebugInfo) -> int:
        """gdb 13's breakpoint address for a function (symtab.c skip_prologue_sal): the
        line table's answer when it has one, else riscv-tdep.c's prologue scan."""
        post = info.post_prologue(f.low)
        if post is not None:
            return post
        if info.line_span(f.low) is not None:
            return f.low
        return self._scan_prologue(f.low, f.high)

    def _scan_prologue(self, start: int, end: int) -> int:
        """riscv_scan_prologue: step over the instructions a prologue is made of (stack
        and frame set-up, register saves, constants); the first other one ends it."""
        pc = start
        while pc < min(end, start + 256):
            lo = self.target.read_memory(pc, 2)
            if lo is None:
                return start
            w = int.from_bytes(lo, "little")
            if w & 3 == 3:
                hi = self.target.read_memory(pc + 2, 2)
                if hi is None:
                    return start
                w |= int.from_bytes(hi, "little") << 16
            found = decode(w if w & 3 == 3 else w & 0xFFFF)
            if found is None:
                break
            op, fl = found
            name = op.base or op.name
            store = name in ("sw", "sd") and fl.get("rs1") in (2, 8)
            if not (name in ("addi", "add", "auipc", "lui") or store):
                break
            pc += 4 if w & 3 == 3 else 2
        return pc

    def where_text(self, addr: int) -> str:
        """`in hello::kmain at src/main.rs:69` or `<_start+20>` (info breakpoints)."""
        f, info = self.function_at(addr)
        sal = self.line_span(addr)
        if f is not None and sal is not None:
            if info is not None and info.function_scope(addr) is None:
                return f"{sal.file}:{sal.line}"  # an assembly file: lines, no function
            return f"in {f.name} at {sal.file}:{sal.line}"
        sym = self.code_symbol(addr)
        return sym.strip()

    def inline_call(self, pc: int) -> tuple[str, int, int, int] | None:
        return self.infos.inline_call(pc)

    def is_stmt_start(self, pc: int) -> bool:
        return self.infos.line_is_stmt_start(pc)
