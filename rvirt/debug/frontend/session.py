"""The built-in debugger's state and its commands: what gdb 13 would answer, computed from
the machine (through the DebugTarget facade only) and the ELFs' DebugInfo.

Every handler takes the argument text and writes its answer through `self.out`; a
`CommandError` carries gdb's one-line refusal.  Output follows gdb run interactively
(from_tty), so `continue` says "Continuing." and `finish` "Run till exit from ..." first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from rvirt.debug.dwarf import (
    DebugInfo,
    Function,
    LineSpan,
    Scope,
    Type,
    Variable,
    evaluate_location,
)
from rvirt.debug.frontend import frames as F
from rvirt.debug.frontend.cprint import CPrinter, string_at
from rvirt.debug.frontend.disasm import gdb_insn
from rvirt.debug.frontend.values import (
    CODE_PTR,
    DATA_PTR,
    INT,
    VOID_T,
    Context,
    EvalError,
    Printer,
    Value,
    evaluate,
    int_value,
    named_type,
)
from rvirt.debug.infos import DebugInfos
from rvirt.debug.target import CSR_REGNUM_BASE, REG_PC, REG_PRIV, DebugTarget, Stop
from rvirt.isa.decode import decode
from rvirt.isa.disasm import ABI

SLICE = 20_000  # instructions between looks for Ctrl-C while the guest runs
MASK = 0xFFFFFFFF
PRIV_NAMES = ("User/Application", "Supervisor", "Hypervisor", "Machine")
# gdb's riscv register names: x8 is `fp`; s0 and xN are accepted as aliases.
GDB_REG_NAMES = [*ABI[:8], "fp", *ABI[9:]]


class CommandError(Exception):
    """gdb's answer to a command it refuses (one line)."""


@dataclass
class Breakpoint:
    number: int
    kind: str  # "breakpoint", "hw watchpoint", "read watchpoint", "acc watchpoint"
    temporary: bool
    addr: int = 0
    expr: str = ""
    length: int = 0
    old: bytes | None = None
    hits: int = 0
    enabled: bool = True
    what: str = ""


@dataclass
class Event:
    """How a run ended: "step" (a stepping command finished), "breakpoint" (`bp`),
    "watch" (`bp`, old and new value), "interrupt" (Ctrl-C), "exited" (`status`),
    "reached" (a temporary stop of the debugger's own), "history-start"."""

    kind: str
    bp: Breakpoint | None = None
    status: int = 0
    old: bytes | None = None
    new: bytes | None = None


@dataclass
class Display:
    number: int
    fmt: str
    expr: str
    enabled: bool = True
    # the entry of the function whose arguments or locals the expression reads: gdb shows
    # such a display only in that scope (printcmd.c do_one_display, contained_in)
    scope: int | None = None


@dataclass
class _State:
    history: list[Value] = field(default_factory=list)
    list_next: tuple[str, str, int] | None = None  # file shown, full path, next line


MAX_VALUE_SIZE = 65536  # gdb's `set max-value-size`: a bigger value is refused


