"""Expressions, the value history, `x` and the auto-displays of a debugging session
(gdb's printcmd.c), and the context expressions are evaluated in."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rvirt.debug.dwarf import Scope, Type
from rvirt.debug.frontend.base import MASK, CommandError
from rvirt.debug.frontend.cprint import string_at
from rvirt.debug.frontend.disasm import gdb_insn
from rvirt.debug.frontend.values import (
    VOID_T,
    Context,
    EvalError,
    Value,
    _char,  # values' own escaping (private there): x/s and x/c escape as print does
    _escape,
    evaluate,
    int_value,
    named_type,
)

if TYPE_CHECKING:
    from rvirt.debug.frontend.session import Debugger


@dataclass
class Display:
    number: int
    fmt: str
    expr: str
    enabled: bool = True
    # the entry of the function whose arguments or locals the expression reads: gdb shows
    # such a display only in that scope (printcmd.c do_one_display, contained_in)
    scope: int | None = None


# One part of the Debugger (session.py): it uses the state Debugger.__init__ sets and
# the methods of the other parts, all on the one session object.
class PrintCmd:
    """print, x and display."""

    def eval(self, text: str) -> Value:
        return evaluate(text, _Ctx(self))

    def complete_type(self, t: Type) -> Type:
        """`t`, or the pointer to it, with a declared-only struct replaced by its
        definition from another unit."""
        ctx = _Ctx(self)
        if t.kind == "pointer" and t.target is not None:
            target = ctx.complete(t.target)
            return t if target is t.target else replace(t, target=target)
        return ctx.complete(t)

    def type_of(self, text: str) -> tuple[Type, bool]:
        """What `whatis`/`ptype` describe: the type `text` names (True) or the type of
        the expression `text` (False)."""
        ctx = _Ctx(self)
        named = named_type(text, ctx)
        if named is not None:
            return named, True
        try:
            return self.eval(text).type, False
        except EvalError:
            # a Rust type's path (`hello::Uart`, `u32`) where no value has that name
            found = ctx.type_named("", text.strip()) if ctx.lang == "rust" else None
            if found is None:
                raise
            return found, True

    def record(self, v: Value) -> int:
        self.state.history.append(v)
        return len(self.state.history)

    def do_displays(self) -> None:
        for d in self.displays:
            if d.enabled and self._display_in_scope(d):
                self.show_display(d)

    def display_scope(self, expr: str) -> int | None:
        """The function entry a new display is bound to (see Display.scope), if any."""
        ctx = _Ctx(self)
        try:
            evaluate(expr, ctx)
        except EvalError:
            pass
        return ctx.frame_entry

    def _display_in_scope(self, d: Display) -> bool:
        if d.scope is None:
            return True
        scope, _ = self.scope(self.frame())
        return scope is not None and scope.entry == d.scope

    def show_display(self, d: Display) -> None:
        if d.fmt.endswith("i") or d.fmt.endswith("s"):
            self.out(f"{d.number}: x/{d.fmt} {d.expr}\n")
            try:
                self.examine(d.fmt, d.expr)
            except (EvalError, CommandError) as e:
                self.out(f"{e}\n")
            return
        try:
            v = self.eval(d.expr)
            text = self.printer().top(v, d.fmt)
        except EvalError as e:
            text = f"<error: {e}>"
        fmt = f"/{d.fmt} " if d.fmt else ""
        self.out(f"{d.number}: {fmt}{d.expr} = {text}\n")  # printcmd.c do_one_display

    def examine(self, spec: str, expr: str) -> None:
        m = re.fullmatch(r"(\d*)([xduotacfsizbhwg]*)", spec)
        if m is None:
            raise CommandError(f"Invalid number \"{spec}\".")
        count = int(m.group(1)) if m.group(1) else 1
        letters = m.group(2)
        fmt = self.x_fmt
        size = self._x_size
        for ch in letters:
            if ch in "bhwg":
                size = {"b": 1, "h": 2, "w": 4, "g": 8}[ch]
            else:
                fmt = ch
                if ch in "ai":
                    size = 4
                elif ch == "c" and not any(c in "bhwg" for c in letters):
                    size = 1
        self.x_fmt, self._x_size = fmt, size
        if expr:
            v = self.eval(expr)
            if v.type.kind in ("base", "pointer", "enum"):
                addr = v.as_int() & MASK
            elif v.address is not None:
                addr = v.address
            else:
                addr = v.as_int() & MASK
        elif self._x_next is not None:
            addr = self._x_next
        else:
            raise CommandError("Argument required (starting display address).")
        if fmt == "i":
            self._examine_insns(addr, count)
            return
        if fmt == "s" and self.language() != "rust":
            for _ in range(count):  # the strings as `print` shows a `char *`'s
                text, nxt = string_at(self.target.read_memory, addr)
                self.out(f"{self.label(addr)}:\t{text}\n")
                addr = nxt
            self._x_next = addr
            return
        if fmt == "s":
            for _ in range(count):
                data = bytearray()
                a = addr
                while len(data) < 200:
                    b = self.target.read_memory(a, 1)
                    if b is None:
                        self.out(f"{self.label(addr)}:\t<error: Cannot access memory at "
                                 f"address {a:#x}>\n")
                        self._x_next = a
                        return
                    a += 1
                    if b == b"\0":
                        break
                    data += b
                self.out(f"{self.label(addr)}:\t\"{_escape(bytes(data), True)}\"\n")
                addr = a
            self._x_next = addr
            return
        per_line = {1: 8, 2: 8, 4: 4, 8: 2}[size]
        if fmt in "dut" and size == 1 and fmt != "t":
            per_line = 8
        if fmt == "c":
            per_line = 8
        n = 0
        while n < count:
            line = f"{self.label(addr)}:"
            for _ in range(min(per_line, count - n)):
                data = self.target.read_memory(addr, size)
                if data is None:
                    self.out(f"{line}\tCannot access memory at address {addr:#x}\n")
                    self._x_next = addr
                    return
                u = int.from_bytes(data, "little")
                line += "\t" + self._x_unit(u, size, fmt)
                addr += size
                n += 1
            self.out(line + "\n")
        self._x_next = addr

    x_fmt = "x"

    _x_size = 4

    _x_next: int | None = None

    def _x_unit(self, u: int, size: int, fmt: str) -> str:
        bits = size * 8
        if fmt == "x":
            return f"0x{u:0{size * 2}x}"
        if fmt == "d":
            return str(u - (1 << bits) if u >> (bits - 1) else u)
        if fmt == "u":
            return str(u)
        if fmt == "o":
            return f"0{u:o}" if u else "0"
        if fmt == "t":
            return f"{u:0{bits}b}"
        if fmt == "a":
            return f"{u:#x}{self.symbolize(u, True) or self.data_symbol(u)}"
        if fmt == "c":
            s = u - 256 if u > 127 else u
            return f"{s} {_char(u)}"
        return f"0x{u:0{size * 2}x}"

    def _examine_insns(self, addr: int, count: int) -> None:
        pc = self.pc()
        for _ in range(count):
            prefix = "=> " if addr == pc else "   "
            lo = self.target.read_memory(addr, 2)
            if lo is None:
                self.out(f"{prefix}{self.label(addr)}:\tCannot access memory at address "
                         f"{addr:#x}\n")
                self._x_next = addr
                return
            w = int.from_bytes(lo, "little")
            if w & 3 == 3:
                hi = self.target.read_memory(addr + 2, 2)
                if hi is None:
                    self.out(f"{prefix}{self.label(addr)}:\tCannot access memory at address "
                             f"{addr + 2:#x}\n")
                    return
                w |= int.from_bytes(hi, "little") << 16
            text, length = gdb_insn(w, addr, self.label)
            self.out(f"{prefix}{self.label(addr)}:\t{text}\n")
            addr += length
        self._x_next = addr


class _Ctx(Context):
    """Expressions see the selected frame's registers and variables, statics, functions
    and the value history."""

    def __init__(self, dbg: Debugger) -> None:
        self.dbg = dbg
        self.lang = dbg.language() if dbg.running else "c"
        self.frame_entry: int | None = None  # set when an argument or local is read

    def register(self, name: str) -> Value:
        d = self.dbg
        n = d.regnum(name)
        if n is None:
            # gdb: an unknown $name is a convenience variable, void until set
            return Value(Type("void", "void", 0), b"")
        return d.register_value(n)

    def history(self, index: int | None) -> Value:
        h = self.dbg.state.history
        if not h:
            if index is None:
                return Value(Type("void", "void", 0), b"")
            raise EvalError("History is empty.")
        if index is None:
            return h[-1]
        if index <= 0:
            i = len(h) + index
            if i < 1:
                raise EvalError(f"History has not yet reached ${i}.")
            return h[i - 1]
        if index > len(h):
            raise EvalError(f"History has not yet reached ${index}.")
        return h[index - 1]

    def symbol(self, name: str) -> Value:
        d = self.dbg
        frame = d.frame()
        scope, info = d.scope(frame)
        if scope is not None:
            for var in [*scope.locals, *scope.args]:
                if var.name == name:
                    self.frame_entry = scope.entry
                    return d.read_variable(var, frame, scope)
        var = d.infos.static(name, frame.lookup_pc, first=info)
        if var is not None:
            return d.read_variable(var, frame, None)
        if self.lang != "rust":
            enum = self.type_named("enumerator", name)
            if enum is not None:
                value = next(v for n, v in enum.enumerators if n == name)
                return int_value(value, enum)
        # as gdb's Rust lookup: the name itself, or in the scopes of the current
        # function's path (`power_off` inside trap::kmain is trap::power_off)
        here, _ = d.function_at(frame.lookup_pc)
        scopes = here.name.split("::")[:-1] if here is not None else []
        wanted = {"::".join([*scopes[:i], name]) for i in range(len(scopes) + 1)}
        found = [(f, i) for f, i in d.find_functions(name) if f.name in wanted
                 or f.raw == name]
        if d.language() == "rust":
            # gdb's Rust parser sees only symbols with debug info, not bare ELF symbols
            found = [(f, i) for f, i in found if i.function_scope(f.low) is not None]
        if found:
            f, finfo = found[0]
            scope = finfo.function_scope(f.low)
            t = Type("func", _fn_type(d, scope), 1)
            if scope is not None:  # for C's `{int (int)}`
                t.target = scope.return_type or VOID_T
                t.params = [v.type for v in scope.args]
                t.prototyped = scope.prototyped
            return Value(t, b"", f.low)
        if d.language() == "rust":
            raise EvalError(f"No symbol '{name}' in current context")
        raise EvalError(f'No symbol "{name}" in current context.')

    def memory(self, addr: int, size: int) -> bytes:
        return self.dbg.memory(addr, size)

    def type_named(self, tag: str, name: str) -> Type | None:
        d = self.dbg
        pc = d.frame().lookup_pc if d.running else None
        return d.infos.named_type(tag, name, pc)


def _fn_type(d: Debugger, scope: Scope | None) -> str:
    """A function's type as gdb's Rust printer names it: `fn (u16)`, `fn () -> u64`."""
    if scope is None:
        return "fn ()"
    from rvirt.debug.frontend.values import type_name
    args = ", ".join(type_name(v.type) for v in scope.args)
    ret = scope.return_type
    tail = f" -> {type_name(ret)}" if ret is not None and ret.kind not in ("void", "unit") \
        else ""
    return f"fn ({args}){tail}"
