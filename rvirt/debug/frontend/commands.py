"""The built-in debugger's command table: gdb's command names, its predefined aliases
(`b`, `c`, `s`, `n`, `si`, `p`, `bt`, `i r`, ...) and unique-prefix matching (gdb's
lookup_cmd), each name mapped to a handler on the Debugger."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rvirt.debug.frontend.ctype import c_decl
from rvirt.debug.frontend.session import (
    Breakpoint,
    CommandError,
    Debugger,
    Display,
    Event,
    gdb_echo,
    natural_register,
)
from rvirt.debug.frontend.values import EvalError, rust_ptype
from rvirt.debug.target import CSR_REGNUM_BASE, REG_PC

Handler = Callable[[Debugger, str], None]


class Quit(Exception):  # noqa: N818 - control flow
    """`quit`: leave the debugger (and rvirt)."""


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    doc: str
    aliases: tuple[str, ...] = ()


# --- running ---------------------------------------------------------------------------

def _count(arg: str) -> int:
    arg = arg.strip()
    if not arg:
        return 1
    try:
        return max(int(arg, 0), 0)
    except ValueError:
        raise CommandError(f'No symbol "{arg}" in current context.') from None


def cmd_continue(d: Debugger, arg: str) -> None:
    d.need_process()
    d.out("Continuing.\n")
    d.report(d.run())


def cmd_stepi(d: Debugger, arg: str, over: bool = False) -> None:
    d.need_process()
    d.refresh_watches()
    n = _count(arg)
    event = Event("step")
    before = d.frames()[0]
    before_func = d.function_at(before.pc)[0]
    for _ in range(n):
        pc = d.pc()
        call, ret = d.is_call(d.word_at(pc), pc)
        stop = d.step_one()
        if stop.kind == "exited":
            event = d.exited(stop.status)
            break
        if stop.kind == "watch":
            w = d.watch_after_step(stop)
            if w is not None:
                event = w
                break
        if over and call:
            sp = d.target.read_register(2) or 0
            event = d.run({ret: lambda s=sp: (d.target.read_register(2) or 0) >= s})
            if event.kind != "reached":
                break
            event = Event("step")
        bp = d.breakpoint_at(d.pc())
        if bp is not None:
            bp.hits += 1
            event = Event("breakpoint", bp)
            break
    d.invalidate()
    after_func = d.function_at(d.pc())[0]
    same = (before_func is not None and after_func is not None
            and before_func.low == after_func.low)
    d.report(event, src_line_only=same and event.kind == "step")


def cmd_nexti(d: Debugger, arg: str) -> None:
    cmd_stepi(d, arg, over=True)


def _step_cmd(d: Debugger, arg: str, over: bool, until: bool = False) -> None:
    for _ in range(_count(arg)):
        before = d.frames()[0]
        bf = d.function_at(before.pc)[0]
        bcfa = before.cfa
        binline = before.inline.entry if before.inline is not None else None
        event = d.step_lines(over, until)
        d.invalidate()
        now = d.frames()[0]
        nf = d.function_at(now.pc)[0]
        ninline = now.inline.entry if now.inline is not None else None
        same = (bf is not None and nf is not None and bf.low == nf.low and now.cfa == bcfa
                and binline == ninline)
        d.report(event, src_line_only=same and event.kind == "step")
        if event.kind != "step":
            return


def cmd_step(d: Debugger, arg: str) -> None:
    _step_cmd(d, arg, over=False)


def cmd_next(d: Debugger, arg: str) -> None:
    _step_cmd(d, arg, over=True)


def cmd_until(d: Debugger, arg: str) -> None:
    if not arg.strip():
        _step_cmd(d, "", over=True, until=True)
        return
    d.need_process()
    addr, _ = d.resolve_location(arg)
    frames = d.frames()
    temps = {addr: lambda: True}
    if len(frames) > 1:
        cfa = frames[0].cfa or 0
        temps[frames[1].pc] = lambda: (d.target.read_register(2) or 0) >= cfa
    event = d.run(temps)
    d.report(event if event.kind != "reached" else Event("step"))


def cmd_advance(d: Debugger, arg: str) -> None:
    if not arg.strip():
        raise CommandError("Argument required (a location).")
    cmd_until(d, arg)


def cmd_finish(d: Debugger, arg: str) -> None:
    d.finish()


def cmd_kill(d: Debugger, arg: str) -> None:
    d.need_process()
    d.target.kill()
    d.running = False
    d.invalidate()
    d.out("[Inferior 1 (process 1) killed]\n")


def cmd_quit(d: Debugger, arg: str) -> None:
    raise Quit


# --- reverse ---------------------------------------------------------------------------

def _reverse(d: Debugger, run: Callable[[], Event], src_line: bool = True) -> None:
    d.need_process()
    if not d.has_reverse():
        raise CommandError("Target does not support this command.")
    before = d.frames()[0]
    bf = d.function_at(before.pc)[0]
    event = run()
    d.invalidate()
    now = d.frames()[0]
    nf = d.function_at(now.pc)[0]
    same = bf is not None and nf is not None and bf.low == nf.low and now.cfa == before.cfa
    if event.kind == "reached":
        event = Event("step")
    d.report(event, src_line_only=src_line and same and event.kind == "step")


def cmd_reverse_stepi(d: Debugger, arg: str) -> None:
    def go() -> Event:
        event = Event("step")
        for _ in range(_count(arg)):
            event = d.reverse_stepi()
            if event.kind != "step":
                break
        return event
    _reverse(d, go)


def cmd_reverse_nexti(d: Debugger, arg: str) -> None:
    def go() -> Event:
        event = Event("step")
        for _ in range(_count(arg)):
            before = d.frames()[0].cfa
            d.invalidate()
            event = d.reverse_stepi()
            if event.kind != "step":
                break
            d.invalidate()
            now = d.frames()[0]
            if now.cfa is not None and before is not None and now.cfa < before:
                f, _ = d.function_at(now.pc)
                if f is not None:  # came back into a callee: back over it to the call
                    event = d.reverse_continue({f.low})
                    if event.kind not in ("reached", "step"):
                        break
                    event = d.reverse_stepi()
        return event
    _reverse(d, go)


def cmd_reverse_step(d: Debugger, arg: str) -> None:
    _reverse(d, lambda: d.reverse_lines(over=False))


def cmd_reverse_next(d: Debugger, arg: str) -> None:
    _reverse(d, lambda: d.reverse_lines(over=True))


def cmd_reverse_continue(d: Debugger, arg: str) -> None:
    _reverse(d, d.reverse_continue, src_line=False)


def cmd_reverse_finish(d: Debugger, arg: str) -> None:
    _reverse(d, d.reverse_finish, src_line=False)


# --- breakpoints -----------------------------------------------------------------------

def _announce(d: Debugger, bp: Breakpoint) -> None:
    word = "Temporary breakpoint" if bp.temporary else "Breakpoint"
    sal = d.line_span(bp.addr)
    if sal is not None and d.function_at(bp.addr)[0] is not None:
        # inside code inlined into the function, gdb names the line of the call
        inl = d.inline_call(bp.addr)
        file, line = (inl[0], inl[1]) if inl is not None else (sal.file, sal.line)
        d.out(f"{word} {bp.number} at {bp.addr:#x}: file {file}, line {line}.\n")
    else:
        d.out(f"{word} {bp.number} at {bp.addr:#x}\n")


def cmd_break(d: Debugger, arg: str) -> None:
    _announce(d, d.add_breakpoint(arg.strip(), False))


def cmd_tbreak(d: Debugger, arg: str) -> None:
    _announce(d, d.add_breakpoint(arg.strip(), True))


def _watch(d: Debugger, arg: str, kind: str) -> None:
    expr = arg.strip()
    if not expr:
        raise CommandError("Argument required (expression to compute).")
    v = d.eval(expr)
    if v.address is None:
        raise CommandError("Cannot watch constant value `" + expr + "'.")
    length = max(v.type.size, 1)
    bp = Breakpoint(d.next_bp, kind, False, v.address, expr, length)
    d.next_bp += 1
    bp.old = d.target.read_memory(v.address, length)
    d.insert_watch(bp)
    d.breakpoints[bp.number] = bp
    word = {"hw watchpoint": "Hardware watchpoint", "read watchpoint":
            "Hardware read watchpoint", "acc watchpoint":
            "Hardware access (read/write) watchpoint"}[kind]
    d.out(f"{word} {bp.number}: {expr}\n")


def cmd_watch(d: Debugger, arg: str) -> None:
    _watch(d, arg, "hw watchpoint")


def cmd_rwatch(d: Debugger, arg: str) -> None:
    _watch(d, arg, "read watchpoint")


def cmd_awatch(d: Debugger, arg: str) -> None:
    _watch(d, arg, "acc watchpoint")


def cmd_delete(d: Debugger, arg: str) -> None:
    words = arg.split()
    if words[:1] == ["display"]:
        cmd_undisplay(d, " ".join(words[1:]))
        return
    if words[:1] == ["breakpoints"]:
        words = words[1:]
    if not words:
        for bp in list(d.breakpoints.values()):
            d.delete_breakpoint(bp)
        return
    for w in words:
        try:
            n = int(w)
        except ValueError:
            raise CommandError("Convenience variable must have integer value.\n"
                               "Args must be numbers or '$' variables.") from None
        bp = d.breakpoints.get(n)
        if bp is None:
            d.out(f"No breakpoint number {n}.\n")
        else:
            d.delete_breakpoint(bp)


# --- data ------------------------------------------------------------------------------

def _split_fmt(arg: str) -> tuple[str, str]:
    arg = arg.strip()
    if arg.startswith("/"):
        m = re.match(r"/(\S*)\s*(.*)", arg)
        assert m is not None
        return m.group(1), m.group(2)
    return "", arg


def cmd_print(d: Debugger, arg: str) -> None:
    fmt, expr = _split_fmt(arg)
    if fmt and not re.fullmatch(r"[xduotacfsiz]", fmt):
        raise CommandError(f"Undefined output format \"{fmt}\".")
    if fmt:
        d.x_fmt = fmt  # gdb's print sets the format `x` uses next (printcmd.c)
    if not expr:
        v = d.eval("$")
    else:
        v = d.eval(expr)
    if v.type.kind == "void" and not v.data and v.address is None:
        d.out(f"${d.record(v)} = void\n")
        return
    text = d.printer().top(v, fmt)
    d.out(f"${d.record(v)} = {text}\n")


def cmd_output(d: Debugger, arg: str) -> None:
    fmt, expr = _split_fmt(arg)
    if not expr:
        raise CommandError("Argument required (expression to compute).")
    d.out(d.printer().top(d.eval(expr), fmt))


def _describe_type(d: Debugger, arg: str, show: int) -> None:
    """whatis (show -1) and ptype (show 1), as gdb's typeprint.c whatis_exp: `whatis`
    of a type name shows what a typedef stands for, one level down."""
    if not arg.strip():
        raise CommandError("The history is empty.")
    t, named = d.type_of(arg)
    lang = d.language() if d.running else "c"
    if lang == "rust":
        d.out(f"type = {rust_ptype(t, show)}\n")
        return
    if named and show < 0 and t.alias and t.under is not None:
        t = t.under
    if show > 0:  # ptype spells out what an opaque struct (or a pointer to one) is
        t = d.complete_type(t)
    d.out(f"type = {c_decl(t, '', show)}\n")


def cmd_whatis(d: Debugger, arg: str) -> None:
    _describe_type(d, arg, -1)


def cmd_ptype(d: Debugger, arg: str) -> None:
    _describe_type(d, arg, 1)


def cmd_set(d: Debugger, arg: str) -> None:
    """`set var LVALUE = VALUE` and `set $reg = VALUE` write through the facade; gdb's
    settings (`set osabi none`, `set pagination off`, ...) change nothing here."""
    text = arg.strip()
    if text.startswith("var "):
        text = text[4:]
    elif text.startswith("variable "):
        text = text[9:]
    elif not re.match(r"^(\$|\*|[A-Za-z_][\w:]*\s*(\[|\.|=[^=]))", text) or \
            re.match(r"^[a-z-]+\s+[a-z-]", text):
        return  # a setting
    lhs, eq, rhs = text.partition("=")
    if not eq or rhs.startswith("="):
        raise CommandError("A syntax error in expression, near `'.")
    value = d.eval(rhs.strip())
    lhs = lhs.strip()
    if lhs.startswith("$"):
        n = d.regnum(lhs[1:])
        if n is None:
            raise CommandError(f"Invalid register `{lhs[1:]}'")
        if not d.target.write_register(n, value.as_int()):
            raise CommandError(f"Invalid register `{lhs[1:]}'")
        d.invalidate()
        return
    target = d.eval(lhs)
    if target.bitfield is not None:  # its bits in the bytes that hold it
        addr, bit, bits = target.bitfield
        width = (bit + bits + 7) // 8
        old = d.target.read_memory(addr, width)
        if old is None:
            raise CommandError(f"Cannot access memory at address {addr:#x}")
        mask = ((1 << bits) - 1) << bit
        word = int.from_bytes(old, "little") & ~mask | (value.as_int() << bit) & mask
        if not d.target.write_memory(addr, word.to_bytes(width, "little")):
            raise CommandError(f"Cannot access memory at address {addr:#x}")
        d.invalidate()
        return
    if target.address is None:
        raise CommandError("Left operand of assignment is not an lvalue.")
    size = max(target.type.size, 1)
    data = (value.as_int() & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    if not d.target.write_memory(target.address, data):
        raise CommandError(f"Cannot access memory at address {target.address:#x}")
    d.invalidate()


def cmd_x(d: Debugger, arg: str) -> None:
    fmt, expr = _split_fmt(arg)
    d.examine(fmt, expr)


def cmd_display(d: Debugger, arg: str) -> None:
    fmt, expr = _split_fmt(arg)
    if not expr:
        d.do_displays()
        return
    disp = Display(d.next_display, fmt, expr, scope=d.display_scope(expr) if d.running
                   else None)
    d.next_display += 1
    d.displays.append(disp)
    if d.running:
        d.show_display(disp)


def cmd_undisplay(d: Debugger, arg: str) -> None:
    if not arg.strip():
        d.displays.clear()
        return
    for w in arg.split():
        d.displays = [x for x in d.displays if str(x.number) != w]


def cmd_echo(d: Debugger, arg: str) -> None:
    d.out(gdb_echo(arg))


# --- stack -----------------------------------------------------------------------------

def cmd_backtrace(d: Debugger, arg: str) -> None:
    d.need_process()
    frames = d.frames()
    limit = _count(arg) if arg.strip() else len(frames)
    for fr in frames[:limit]:
        d.out(f"#{fr.level:<2} {d.describe(fr)}\n")
    if limit < len(frames):
        d.out("(More stack frames follow...)\n")
    elif d.frames_why:
        d.out(f"Backtrace stopped: {d.frames_why}\n")


# --- threads: the harts, as gdb shows QEMU's CPUs ---------------------------------------

def _target_id(d: Debugger, hart: int) -> str:
    state = "halted " if d.target.hart_waiting(hart) else "running"
    return f"Thread 1.{hart + 1} (CPU#{hart} [{state}])"


def _on_hart(d: Debugger, hart: int, show: Callable[[], None]) -> None:
    """`show` with hart `hart` selected (its frames), then the selection as it was."""
    was, level = d.target.hart, d.selected
    d.target.hart = hart
    d.invalidate()
    try:
        show()
    finally:
        d.target.hart = was
        d.invalidate()
        d.selected = level


def info_threads(d: Debugger, arg: str) -> None:
    d.need_process()
    ids = [_target_id(d, h) for h in range(d.target.harts)]
    width = max(len("Target Id"), *map(len, ids)) + 1
    d.out(f"  {'Id':<4} {'Target Id':<{width}}Frame \n")
    for h, tid in enumerate(ids):
        mark = "*" if h == d.target.hart else " "
        line = f"{mark} {h + 1:<4} {tid:<{width}}"
        _on_hart(d, h, lambda line=line: d.out(line + d.describe(d.frames()[0]) + "\n"))


def cmd_thread(d: Debugger, arg: str) -> None:
    d.need_process()
    words = arg.split()
    if not words:
        d.out(f"[Current thread is {d.target.hart + 1} (Thread 1.{d.target.hart + 1})]\n")
        return
    if words[0] == "apply":
        _thread_apply(d, words[1:])
        return
    if not words[0].isdigit():
        raise CommandError(f"Invalid thread ID: {arg.strip()}")
    if not 1 <= int(words[0]) <= d.target.harts:
        raise CommandError(f"Unknown thread {words[0]}.")
    d.target.hart = d.stop_hart = int(words[0]) - 1
    d.invalidate()
    d.out(f"[Switching to thread {words[0]} (Thread 1.{words[0]})]\n")
    _select(d, 0)


def _thread_apply(d: Debugger, words: list[str]) -> None:
    # thread apply all|N... COMMAND: the highest thread first for `all`, as gdb
    if not words:
        raise CommandError("Please specify a thread ID list")
    if words[0] == "all":
        harts, command = list(range(d.target.harts - 1, -1, -1)), words[1:]
    else:
        ids = [w for w in words if w.isdigit()]
        harts = [int(w) - 1 for w in ids if 1 <= int(w) <= d.target.harts]
        command = words[len(ids):]
    if not command:
        raise CommandError("Please specify a command following the thread ID list")
    for h in harts:
        d.out(f"\nThread {h + 1} ({_target_id(d, h)}):\n")
        _on_hart(d, h, lambda: execute(d, " ".join(command)))


def _select(d: Debugger, level: int) -> None:
    frames = d.frames()
    d.selected = level
    fr = frames[level]
    d.out(f"#{fr.level:<2} ")
    d.print_location(fr)


def cmd_frame(d: Debugger, arg: str) -> None:
    d.need_process()
    frames = d.frames()
    if arg.strip():
        n = _count(arg)
        if n >= len(frames):
            raise CommandError("No frame at level " + arg.strip() + ".")
        _select(d, n)
    else:
        _select(d, d.frame().level)


def cmd_up(d: Debugger, arg: str) -> None:
    d.need_process()
    frames = d.frames()
    n = d.frame().level + _count(arg)
    if n >= len(frames):
        if d.frame().level == len(frames) - 1:
            raise CommandError("Initial frame selected; you cannot go up.")
        n = len(frames) - 1
    _select(d, n)


def cmd_down(d: Debugger, arg: str) -> None:
    d.need_process()
    n = d.frame().level - _count(arg)
    if n < 0:
        if d.frame().level == 0:
            raise CommandError("Bottom (innermost) frame selected; you cannot go down.")
        n = 0
    _select(d, n)


def cmd_list(d: Debugger, arg: str) -> None:
    arg = arg.strip()
    if arg:
        if re.fullmatch(r"\d+", arg):
            sal = d.line_span(d.frame().lookup_pc)
            if sal is None:
                raise CommandError("No symbol table is loaded.  Use the \"file\" command.")
            center, file, full = int(arg), sal.file, sal.full
        else:
            found = d.find_functions(arg)
            # `list FUNC` centres on the function's opening line, before its prologue
            addr = found[0][0].low if found else d.resolve_location(arg)[0]
            s = d.line_span(addr)
            if s is None:
                raise CommandError(f"Function \"{arg}\" not defined.")
            center, file, full = s.line, s.file, s.full
        first = max(center - 5, 1)
    elif d.state.list_next is not None:
        file, full, first = d.state.list_next
    else:
        sal = d.line_span(d.frame().lookup_pc)
        if sal is None:
            raise CommandError("No symbol table is loaded.  Use the \"file\" command.")
        file, full, first = sal.file, sal.full, max(sal.line - 5, 1)
    text = d.read_source(full)
    if text is None:
        raise CommandError(f"{first}\tin {file}")
    if first > len(text):
        raise CommandError(f"Line number {first} out of range; \"{file}\" has "
                           f"{len(text)} lines.")
    for n in range(first, min(first + 10, len(text) + 1)):
        d.out(f"{n}\t{text[n - 1]}\n")
    d.state.list_next = (file, full, first + 10)


# --- info ------------------------------------------------------------------------------

def info_registers(d: Debugger, arg: str) -> None:
    d.need_process()
    frame = d.frame()
    names = arg.split()
    if not names:
        regnums = [*range(1, 32), REG_PC]
    else:
        regnums = []
        for name in names:
            n = d.regnum(name.lstrip("$"))
            if n is None:
                raise CommandError(f"Invalid register `{name.lstrip('$')}'")
            regnums.append(n)
    from rvirt.debug.frontend.session import GDB_REG_NAMES
    csr_names = d.target.csr_names()
    for n in regnums:
        if n < 32:
            name, value = GDB_REG_NAMES[n], frame.regs[n]
        elif n == REG_PC:
            name, value = "pc", frame.pc
        else:
            got = d.target.read_register(n)
            if got is None:
                raise CommandError(f"Invalid register `{n}'")
            value = got
            name = "priv" if n < CSR_REGNUM_BASE else csr_names.get(n - CSR_REGNUM_BASE,
                                                                   str(n))
        d.out(f"{name:<15}{value:#x}\t{natural_register(d, n, value)}\n")


def info_breakpoints(d: Debugger, arg: str) -> None:
    if not d.breakpoints:
        d.out("No breakpoints or watchpoints.\n")
        return
    # the Type column is as wide as its longest entry, 14 at least (breakpoint.c)
    width = max([14, *(len(bp.kind) for bp in d.breakpoints.values())])
    d.out(f"Num     {'Type':<{width}} Disp Enb Address    What\n")
    for bp in d.breakpoints.values():
        disp = "del" if bp.temporary else "keep"
        enb = "y" if bp.enabled else "n"
        if bp.kind == "breakpoint":
            d.out(f"{bp.number:<7} {bp.kind:<{width}} {disp:<4} {enb:<3} {bp.addr:#010x} "
                  f"{d.where_text(bp.addr)}\n")
        else:
            d.out(f"{bp.number:<7} {bp.kind:<{width}} {disp:<4} {enb:<3} {'':<10} "
                  f"{bp.expr}\n")
        if bp.hits:
            what = "breakpoint"
            d.out(f"\t{what} already hit {bp.hits} time{'s' if bp.hits > 1 else ''}\n")


def info_symbol(d: Debugger, arg: str) -> None:
    if not arg.strip():
        raise CommandError("Argument required (address).")
    v = d.eval(arg)
    addr = v.as_int() & 0xFFFFFFFF
    hit = d.infos.symbol_at(addr)
    if hit is not None:
        name, off, info = hit
        section = info.section_name(addr) or "?"
        plus = f" + {off}" if off else ""
        d.out(f"{name}{plus} in section {section}\n")
        return
    d.out(f"No symbol matches {arg.strip()}.\n")


def info_line(d: Debugger, arg: str) -> None:
    arg = arg.strip()
    if not arg:
        addrs = [d.frame().lookup_pc]
    elif arg.startswith("*"):
        addrs = [d.eval(arg[1:]).as_int() & 0xFFFFFFFF]
    elif re.fullmatch(r"(?:.+:)?\d+", arg):
        m = re.fullmatch(r"(?:(.+):)?(\d+)", arg)
        assert m is not None
        file = m.group(1)
        if file is None:
            sal = d.line_span(d.frame().lookup_pc)
            if sal is None:
                raise CommandError("No line number information available.")
            file = sal.file
        line = int(m.group(2))
        # gdb answers once per symtab of the file (entries 0 and 1 of a DWARF 5 table)
        copies = max(1, d.infos.file_entries(file))
        addrs = d.infos.addresses_of_line(file, line)
        if not addrs:
            later = d.infos.first_code_after_line(file, line)
            if not later:
                raise CommandError(f'Line number {line} is out of range for "{file}".')
            for _ in range(copies):
                d.out(f"Line {line} of \"{file}\" is at address {d.label(later[0])} but "
                      f"contains no code.\n")
            return
        addrs = [min(addrs)] * copies
    else:
        found = d.find_functions(arg)
        if not found:
            raise CommandError(f"Function \"{arg}\" not defined.")
        addrs = [found[0][0].low]
    for addr in addrs:
        sal = d.line_span(addr)
        if sal is None:
            d.out(f"No line number information available for address {addr:#x}"
                  f"{d.code_symbol(addr)}\n")
            continue
        word = "starts at" if addr == sal.start else "starts at"
        d.out(f"Line {sal.line} of \"{sal.file}\" {word} address {d.label(sal.start)} and "
              f"ends at {d.label(sal.end)}.\n")


def info_frame(d: Debugger, arg: str) -> None:
    d.need_process()
    frames = d.frames()
    fr = d.frame()
    f, _ = d.function_at(fr.lookup_pc)
    sal = d.line_span(fr.lookup_pc)
    cfa = fr.cfa if fr.cfa is not None else fr.regs[2]
    d.out(f"Stack level {fr.level}, frame at {cfa:#x}:\n")
    where = f" in {f.name}" if f is not None else ""
    line = f" ({sal.file}:{sal.line})" if sal is not None else ""
    up = frames[fr.level + 1] if fr.level + 1 < len(frames) else None
    saved = f"{up.pc:#x}" if up is not None else "<not saved>"
    d.out(f" pc = {fr.pc:#x}{where}{line}; saved pc = {saved}\n")
    links = []
    if up is not None:
        links.append(f"called by frame at {(up.cfa if up.cfa is not None else up.regs[2]):#x}")
    if fr.level > 0:
        links.append(f"caller of frame at {(frames[fr.level - 1].cfa or 0):#x}")
    if links:
        d.out(" " + ", ".join(links) + "\n")
    scope, _ = d.scope(fr)
    d.out(f" source language {d.language()}.\n")
    p = d.printer()
    args = []
    for var in scope.args if scope is not None else []:
        try:
            text = p.value(d.read_variable(var, fr, scope), scalars_only=True)
            args.append(f"{var.name}={text}")
        except EvalError as e:
            args.append(f"{var.name}=<error: {e}>")
    d.out(f" Arglist at {cfa:#x}, args: {', '.join(args)}\n")
    d.out(f" Locals at {cfa:#x}, Previous frame's sp is {cfa:#x}\n")
    if fr.saved_at:
        from rvirt.debug.frontend.session import GDB_REG_NAMES
        parts = [f"{GDB_REG_NAMES[r]} at {a:#x}" for r, a in sorted(fr.saved_at.items())
                 if r < 32]
        if 1 in fr.saved_at:
            parts.append(f"pc at {fr.saved_at[1]:#x}")
        d.out(" Saved registers:\n  " + ", ".join(parts) + "\n")


def _info_vars(d: Debugger, args: bool) -> None:
    if not d.running:
        raise CommandError("No frame selected.")
    frame = d.frame()
    scope, _ = d.scope(frame)
    if scope is None:
        d.out("No symbol table info available.\n")
        return
    variables = scope.args if args else scope.locals
    if not variables:
        d.out("No arguments.\n" if args else "No locals.\n")
        return
    p = d.printer()
    for var in variables:
        try:
            text = p.value(d.read_variable(var, frame, scope))
        except EvalError as e:
            text = f"<error: {e}>"
        d.out(f"{var.name} = {text}\n")


def info_locals(d: Debugger, arg: str) -> None:
    _info_vars(d, args=False)


def info_args(d: Debugger, arg: str) -> None:
    _info_vars(d, args=True)


def info_display(d: Debugger, arg: str) -> None:
    if not d.displays:
        d.out("There are no auto-display expressions now.\n")
        return
    d.out("Auto-display expressions now in effect:\nNum Enb Expression\n")
    for x in d.displays:
        fmt = f"/{x.fmt} " if x.fmt else ""
        if x.fmt in ("i", "s"):  # gdb shows the count and unit it filled in
            fmt = f"/1b{x.fmt} "
        d.out(f"{x.number}:   {'y' if x.enabled else 'n'}  {fmt}{x.expr}\n")


def info_trap(d: Debugger, arg: str) -> None:
    """rvirt's own: the last trap, from the CSRs the trap wrote, with the diagnostics'
    hint if one was given."""
    from rvirt.diag.log import trap_name
    names = {v: k for k, v in d.target.csr_names().items()}

    def csr(name: str) -> int:
        return d.target.read_register(CSR_REGNUM_BASE + names[name]) or 0

    mode, cause = "m", csr("mcause")
    if not cause and csr("scause"):
        mode, cause = "s", csr("scause")
    if cause == 0 and csr("mepc") == 0 and csr("mtval") == 0:
        d.out("No trap has been taken (mcause, mepc and mtval are 0).\n")
        return
    interrupt = bool(cause >> 31)
    code = cause & 0x7FFFFFFF
    epc, tval = csr(f"{mode}epc"), csr(f"{mode}tval")
    kind = "interrupt" if interrupt else "exception"
    d.out(f"{mode}cause   {cause:#010x}  {kind} {code}: {trap_name(code, interrupt)}\n")
    d.out(f"{mode}tval    {tval:#010x}\n")
    f, _ = d.function_at(epc)
    sal = d.line_span(epc)
    where = ""
    if f is not None:
        where = f" in {f.name}" + (f" at {sal.file}:{sal.line}" if sal is not None else "")
    d.out(f"{mode}epc     {epc:#010x}{where}\n")
    if sal is not None:
        d.out(d.source_line(sal) + "\n")
    hints = getattr(d, "hints", None)
    for line in getattr(hints, "last", []):
        d.out(f"hint: {line}\n")


INFO: tuple[Command, ...] = (
    Command("registers", info_registers, "registers (all, or those named)", ("r",)),
    Command("all-registers", info_registers, "all registers"),
    Command("breakpoints", info_breakpoints, "breakpoints and watchpoints", ("b",)),
    Command("watchpoints", info_breakpoints, "watchpoints"),
    Command("symbol", info_symbol, "the symbol at an address"),
    Command("line", info_line, "where a line's code is"),
    Command("frame", info_frame, "the selected frame", ("f",)),
    Command("locals", info_locals, "the selected frame's locals"),
    Command("args", info_args, "the selected frame's arguments"),
    Command("display", info_display, "the auto-display expressions"),
    Command("trap", info_trap, "the last trap: cause, tval, epc, rvirt's hint"),
    Command("threads", info_threads, "the harts, as gdb's threads"),
)


def cmd_info(d: Debugger, arg: str) -> None:
    word, _, rest = arg.strip().partition(" ")
    if not word:
        raise CommandError('List of info subcommands:\n\n' + "\n".join(
            f"info {c.name} -- {c.doc}" for c in INFO))
    c = lookup(INFO, word, "info ")
    c.handler(d, rest)


def cmd_help(d: Debugger, arg: str) -> None:
    if arg.strip():
        c = lookup(COMMANDS, arg.split()[0])
        d.out(f"{c.name} -- {c.doc}\n")
        return
    d.out("rvirt's built-in debugger: gdb's commands on this machine.\n")
    for c in COMMANDS:
        alias = f" ({', '.join(c.aliases)})" if c.aliases else ""
        d.out(f"{c.name}{alias} -- {c.doc}\n")


COMMANDS: tuple[Command, ...] = (
    Command("advance", cmd_advance, "run to a location (or until this frame returns)"),
    Command("awatch", cmd_awatch, "stop when an expression is read or written", ("aw",)),
    Command("backtrace", cmd_backtrace, "the call stack", ("bt", "where")),
    Command("break", cmd_break, "a breakpoint at FUNC, FILE:LINE or *ADDR",
            ("b", "br", "bre", "brea")),
    Command("continue", cmd_continue, "resume the guest", ("c", "cont", "fg")),
    Command("delete", cmd_delete, "delete breakpoints (all, or those numbered)", ("d",)),
    Command("display", cmd_display, "print an expression at every stop", ("disp",)),
    Command("down", cmd_down, "select the frame called by this one"),
    Command("echo", cmd_echo, "print text (C escapes)"),
    Command("finish", cmd_finish, "run until the selected frame returns", ("fin",)),
    Command("frame", cmd_frame, "select a frame, or describe the selected one", ("f",)),
    Command("help", cmd_help, "list the commands", ("h",)),
    Command("info", cmd_info, "registers, breakpoints, symbol, line, frame, locals, "
            "args, display, trap", ("i", "inf")),
    Command("kill", cmd_kill, "stop the guest for good", ("k",)),
    Command("list", cmd_list, "source lines", ("l",)),
    Command("next", cmd_next, "the next source line, over calls", ("n",)),
    Command("nexti", cmd_nexti, "one instruction, over calls", ("ni",)),
    Command("print", cmd_print, "an expression's value (/x /d /u /t /o /c)",
            ("p", "inspect")),
    Command("output", cmd_output, "an expression's value, without history or newline"),
    Command("ptype", cmd_ptype, "a type, or an expression's type, spelled out"),
    Command("quit", cmd_quit, "leave rvirt", ("q", "exit")),
    Command("reverse-continue", cmd_reverse_continue, "run backwards to a breakpoint",
            ("rc",)),
    Command("reverse-finish", cmd_reverse_finish, "run backwards to the call of this frame"),
    Command("reverse-next", cmd_reverse_next, "back one source line, over calls", ("rn",)),
    Command("reverse-nexti", cmd_reverse_nexti, "back one instruction, over calls",
            ("rni",)),
    Command("reverse-step", cmd_reverse_step, "back one source line", ("rs",)),
    Command("reverse-stepi", cmd_reverse_stepi, "back one instruction", ("rsi",)),
    Command("rwatch", cmd_rwatch, "stop when an expression is read", ("rw",)),
    Command("set", cmd_set, "set var LVALUE = VALUE, set $REG = VALUE (settings: ignored)"),
    Command("step", cmd_step, "the next source line, into calls", ("s",)),
    Command("stepi", cmd_stepi, "one instruction", ("si",)),
    Command("tbreak", cmd_tbreak, "a breakpoint deleted when hit", ("tb",)),
    Command("thread", cmd_thread, "select a hart (thread N), or apply a command to harts"),
    Command("undisplay", cmd_undisplay, "stop displaying expressions"),
    Command("until", cmd_until, "the next line, never backwards; or run to LOCATION",
            ("u",)),
    Command("up", cmd_up, "select the calling frame"),
    Command("watch", cmd_watch, "stop when an expression changes", ("wa",)),
    Command("whatis", cmd_whatis, "the type of an expression, or what a typedef names"),
    Command("x", cmd_x, "examine memory: x/NFU ADDR (formats x d u o t a c s i)"),
)


def lookup(table: tuple[Command, ...], word: str, prefix: str = "") -> Command:
    """gdb's lookup_cmd: an exact name or alias, else the one command the word is a
    prefix of; several are ambiguous."""
    for c in table:
        if word == c.name or word in c.aliases:
            return c
    matches = [c for c in table if c.name.startswith(word)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(sorted(c.name for c in matches))
        raise CommandError(f'Ambiguous {prefix}command "{word}": {names}.')
    if prefix:
        raise CommandError(f'Undefined {prefix}command: "{word}".  Try "help {prefix.strip()}".')
    raise CommandError(f'Undefined command: "{word}".  Try "help".')


def split_command(line: str) -> tuple[str, str]:
    """`x/6i $pc` -> ("x", "/6i $pc"); `p/x $t0` -> ("p", "/x $t0")."""
    m = re.match(r"\s*([A-Za-z][\w-]*|!)(.*)", line)
    if m is None:
        return line.strip(), ""
    return m.group(1), m.group(2).lstrip() if not m.group(2).startswith("/") else m.group(2)


def names() -> list[str]:
    """Every command name and alias, for completion."""
    out = []
    for c in COMMANDS:
        out.append(c.name)
        out.extend(c.aliases)
    return sorted(set(out))


def execute(d: Debugger, line: str) -> None:
    """Run one command line; gdb's refusals are printed, never raised (Quit is)."""
    line = line.strip()
    if not line or line.startswith("#"):
        return
    word, rest = split_command(line)
    d.interrupted = False
    try:
        command = lookup(COMMANDS, word)
        command.handler(d, rest)
    except Quit:
        raise
    except (CommandError, EvalError) as e:
        d.out(f"{e}\n")
    except KeyboardInterrupt:
        d.out("Quit\n")