class Debugger:
    """One debugging session over a DebugTarget."""

    def __init__(self, target: DebugTarget, infos: DebugInfos,
                 out: Callable[[str], None]) -> None:
        self.target = target
        self.infos = infos
        self.out = out
        self.breakpoints: dict[int, Breakpoint] = {}
        self.next_bp = 1
        self.displays: list[Display] = []
        self.next_display = 1
        self.state = _State()
        self.selected = 0
        self._frames: list[F.Frame] | None = None
        self._frames_why = ""
        self.running = True  # the inferior exists (not killed, not exited)
        self.interrupted = False  # set by Ctrl-C while the guest runs
        self.poll: Callable[[], None] = lambda: None  # console work between slices
        self.last_stop: Stop | None = None
        self.csr_by_name = {name: num for num, name in target.csr_names().items()}
        self._sources: dict[str, list[str] | None] = {}

    # --- symbols ------------------------------------------------------------------------
    def function_at(self, pc: int) -> tuple[Function | None, DebugInfo | None]:
        return self.infos.function_and_info(pc)

    def info_at(self, pc: int) -> DebugInfo | None:
        return self.infos.info_at(pc)

    def line_span(self, pc: int) -> LineSpan | None:
        return self.infos.line_span(pc)

    def language(self) -> str:
        frame = self.frame()
        info = self.info_at(frame.lookup_pc)
        return info.language_at(frame.lookup_pc) if info is not None else "c"

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

    # --- frames -------------------------------------------------------------------------
    def frames(self) -> list[F.Frame]:
        if self._frames is None:
            real, self._frames_why = F.backtrace(self.target, self.infos)
            self._frames = self._with_inline_frames(real)
        return self._frames

    def _with_inline_frames(self, real: list[F.Frame]) -> list[F.Frame]:
        """gdb's frame list: before each real frame, one frame per inlined call its pc is
        in (innermost first).  At the innermost frame, a call whose first instruction
        the pc is at is not entered yet (infrun's skip_inline_frames), unless a step
        just went into it."""
        out: list[F.Frame] = []
        for fr in real:
            chain = self.infos.inline_chain(fr.lookup_pc)
            if fr.level == 0:
                while chain and chain[0].entry == fr.pc and self._into_inline != fr.pc:
                    chain = chain[1:]
            for i, call in enumerate(chain):
                outer = chain[i - 1] if i > 0 else None
                site = (outer.call_file, outer.call_full, outer.call_line) if outer else None
                out.append(F.Frame(len(out), fr.pc, fr.regs, fr.cfa, fr.rule, fr.saved_at,
                                   inline=call, site=site))
            last = chain[-1] if chain else None
            fr.level = len(out)
            fr.site = (last.call_file, last.call_full, last.call_line) if last else None
            out.append(fr)
        return out

    _into_inline = -1  # the pc a step entered an inlined call at (shown, not skipped)

    def frame(self) -> F.Frame:
        frames = self.frames()
        return frames[min(self.selected, len(frames) - 1)]

    def invalidate(self) -> None:
        self._frames = None
        self.selected = 0

    def pc(self) -> int:
        return self.target.read_register(REG_PC) or 0

    def scope(self, frame: F.Frame) -> tuple[Scope | None, DebugInfo | None]:
        f, info = self.function_at(frame.lookup_pc)
        if info is None or f is None:
            return None, None
        scope = info.function_scope(frame.lookup_pc)
        if frame.inline is not None and scope is not None:
            call = frame.inline
            # an inlined call's arguments live in its function's frame (same frame base)
            return Scope(call.name, call.entry, scope.frame_base, call.args, [], None), info
        return scope, info

    def frame_base(self, frame: F.Frame, scope: Scope) -> int | None:
        if scope.frame_base is None:
            return None
        try:
            kind, v = evaluate_location(scope.frame_base, lambda r: frame.regs[r],
                                        frame.cfa)
        except Exception:
            return None
        return frame.regs[v] if kind == "register" else v

    def read_variable(self, var: Variable, frame: F.Frame, scope: Scope | None) -> Value:
        if var.location is None:
            raise EvalError("<optimized out>")
        base = self.frame_base(frame, scope) if scope is not None else None
        kind, v = evaluate_location(var.location, lambda r: frame.regs[r], base,
                                    lambda a: int.from_bytes(self.memory(a, 4), "little"))
        size = var.type.size
        if kind == "register":
            return int_value(frame.regs[v], var.type) if size <= 4 else Value(
                var.type, frame.regs[v].to_bytes(4, "little") + bytes(size - 4))
        if kind == "value":
            return int_value(v, var.type)
        if var.type.kind == "func":
            return Value(var.type, b"", v)
        return Value(var.type, self.memory(v, size), v)

    def memory(self, addr: int, size: int) -> bytes:
        if size > MAX_VALUE_SIZE:
            raise EvalError(f"value requires {size} bytes, which is more than "
                            "max-value-size")
        addr &= MASK
        data = self.target.read_memory(addr, size) if size else b""
        if data is None:
            # name the first byte that cannot be read, as gdb does
            for i in range(size):
                if self.target.read_memory(addr + i, 1) is None:
                    raise EvalError(f"Cannot access memory at address {addr + i:#x}")
            raise EvalError(f"Cannot access memory at address {addr:#x}")
        return data

    def printer(self) -> Printer:
        lang = self.language()
        cls = Printer if lang == "rust" else CPrinter
        return cls(self.target.read_memory, self.symbolize, lang)

    def frame_args(self, frame: F.Frame) -> str:
        scope, _ = self.scope(frame)
        if scope is None:
            return ""
        parts = []
        p = self.printer()
        for var in scope.args:
            try:
                text = p.value(self.read_variable(var, frame, scope), scalars_only=True)
            except EvalError as e:
                text = f"<error: {e}>" if "optimized" not in str(e) else "<optimized out>"
            parts.append(f"{var.name}={text}")
        return ", ".join(parts)

    def describe(self, frame: F.Frame, *, force_addr: bool | None = None) -> str:
        """gdb's frame description: `[0x... in ]func (args) at file:line` or
        `0x... in sym ()`."""
        pc = frame.pc
        look = frame.lookup_pc
        f, info = self.function_at(look)
        sal = self.line_span(look)
        scope = info.function_scope(look) if info is not None and f is not None else None
        if sal is not None and scope is not None and f is not None:
            name = frame.inline.name if frame.inline is not None else f.name
            if frame.site is not None:
                # it called an inlined function here: its line is the call's, and gdb
                # shows no address (find_frame_sal gives the frame's own pc)
                file, line = frame.site[0], frame.site[2]
                show = bool(force_addr)
            else:
                file, line = sal.file, sal.line
                show = force_addr if force_addr is not None else (frame.level > 0 and
                                                                  not self._same_pc(frame)
                                                                  or pc != sal.start)
            prefix = f"0x{pc:08x} in " if show else ""
            return f"{prefix}{name} ({self.frame_args(frame)}) at {file}:{line}"
        sym = self.infos.function_symbol_at(look)
        name = "??" if sym is None else sym
        if f is not None and name == "??":
            name = f.name
        if sal is not None and f is not None:
            # code with lines but no DWARF function (an assembly file): gdb names the
            # symbol and the line (find_frame_sal)
            show = force_addr if force_addr is not None else (frame.level > 0 and
                                                              not self._same_pc(frame)
                                                              or pc != sal.start)
            prefix = f"0x{pc:08x} in " if show else ""
            return f"{prefix}{name} () at {sal.file}:{sal.line}"
        return f"0x{pc:08x} in {name} ()"

    def _same_pc(self, frame: F.Frame) -> bool:
        """An outer frame at the innermost frame's pc is an inline frame's caller chain
        of frame 0: its pc is not a return address."""
        frames = self._frames or []
        return bool(frames) and frames[0].pc == frame.pc and frames[0].regs is frame.regs

    def frame_sal(self, frame: F.Frame) -> LineSpan | None:
        """The line a frame is at: an inlined call's site for a frame that made one."""
        sal = self.line_span(frame.lookup_pc)
        if sal is not None and frame.site is not None:
            file, full, line = frame.site
            return LineSpan(sal.start, sal.end, file, line, full)
        return sal

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

    def print_location(self, frame: F.Frame, *, src_line_only: bool = False,
                       force_addr: bool | None = None) -> None:
        """gdb's print_stack_frame: SRC_AND_LOC (the description, then the source line)
        or SRC_LINE (the source line, after the address when mid-line)."""
        sal = self.frame_sal(frame)
        f, _ = self.function_at(frame.lookup_pc)
        has_lines = sal is not None and f is not None
        if src_line_only and has_lines:
            assert sal is not None
            mid = frame.pc != sal.start and frame.site is None
            self.out((f"0x{frame.pc:08x}\t" if mid else "") + self.source_line(sal) + "\n")
        else:
            self.out(self.describe(frame, force_addr=force_addr) + "\n")
            if has_lines:
                assert sal is not None
                self.out(self.source_line(sal) + "\n")
        if has_lines:
            assert sal is not None
            self.state.list_next = (sal.file, sal.full, max(sal.line - 5, 1))
            self._list_center = sal.line

    # --- registers ----------------------------------------------------------------------
    def regnum(self, name: str) -> int | None:
        if name in GDB_REG_NAMES:
            return GDB_REG_NAMES.index(name)
        if name == "zero":
            return 0
        if name == "s0":
            return 8
        m = re.fullmatch(r"x(\d+)", name)
        if m and int(m.group(1)) < 32:
            return int(m.group(1))
        if name == "pc":
            return REG_PC
        if name == "priv":
            return REG_PRIV
        if name in self.csr_by_name:
            return CSR_REGNUM_BASE + self.csr_by_name[name]
        return None

    def register_value(self, regnum: int, frame: F.Frame | None = None) -> Value:
        frame = frame or self.frame()
        if regnum < 32:
            v = frame.regs[regnum]
        elif regnum == REG_PC:
            v = frame.pc
        else:
            got = self.target.read_register(regnum)
            v = got or 0
        # gdb's riscv register types: ra and pc are code pointers, sp gp tp fp data
        # pointers, the rest `long` (riscv-tdep.c riscv_register_type)
        if regnum in (1, REG_PC):
            return int_value(v, CODE_PTR)
        if regnum in (2, 3, 4, 8):
            return int_value(v, DATA_PTR)
        return int_value(v, INT)

    # --- running ------------------------------------------------------------------------
    def _need_process(self) -> None:
        if not self.running:
            raise CommandError("The program is not being run.")

    def _step_one(self) -> Stop:
        self._into_inline = -1
        stop = self.target.step()
        self.last_stop = stop
        return stop

    def _exited(self, status: int) -> Event:
        self.running = False
        return Event("exited", status=status)

    def _hit(self, addr: int) -> Breakpoint | None:
        for bp in self.breakpoints.values():
            if bp.kind == "breakpoint" and bp.enabled and bp.addr == addr:
                return bp
        return None

    def _watch_for(self, stop: Stop) -> Breakpoint | None:
        for bp in self.breakpoints.values():
            if bp.kind != "breakpoint" and bp.enabled and bp.addr <= stop.addr < bp.addr + \
                    max(bp.length, 1):
                return bp
        for bp in self.breakpoints.values():
            if bp.kind != "breakpoint" and bp.enabled:
                return bp
        return None

    def run(self, temps: dict[int, Callable[[], bool]] | None = None) -> Event:
        """Resume until a breakpoint, watchpoint, exit, Ctrl-C, or one of `temps` (address
        -> condition) is reached with its condition true."""
        temps = temps or {}
        self._into_inline = -1
        self.refresh_watches()
        added = [a for a in temps if self._hit(a) is None]
        for a in added:
            self.target.add_breakpoint(a)
        # `interrupted` is cleared when a command starts (commands.execute), not here: a
        # Ctrl-C that comes just after "Continuing." must still stop this run
        try:
            while True:
                stop = self.target.resume(SLICE)
                self.last_stop = stop
                if stop is None:
                    self.poll()
                    if self.interrupted:
                        return Event("interrupt")
                    continue
                if stop.kind == "exited":
                    return self._exited(stop.status)
                if stop.kind == "breakpoint":
                    pc = self.pc()
                    bp = self._hit(pc)
                    if bp is not None:
                        bp.hits += 1
                        return Event("breakpoint", bp)
                    cond = temps.get(pc)
                    if cond is not None and cond():
                        return Event("reached")
                    continue
                if stop.kind == "watch":
                    event = self._watch_stop(stop)
                    if event is not None:
                        return event
                    continue
                if stop.kind == "interrupt":
                    return Event("interrupt")
        finally:
            for a in added:
                if self._hit(a) is None:
                    self.target.remove_breakpoint(a)

    def refresh_watches(self) -> None:
        """What each watchpoint's value is now, to compare with at its next hit (gdb
        keeps the value it last showed; reverse moves and steps change it)."""
        for bp in self.breakpoints.values():
            if bp.kind != "breakpoint":
                bp.old = self.target.read_memory(bp.addr, bp.length)

    def _watch_stop(self, stop: Stop) -> Event | None:
        """A watchpoint stops before the access commits; gdb reports it after the
        instruction, and a write watchpoint only when the value changed."""
        bp = self._watch_for(stop)
        if bp is None:
            return None
        # the instruction must complete without the watchpoint firing again
        self._remove_watch(bp)
        try:
            s = self._step_one()
        finally:
            self._insert_watch(bp)
        if s.kind == "exited":
            return self._exited(s.status)
        new = self.target.read_memory(bp.addr, bp.length)
        old = bp.old
        if bp.kind == "hw watchpoint" and new == old:
            return None
        bp.old = new
        bp.hits += 1
        return Event("watch", bp, old=old, new=new)

    def _watch_kind(self, bp: Breakpoint) -> str:
        return {"hw watchpoint": "watch", "read watchpoint": "rwatch",
                "acc watchpoint": "awatch"}[bp.kind]

    def _insert_watch(self, bp: Breakpoint) -> None:
        self.target.add_watchpoint(self._watch_kind(bp), bp.addr, bp.length)

    def _remove_watch(self, bp: Breakpoint) -> None:
        self.target.remove_watchpoint(self._watch_kind(bp), bp.addr, bp.length)

    def report(self, event: Event, *, src_line_only: bool = False) -> None:
        """gdb's normal_stop: why it stopped, where, then the displays."""
        self.invalidate()
        if event.kind == "exited":
            if event.status == 0:
                self.out("[Inferior 1 (process 1) exited normally]\n")
            else:
                self.out(f"[Inferior 1 (process 1) exited with code {event.status:02o}]\n")
            return
        frame = self.frame()
        if event.kind == "breakpoint" and event.bp is not None:
            bp = event.bp
            word = "Temporary breakpoint" if bp.temporary else "Breakpoint"
            self.out(f"\n{word} {bp.number}, ")
            self.print_location(frame)
            if bp.temporary:
                self._delete(bp)
        elif event.kind == "watch" and event.bp is not None:
            bp = event.bp
            p = self.printer()
            kind = {"hw watchpoint": "Hardware watchpoint", "read watchpoint":
                    "Hardware read watchpoint", "acc watchpoint":
                    "Hardware access (read/write) watchpoint"}[bp.kind]
            self.out(f"\n{kind} {bp.number}: {bp.expr}\n\n")
            typ = self._watch_type(bp)
            changed = bp.kind == "hw watchpoint" or (bp.kind == "acc watchpoint"
                                                     and event.old != event.new)
            if changed:
                self.out(f"Old value = {self._show(p, typ, event.old)}\n"
                         f"New value = {self._show(p, typ, event.new)}\n")
            else:
                self.out(f"Value = {self._show(p, typ, event.new)}\n")
            self.print_location(frame)
        elif event.kind == "interrupt":
            self.out("\nProgram received signal SIGINT, Interrupt.\n")
            self.print_location(frame)
        elif event.kind == "history-start":
            self.out("\nNo more reverse-execution history.\n")
            self.print_location(frame)
        else:
            self.print_location(frame, src_line_only=src_line_only)
        self.do_displays()

    def _watch_type(self, bp: Breakpoint) -> Type:
        try:
            return self.eval(bp.expr).type
        except EvalError:
            return INT

    def _show(self, p: Printer, typ: Type, data: bytes | None) -> str:
        if data is None:
            return "<unreadable>"
        return p.value(Value(typ, data))

    # --- expressions --------------------------------------------------------------------
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

    # --- displays -----------------------------------------------------------------------
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

    # --- examine ------------------------------------------------------------------------
    def examine(self, spec: str, expr: str) -> None:
        m = re.fullmatch(r"(\d*)([xduotacfsizbhwg]*)", spec)
        if m is None:
            raise CommandError(f"Invalid number \"{spec}\".")
        count = int(m.group(1)) if m.group(1) else 1
        letters = m.group(2)
        fmt = self._x_fmt
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
        self._x_fmt, self._x_size = fmt, size
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
                from rvirt.debug.frontend.values import _escape
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

    _x_fmt = "x"
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
            from rvirt.debug.frontend.values import _char
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

    # --- breakpoints --------------------------------------------------------------------
    def _delete(self, bp: Breakpoint) -> None:
        self.breakpoints.pop(bp.number, None)
        if bp.kind == "breakpoint":
            if self._hit(bp.addr) is None:
                self.target.remove_breakpoint(bp.addr)
        else:
            self._remove_watch(bp)

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

    def add_breakpoint(self, spec: str, temporary: bool) -> Breakpoint:
        if not spec:
            addr = self.frame().pc
        else:
            addr, _ = self.resolve_location(spec)
        bp = Breakpoint(self.next_bp, "breakpoint", temporary, addr)
        self.next_bp += 1
        if self._hit(addr) is None:
            self.target.add_breakpoint(addr)
        self.breakpoints[bp.number] = bp
        return bp

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

    # --- stepping -----------------------------------------------------------------------
    def step_lines(self, over: bool, until: bool = False) -> Event:
        event = self._step_lines(over, until)
        if event.kind == "step" and not over:
            # stopped where an inlined call starts: step shows its frame (gdb's
            # step_into_inline_frame), where a breakpoint or next would not
            pc = self.pc()
            if self.infos.inline_starts_at(pc):
                self._into_inline = pc
        return event

    def _step_lines(self, over: bool, until: bool = False) -> Event:
        """gdb's step/next/until (infrun.c): step instructions while in the current
        line's range, step over calls (next, or code without lines), stop at the start
        of another line."""
        self._need_process()
        self.refresh_watches()
        frame0 = F.compute_cfa(self.infos, F.innermost(self.target))
        start_cfa = frame0.cfa
        pc = frame0.pc
        sal = self.line_span(pc)
        f, _ = self.function_at(pc)
        no_lines = sal is None
        if no_lines:
            if f is None:
                raise CommandError("Cannot find bounds of current function")
            self.out(f"Single stepping until exit from function {f.name},\n"
                     f"which has no line number information.\n")
            lo, hi = f.low, f.high
            line: tuple[str, int] | None = None
        else:
            assert sal is not None
            lo, hi = sal.start, sal.end
            if until and f is not None:
                lo = f.low
            line = (sal.file, sal.line)
        start_func = f.low if f is not None else None
        while True:
            word = self._word(pc)
            call, ret_addr = self._is_call(word, pc)
            stop = self._step_one()
            if stop.kind == "exited":
                return self._exited(stop.status)
            if stop.kind == "watch":
                event = self._watch_after_step(stop)
                if event is not None:
                    return event
            pc = self.pc()
            bp = self._hit(pc)
            if bp is not None:
                bp.hits += 1
                return Event("breakpoint", bp)
            if call and not lo <= pc < hi:
                callee = self.line_span(pc)
                if callee is not None and not over and not no_lines:
                    cf, cinfo = self.function_at(pc)
                    if cf is not None and cinfo is not None:
                        dest = self.skip_prologue(cf, cinfo)
                        if dest != pc:
                            event = self.run({dest: lambda: True})
                            if event.kind != "reached":
                                return event
                        return Event("step")
                sp_at_call = self.target.read_register(2) or 0
                event = self.run({ret_addr: lambda s=sp_at_call: (
                    self.target.read_register(2) or 0) >= s})
                if event.kind != "reached":
                    return event
                pc = self.pc()
                if lo <= pc < hi:
                    continue
            if lo <= pc < hi:
                continue
            inl = self._inline_call(pc) if over else None
            if inl is not None and line is not None and (inl[0], inl[1]) == line:
                # code inlined into this line (gdb steps over inline frames with next)
                lo, hi = inl[2], inl[3]
                continue
            new = self.line_span(pc)
            if new is None:
                if no_lines:
                    continue
                return Event("step")
            here = F.compute_cfa(self.infos, F.innermost(self.target))
            if pc == new.start and self._stmt_start(pc):
                nf, _ = self.function_at(pc)
                other_frame = here.cfa != start_cfa or (nf.low if nf else None) != start_func
                if (new.file, new.line) != line or other_frame:
                    return Event("step")
            # the middle of a line (or the start of the same one): keep stepping in it
            lo, hi = new.start, new.end
            line = (new.file, new.line)
            start_cfa = here.cfa
            nf, _ = self.function_at(pc)
            start_func = nf.low if nf is not None else None
            no_lines = False

    def _inline_call(self, pc: int) -> tuple[str, int, int, int] | None:
        return self.infos.inline_call(pc)

    def _stmt_start(self, pc: int) -> bool:
        return self.infos.line_is_stmt_start(pc)

    def _watch_after_step(self, stop: Stop) -> Event | None:
        bp = self._watch_for(stop)
        if bp is None:
            return None
        new = self.target.read_memory(bp.addr, bp.length)
        if bp.kind == "hw watchpoint" and new == bp.old:
            return None
        old, bp.old = bp.old, new
        bp.hits += 1
        return Event("watch", bp, old=old, new=new)

    def _word(self, pc: int) -> int:
        data = self.target.read_memory(pc, 4) or self.target.read_memory(pc, 2) or b"\0\0"
        return int.from_bytes(data, "little")

    @staticmethod
    def _is_call(w: int, pc: int) -> tuple[bool, int]:
        length = 4 if w & 3 == 3 else 2
        found = decode(w if length == 4 else w & 0xFFFF)
        if found is None:
            return False, 0
        op, fl = found
        name = op.base or op.name
        return name in ("jal", "jalr") and fl.get("rd") == 1, (pc + length) & MASK

    def finish(self) -> None:
        self._need_process()
        frames = self.frames()
        frame = self.frame()
        if frame.level + 1 >= len(frames):
            raise CommandError('"finish" not meaningful in the outermost frame.')
        up = frames[frame.level + 1]
        self.out(f"Run till exit from #{frame.level}  {self.describe(frame)}\n")
        if frame.inline is not None:
            self._finish_inline(frame.inline)
            return
        scope, _ = self.scope(frame)
        cfa = frame.cfa or 0
        event = self.run({up.pc: lambda: (self.target.read_register(2) or 0) >= cfa})
        if event.kind != "reached":
            self.report(event)
            return
        self.invalidate()
        self.print_location(self.frame(), force_addr=True)
        ret = scope.return_type if scope is not None else None
        if ret is not None and ret.kind not in ("void", "unit"):
            a0 = self.target.read_register(10) or 0
            a1 = self.target.read_register(11) or 0
            raw = (a0 | a1 << 32).to_bytes(8, "little")
            if ret.size <= 8:
                v = Value(ret, raw[:ret.size])
            else:  # returned in memory: a0 holds where
                data = self.target.read_memory(a0, ret.size) or bytes(ret.size)
                v = Value(ret, data, a0)
            n = self.record(v)
            self.out(f"Value returned is ${n} = {self.printer().top(v)}\n")
        self.do_displays()

    def _finish_inline(self, call: Any) -> None:
        """Out of an inlined call: step (over calls) until the pc leaves its code, as
        gdb's finish does for an inline frame (no value: there is no return)."""
        for _ in range(1_000_000):
            pc = self.pc()
            if not any(lo <= pc < hi for lo, hi in call.ranges):
                break
            is_call, ret = self._is_call(self._word(pc), pc)
            stop = self._step_one()
            if stop.kind == "exited":
                self.report(self._exited(stop.status))
                return
            if is_call:
                sp = self.target.read_register(2) or 0
                event = self.run({ret: lambda s=sp: (self.target.read_register(2) or 0) >= s})
                if event.kind != "reached":
                    self.report(event)
                    return
        self.invalidate()
        self.print_location(self.frame())
        self.do_displays()

    # --- reverse execution (the facade's reverse_step / reverse_continue) ------------
    def has_reverse(self) -> bool:
        return hasattr(self.target, "reverse_step") and hasattr(self.target,
                                                                 "reverse_continue")

    def reverse_stepi(self) -> Event:
        self._into_inline = -1
        self.refresh_watches()
        stop = self.target.reverse_step()  # type: ignore[attr-defined]
        return self._reverse_event(stop) or Event("step")

    def _reverse_event(self, stop: Stop) -> Event | None:
        self.last_stop = stop
        if stop.kind == "history-start":
            return Event("history-start")
        if stop.kind == "breakpoint":
            bp = self._hit(self.pc())
            if bp is not None:
                bp.hits += 1
                return Event("breakpoint", bp)
            return Event("reached")
        if stop.kind == "watch":
            bp = self._watch_for(stop)
            if bp is not None:
                data = self.target.read_memory(bp.addr, bp.length)
                bp.hits += 1
                old, bp.old = bp.old, data
                return Event("watch", bp, old=old, new=data)
        return None

    def reverse_continue(self, temps: set[int] | None = None) -> Event:
        self.refresh_watches()
        added = [a for a in (temps or set()) if self._hit(a) is None]
        for a in added:
            self.target.add_breakpoint(a)
        try:
            stop = self.target.reverse_continue()  # type: ignore[attr-defined]
        finally:
            for a in added:
                if self._hit(a) is None:
                    self.target.remove_breakpoint(a)
        return self._reverse_event(stop) or Event("step")

    def _line_key(self, pc: int, over: bool) -> tuple[str, int] | None:
        """The line `pc` counts as: with `over`, code inlined into a line is that line's
        (gdb steps over inline frames with next, backwards too)."""
        if over:
            inl = self._inline_call(pc)
            if inl is not None:
                return inl[0], inl[1]
        sal = self.line_span(pc)
        return (sal.file, sal.line) if sal is not None else None

    def _line_starts_at(self, pc: int, key: tuple[str, int], over: bool) -> bool:
        """`pc` begins the block of `key`'s code that the line runs through: no code of
        the same line sits just before it."""
        if self._line_key(pc, over) != key:
            return False
        return all(self._line_key(pc - n, over) != key for n in (2, 4))

    def reverse_lines(self, over: bool) -> Event:
        """gdb's reverse-step/next done client-side: step back by instructions to the
        start of the previous line (or of this one, from its middle); a callee entered
        backwards, at its return, is run back to its entry and its call (reverse-next,
        or a callee without lines), else reverse-step stops at its last line's start.
        A line met in its middle (a jump led into the line stepped back through, or the
        call a function's start was reached from) becomes the one to reach the start of,
        as gdb renews its step range (infrun.c), so every stop is a line's start or a
        breakpoint: gdb stops at one met on the way."""
        pc = self.pc()
        cfa = F.compute_cfa(self.infos, F.innermost(self.target)).cfa
        cur = self._line_key(pc, over)
        mid = cur is not None and not self._line_starts_at(pc, cur, over)
        target = cur if mid else None
        for _ in range(10_000_000):
            event = self._reverse_stepi_or_break()
            if event.kind != "step":
                return event
            pc = self.pc()
            here = F.compute_cfa(self.infos, F.innermost(self.target)).cfa
            if here is not None and cfa is not None and here < cfa:
                f, _ = self.function_at(pc)
                if f is not None and (over or self.line_span(pc) is None):
                    event = self.reverse_continue({f.low})
                    if event.kind not in ("reached", "step"):
                        return event
                    event = self._reverse_stepi_or_break()  # onto the call
                    if event.kind != "step":
                        return event
                    pc = self.pc()
                else:  # reverse-step into the callee's last line
                    cfa, target = here, self._line_key(pc, over)
                    if target is not None and self._line_starts_at(pc, target, over):
                        return Event("step")
                    continue
            elif here is not None and cfa is not None and here > cfa:
                # back out of the function's start onto its call: the caller's line
                # is one more line met in its middle
                cfa, cur = here, None
            key = self._line_key(pc, over)
            if key is None:
                return Event("step")
            if target is None:
                if key == cur:
                    continue  # still in the line we started from
                target = key
            # gdb stops at a line's start "unless it's the function entry point, in
            # which case keep going back to the call point" (infrun.c)
            if self._line_starts_at(pc, key, over) and not self._entry(pc):
                return Event("step")
            target = key  # the middle of a line: on to its start
        return Event("step")

    def _entry(self, pc: int) -> bool:
        f, _ = self.function_at(pc)
        return f is not None and f.low == pc

    def _reverse_stepi_or_break(self) -> Event:
        """One instruction back, as a breakpoint hit when it lands on an enabled one
        (gdb's line steps stop at breakpoints, backwards too)."""
        event = self.reverse_stepi()
        if event.kind == "step":
            bp = self._hit(self.pc())
            if bp is not None:
                bp.hits += 1
                return Event("breakpoint", bp)
        return event

    def reverse_finish(self) -> Event:
        frame = self.frame()
        f, _ = self.function_at(frame.lookup_pc)
        if f is None:
            raise CommandError('"finish" not meaningful in the outermost frame.')
        self.out(f"Run back to call of #{frame.level}  {self.describe(frame)}\n")
        event = self.reverse_continue({f.low})
        if event.kind not in ("reached", "step"):
            return event
        return self.reverse_stepi()


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


def natural_register(dbg: Debugger, regnum: int, value: int) -> str:
    """The second column of gdb's `info registers` (riscv-tdep.c
    riscv_print_one_register_info): symbolic pointers, signed decimal, decoded fields."""
    if regnum in (1, REG_PC):
        return f"{value:#x}{dbg.code_symbol(value)}"
    if regnum in (2, 3, 4, 8):
        return f"{value:#x}"
    if regnum == REG_PRIV:
        p = value & 0xFF
        return f"prv:{p} [{PRIV_NAMES[p] if p < 4 else 'INVALID'}]"
    csr = regnum - CSR_REGNUM_BASE
    if csr in (0x300, 0x100, 0x000):  # mstatus, sstatus, ustatus
        d = value
        fields = [("SD", 31, 1), ("VM", 24, 0x1F), ("MXR", 19, 1), ("PUM", 18, 1),
                  ("MPRV", 17, 1), ("XS", 15, 3), ("FS", 13, 3), ("MPP", 11, 3),
                  ("HPP", 9, 3), ("SPP", 8, 1), ("MPIE", 7, 1), ("HPIE", 6, 1),
                  ("SPIE", 5, 1), ("UPIE", 4, 1), ("MIE", 3, 1), ("HIE", 2, 1),
                  ("SIE", 1, 1), ("UIE", 0, 1)]
        parts = []
        for name, shift, mask in fields:
            v = (d >> shift) & mask
            # gdb prints VM with %02X and MPP with %x
            parts.append(f"{name}:{v:02X}" if name == "VM" else f"{name}:{v:X}")
        return " ".join(parts)
    if csr == 0x301:  # misa
        xlen = 16 << (value >> 30) if value >> 30 else 16
        letters = "".join(chr(ord("A") + i) for i in range(26) if value >> i & 1)
        return f"RV{xlen}{letters}"
    return str(value - (1 << 32) if value >> 31 else value)


def gdb_echo(text: str) -> str:
    """`echo`'s C escapes (gdb printcmd.c echo_command via parse_escape)."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            i += 2
            if n in "01234567":
                j = i - 1
                digits = ""
                while j < len(text) and len(digits) < 3 and text[j] in "01234567":
                    digits += text[j]
                    j += 1
                out.append(chr(int(digits, 8)))
                i = j
                continue
            out.append({"n": "\n", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "r": "\r",
                        "v": "\v", "e": "\x1b"}.get(n, n))
            continue
        if c == "\\":
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def getenv_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


Any_ = Any
