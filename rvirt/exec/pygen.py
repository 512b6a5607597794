"""Python code generation for the block tier `-accel tcg`: a scanned block (rvirt.exec.blocks)
-> one generated Python function, spliced from the same table statements the interpreter
runs.

A path that comes back to its start becomes a `while` loop.  Constants are folded along
the path, and accesses off one base register share one range check.


Registers live in locals (`x5 = (x6 + 12) & MASK`, writes to x0 dropped) and are
written back at every exit and before any call that can trap or observe them.  RAM loads
and stores are inlined; everything else goes through the hart's accessors (`h.lw`...), so
MMIO is exactly the interpreter's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rvirt.cpu.mmu import LOAD, STORE
from rvirt.cpu.trap import Trap
from rvirt.exec.blocks import PAGE_BITS, Codegen, Insn, Space, Translator, inlined_store, is_loop
from rvirt.exec.semantics import CONSTANTS, HELPERS, INLINE, is_control, statement
from rvirt.isa.table import (
    JUMPS,
    LOAD_WIDTHS,
    STORE_WIDTHS,
    Op,
    goes_on_after_call,
)
from rvirt.isa.xlen import MASK, XLEN

_FIELD_RE = re.compile(r"\b(rd|rs1|rs2|imm|shamt|csr|zimm|aq|rl|fm|pred|succ|pc)\b")
_REG_RE = re.compile(r"\bx(\d+)\b")

# Inlined RAM accesses, made from the table's widths and signs: alignment test, the read
# (given `o`, the RAM offset) or the write, through the RAM views by width.
_VIEW = {4: ("not o & 3", "r32[o >> 2]"), 2: ("not o & 1", "r16[o >> 1]"), 1: ("", "ram[o]")}


def _load_code(width: int, signed: bool) -> tuple[str, str]:
    align, read = _VIEW[width]
    if signed:
        sign = hex(1 << (8 * width - 1))
        read = f"(({read} ^ {sign}) - {sign}) & {CONSTANTS['MASK']}"
    return align, read


def _store_code(width: int) -> tuple[str, str, int]:
    align, cell = _VIEW[width]
    bits = 8 * width
    value = "{v}" if bits == XLEN else "{v} & " + hex((1 << bits) - 1)
    return align, f"{cell} = {value}", width


_LOADS = {name: _load_code(n, signed) for name, (n, signed) in LOAD_WIDTHS.items()}
_STORES = {name: _store_code(n) for name, n in STORE_WIDTHS.items()}
_SIZE = {**{name: n for name, (n, _) in LOAD_WIDTHS.items()}, **STORE_WIDTHS}


def _literal(v: int) -> str:
    return f"({v})" if v < 0 else hex(v)


class _Gen:
    """Source of one block function; tracks which registers are locals and dirty."""

    def __init__(self, loop: bool, all_written: set[int]) -> None:
        self.lines: list[str] = []
        self.read: set[int] = set()  # registers read before being written: loaded on entry
        self.written: set[int] = set()
        self.all_written = all_written  # by any instruction of the block
        self.loop = loop
        self.depth = 2 if loop else 1
        self.k = -1  # the instruction being emitted, and that of each line (at)
        self.at: list[int] = []
        self.entry: set[int] = set()  # registers to load on entry whatever the path
        # Registers whose value is a constant at this point of the path (from `li`, `lui`,
        # a call's return address...).  The path is straight (branches leave it), and in
        # a loop a constant is set before its use on every iteration, so what is known
        # here holds every time control reaches here.
        self.consts: dict[int, int] = {}

    def fold(self, expr: str) -> str:
        """expr with known registers as literals, and evaluated if nothing else is left
        (expressions are the table's pure ALU statements: no calls, no memory)."""
        consts = self.consts
        out = _REG_RE.sub(lambda m: hex(consts[int(m.group(1))]) if int(m.group(1)) in consts
                          else m.group(0), expr)
        if not _REG_RE.search(out) and not re.fullmatch(r"0x[0-9a-f]+", out):
            v = eval(out, dict(HELPERS))  # noqa: S307 - the table's own text
            if isinstance(v, int) and 0 <= v <= MASK:
                return hex(v)
        return out

    def emit(self, line: str, extra: int = 0) -> None:
        self.lines.append("    " * (self.depth + extra) + line)
        self.at.append(self.k)

    def writeback(self, extra: int = 0) -> None:
        # In a loop every register the block writes is a local from its first iteration
        # on (all are loaded on entry), so every exit writes back all of them.
        for r in sorted(self.all_written if self.loop else self.written):
            self.emit(f"X[{r}] = x{r}", extra)

    def exit(self, extra: int, count: int, ret: str) -> None:
        self.writeback(extra)
        self.emit(f"h.instret = ic + {count}", extra)
        self.emit(f"return {ret}", extra)

    def use(self, text: str) -> None:
        for r in _REG_RE.findall(text):
            if int(r) not in self.written:
                self.read.add(int(r))

    def wrote(self, r: int, value: int | None = None) -> None:
        if r:
            self.written.add(r)
            if value is None:
                self.consts.pop(r, None)
            else:
                self.consts[r] = value


_M = re.escape(CONSTANTS["MASK"])


def _inline(name: str) -> tuple[re.Pattern[str], str]:
    """A call of a helper of semantics.INLINE -> its expression."""
    return (re.compile(rf"\b{name}\((\w+), (\w+)\)"),
            INLINE[name].format(a=r"\1", b=r"\2"))


_SIMPLIFY = [
    # registers are always in 0..MASK: adding 0 or masking again changes nothing
    (re.compile(rf"\((x\d+) \+ 0x0\) & {_M}"), r"\1"),
    (re.compile(rf"\(0 \+ (x\d+)\) & {_M}"), r"\1"),
    (re.compile(rf"(x\d+) & (0x[0-9a-f]+) & {_M}"), r"\1 & \2"),
    # or/xor with a non-negative literal stays within XLEN bits (a negative one is
    # sign-extended, `(-5)`, and keeps its mask)
    (re.compile(rf"\((x\d+) ([|^]) (0x[0-9a-f]+)\) & {_M}"), r"\1 \2 \3"),
    # the helpers of semantics.py that are spelled out to save a call
    *(_inline(name) for name in INLINE),
]


def _spliced(op: Op, f: dict[str, int], pc: int) -> str:
    """The op's statement with registers as locals and every field a literal."""
    sem = statement(op, "RD")
    rd = f.get("rd", 0)
    sem = sem.replace("X[RD] =", f"x{rd} =" if rd else "_ =")
    for name in ("rs1", "rs2"):
        r = f.get(name, 0)
        sem = sem.replace(f"X[{name}]", f"x{r}" if r else "0")
    values = {**{k: _literal(v) for k, v in f.items()}, "pc": hex(pc)}
    sem = _FIELD_RE.sub(lambda m: values[m.group(1)], sem)
    for pattern, repl in _SIMPLIFY:
        sem = pattern.sub(repl, sem)
    return sem


_COND_RE = re.compile(r"^npc = .* if (.*) else .*$")


# base register, lowest offset, highest end, alignment mask, has loads, has stores
Check = tuple[int, int, int, int, bool, bool]


def _shared_checks(insns: list[Insn], written: set[int], mapped: bool
                   ) -> tuple[dict[int, int], dict[int, list[Check]], list[Check]]:
    """RAM accesses off one base register with no write to it in between (a stack frame,
    a copy loop's unrolled body) share one range and alignment check: the first of them
    checks the whole window [x + lowest offset, x + highest end) at once, and each
    access then only tests the flag.  Returns the member accesses (index -> base
    register), the checks to make before an index, and those to make on entry (bases
    the block never writes).  Accesses whose offset is not a multiple of their size
    (misaligned whenever the base is aligned) keep checks of their own.  In mapped code
    loads and stores look up different dicts, so they make separate windows."""
    gen: dict[int, int] = {}
    groups: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for k, insn in enumerate(insns):
        f = insn.f
        size = _SIZE.get(insn.name)
        rs1 = f.get("rs1", 0)
        if size and rs1 and f["imm"] % size == 0:
            kind = mapped and insn.name in _LOADS
            groups.setdefault((rs1, gen.get(rs1, 0), kind), []).append((k, f["imm"], size))
        rd = f.get("rd", 0)
        if rd:
            gen[rd] = gen.get(rd, 0) + 1
    member: dict[int, int] = {}
    before: dict[int, list[Check]] = {}
    entry: list[Check] = []
    for (b, _, _), accesses in groups.items():
        if len(accesses) < 2:
            continue
        kinds = {insns[k].name in _LOADS for k, _, _ in accesses}
        check = (b, min(i for _, i, _ in accesses), max(i + n for _, i, n in accesses),
                 max(n for _, _, n in accesses) - 1, True in kinds, False in kinds)
        for k, _, _ in accesses:
            member[k] = b
        if b in written:
            before.setdefault(accesses[0][0], []).append(check)
        else:
            entry.append(check)
    return member, before, entry


def _check_lines(check: Check, ram_base: int, ram_size: int, mapped: bool) -> list[str]:
    """The shared check of a window of accesses off x<b>.  Physical: s<b> is the RAM
    offset of x<b> (unwrapped: a window that wraps around 2**32 lies outside RAM) and
    f<b> says every access of the window is in RAM and aligned.  Mapped: the window
    must lie in one page, aligned, with that page in the MMU's RAM fast path for loads
    (m<b> = RAM offset of x<b>) and for stores (n<b>), else m<b>/n<b> are None."""
    b, lo, hi, align, loads, stores = check
    aligned = f" and not x{b} & {align}" if align else ""
    if not mapped:
        flag = f"f{b} = 0 <= s{b} + ({lo}) and s{b} + ({hi}) <= {ram_size:#x}"
        return [f"s{b} = x{b} + ({-ram_base})", flag + aligned]  # RAM base is page-aligned
    lines = [f"p{b} = (x{b} + ({lo})) >> 12",
             f"w{b} = (x{b} + ({hi - 1})) >> 12 == p{b}{aligned}"]
    for var, get, used in (("m", "LT", loads), ("n", "ST", stores)):
        if used:
            lines += [f"{var}{b} = {get}(p{b}) if w{b} else None",
                      f"{var}{b} = None if {var}{b} is None else {var}{b} + x{b}"]
    return lines


def generate(insns: list[Insn], ram_base: int, ram_size: int, mapped: bool = False,
             at: list[int] | None = None, prologue: str = "") -> str:
    """Python source of `def b_<pc>(h, X, ic, end) -> next pc` for a scanned block; with
    mapped, its loads and stores go through the MMU's RAM fast path (`Mmu.fast`).  `at`,
    if given, receives the instruction index of each source line (0 for the entry lines:
    nothing of the block has run there), which tells the dispatcher where an exception
    was raised."""
    start = insns[0].pc
    n = len(insns)
    loop = is_loop(insns)
    g = _Gen(loop, {i.f["rd"] for i in insns if i.f.get("rd")})
    member, before, entry = _shared_checks(insns, g.all_written, mapped)
    finished = False
    # an open inlined if: last index, length, registers written, lines before its body
    region: tuple[int, int, set[int], int] | None = None
    for k, insn in enumerate(insns):
        pc, op, f = insn.pc, insn.op, insn.f
        if region is not None and k > region[0]:
            _close(g, region)
            region = None
        g.k = k
        nxt = pc + op.length
        base = insn.name
        for check in before.get(k, ()):
            for line in _check_lines(check, ram_base, ram_size, mapped):
                g.use(line.partition(" = ")[2])
                g.emit(line)
        rs1 = f.get("rs1", 0)
        imm = f.get("imm", 0)
        addr = f"(x{rs1} + {_literal(imm)}) & {MASK:#x}" if rs1 else hex(imm & MASK)
        if imm == 0 and rs1:
            addr = f"x{rs1}"
        # RAM offset of the address without its wrap to 32 bits: when x + imm wraps, the
        # unwrapped offset is negative or >= 2 GiB, outside RAM, and the slow path (which
        # wraps) runs, so the fast path needs no mask.
        offset = f"x{rs1} + ({imm - ram_base})" if rs1 else hex((imm & MASK) - ram_base)
        if mapped:
            # Through the MMU's RAM fast path: one dict lookup gives the page's delta, or
            # None (not cached yet, not RAM, misaligned or wrapped address: x + imm out
            # of 0..2**32-1 is no page number) and the checking accessor does it all.
            vaddr = f"x{rs1} + ({imm})" if rs1 and imm else addr
            fast_o = "(a + d)"
            align_on = "a"
        else:
            vaddr = addr
            fast_o = "o"
            align_on = "o"
        if base in _LOADS:
            rd = f.get("rd", 0)
            dst = f"x{rd}" if rd else "_"
            g.use(addr)
            align, read = _LOADS[base]
            align = re.sub(r"\bo\b", align_on, align)
            read = re.sub(r"\bo\b", fast_o, read)
            grouped = k in member
            if grouped:
                b = member[k]
                var = f"m{b}" if mapped else f"s{b}"
                g.emit(f"if m{b} is not None:" if mapped else f"if f{b}:")
                read = re.sub(r"\bo\b", f"({var} + {_literal(imm)})" if imm else var,
                              _LOADS[base][1])
            elif mapped:
                g.emit(f"a = {vaddr}")
                g.emit("d = LT(a >> 12)")
                g.emit(f"if d is not None{' and ' + align if align else ''}:")
            else:
                g.emit(f"o = {offset}")
                g.emit(f"if 0 <= o < {ram_size:#x}{' and ' + align if align else ''}:")
            g.emit(f"{dst} = {read}", 1)
            g.emit("else:")
            g.emit(f"a = {addr}", 1)
            g.writeback(1)
            g.emit(f"h.instret = ic + {k}", 1)
            g.emit(f"{dst} = h.{base}(a)", 1)
            g.wrote(rd)
            g.emit("if h.ending:", 1)
            g.exit(2, k + 1, f"{nxt:#x} | 1")
            continue
        if base in _STORES:
            rs2 = f.get("rs2", 0)
            v = f"x{rs2}" if rs2 else "0"
            g.use(addr)
            g.use(v)
            align, write, size = _STORES[base]
            align = re.sub(r"\bo\b", align_on, align)
            grouped = k in member
            if grouped:
                b = member[k]
                var = f"n{b}" if mapped else f"s{b}"
                g.emit(f"if n{b} is not None:" if mapped else f"if f{b}:")
                g.emit(f"o = {var} + {_literal(imm)}" if imm else f"o = {var}", 1)
            elif mapped:
                g.emit(f"a = {vaddr}")
                g.emit("d = ST(a >> 12)")
                g.emit(f"if d is not None{' and ' + align if align else ''}:")
                g.emit("o = a + d", 1)
            else:
                g.emit(f"o = {offset}")
                g.emit(f"if 0 <= o < {ram_size:#x}{' and ' + align if align else ''}:")
            g.emit(write.format(v=v), 1)
            g.emit(f"if cw[o >> 2] or watch[o >> {PAGE_BITS}]:", 1)
            g.emit(f"a = o + {ram_base:#x}", 2)
            g.writeback(2)
            # The store has landed; a device watching the page (HTIF) may end the run
            # (then, as with the interpreter, this store does not count as retired).
            g.emit(f"h.instret = ic + {k}", 2)
            g.emit(f"ON_STORE(h, a, {size})", 2)
            g.emit(f"h.instret = ic + {k + 1}", 2)
            g.emit("if h.ending:", 2)
            g.emit(f"return {nxt:#x} | 1", 3)
            g.emit("else:")
            g.emit(f"a = {addr}", 1)
            g.writeback(1)
            g.emit(f"h.instret = ic + {k}", 1)
            g.emit(f"h.{base}(a, {v})", 1)
            g.emit("if h.ending:", 1)
            g.emit(f"h.instret = ic + {k + 1}", 2)
            g.emit(f"return {nxt:#x} | 1", 2)
            continue
        target = insn.jump_target()
        if target is not None:
            last = k == n - 1
            if base in JUMPS:
                rd = f.get("rd", 0)
                if rd:
                    g.emit(f"x{rd} = {nxt:#x}")
                    g.wrote(rd, nxt)
                if not last:
                    continue
                cond = "True"
                after = hex(target)
            else:
                m = _COND_RE.match(_spliced(op, f, pc))
                assert m, op.name
                cond = g.fold(m.group(1))
                g.use(cond)
                after = hex(nxt)
            if last and loop:
                g.emit(f"if {cond}:")
                g.emit(f"ic += {n}", 1)
                g.emit(f"if ic + {n} <= end:", 1)
                g.emit("continue", 2)
                g.exit(1, 0, hex(start))
            elif base in JUMPS:
                g.exit(0, k + 1, hex(target))
                finished = True
                break
            elif insn.skip:
                # Not taken: the instructions up to the target run, inside the if; taken,
                # they do not retire, so the count goes back by as many (_close).
                skip = insn.skip
                g.emit(f"if not ({cond}):")
                g.depth += 1
                region = (k + skip, skip, {i.f.get("rd", 0) for i in insns[k + 1:k + 1 + skip]},
                          len(g.lines))
            elif not last and insns[k + 1].pc == target != nxt:
                g.emit(f"if not ({cond}):")  # the trace goes on at the target
                g.exit(1, k + 1, hex(nxt))
            else:
                g.emit(f"if {cond}:")  # a side exit
                g.exit(1, k + 1, hex(target))
            if last:
                g.exit(0, k + 1, after)
                finished = True
            continue
        sem = _spliced(op, f, pc)
        calls = "h." in sem or "raise" in sem
        if calls:  # it can trap, read the counters or end the batch: state must be exact
            g.writeback()
            g.emit(f"h.instret = ic + {k}")
        for part in sem.split("; "):
            lhs, eq, rhs = part.partition(" = ")
            if part == "pass" or (lhs == "_" and not calls):
                continue  # fence; a write to x0 with no side effect
            value = None
            if eq and lhs.startswith("x") and not calls:
                rhs = g.fold(rhs)
                part = f"{lhs} = {rhs}"
                if re.fullmatch(r"0x[0-9a-f]+", rhs):
                    value = int(rhs, 16)
            g.use(rhs if eq else part)
            if value is not None and g.lines and re.fullmatch(
                    rf"{'    ' * g.depth}{lhs} = 0x[0-9a-f]+", g.lines[-1]):
                g.lines.pop()  # `lui` then `addi` on one register (li): one constant
            g.emit(part)
            if eq and lhs.startswith("x"):
                g.wrote(int(lhs[1:]), value)
        control = is_control(op)
        if calls and goes_on_after_call(op):
            g.emit("if h.ending:")
            g.exit(1, k + 1, f"{nxt:#x} | 1")
        elif control or calls:
            ret = "npc" if control else hex(nxt)
            g.exit(0, k + 1, f"{ret} | 1" if calls else ret)
            finished = True
    if region is not None:
        _close(g, region)
    if not finished:
        g.exit(0, n, hex(insns[-1].pc + insns[-1].op.length))
    head = [f"def b_{start:x}(h, X, ic, end):"]
    if prologue:  # statements run on entry (the profile's block hook, the native tier's heat)
        head += ["    " + line for line in prologue.splitlines()]
    loads = g.read | g.all_written if loop else g.read | g.entry
    head += [f"    x{r} = X[{r}]" for r in sorted(loads)]
    head += ["    " + line for check in entry
             for line in _check_lines(check, ram_base, ram_size, mapped)]
    if loop:
        head.append("    while True:")
    if at is not None:
        at[:] = [0] * len(head) + g.at
    return "\n".join(head + g.lines) + "\n"


def _close(g: _Gen, region: tuple[int, int, set[int], int]) -> None:
    """End an inlined if (see scan): on the path that skipped its instructions the count
    is `skip` lower from here on.  What they wrote is not a known constant any more, and
    must hold a value on either path: such registers are loaded on entry."""
    _, skip, written, body = region
    if len(g.lines) == body:  # only fences or writes to x0: nothing to run
        g.emit("pass")
    g.depth -= 1
    g.emit("else:")
    g.emit(f"ic -= {skip}", 1)
    for r in written:
        g.consts.pop(r, None)
        if r:
            g.entry.add(r)



class PyCodegen:
    """Python functions for the blocks of one translator (blocks.Codegen)."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        h = tr.h
        fast = h.mmu.fast
        self.namespace: dict[str, Any] = {
            "Trap": Trap, **HELPERS, "ram": h.ram, "r16": h.r16, "r32": h.r32,
            "cw": tr.words, "watch": h.watch_pages, "ON_STORE": inlined_store,
            "LT": fast[LOAD].get, "ST": fast[STORE].get,
        }

    def compile(self, insns: list[Insn], space: Space, key: int, pc: int, prologue: str = ""
                ) -> Callable[..., int]:
        """The block's function; `prologue`: statements it runs first."""
        tr = self.tr
        h = tr.h
        at: list[int] = []
        watch = tr.watch
        hook = prologue
        if watch is not None:
            # Tell the profile when the hart comes into this function, to a function's
            # entry (perhaps its own: recursion) or to the top frame's return address;
            # after the prologue, which may return with nothing run (the block is
            # replaced), so that the profile is told once.
            fid = watch.function(pc)
            hook = (f"{prologue}\nBLOCK({pc}, ic)" if fid == pc else
                    f"{prologue}\nif WATCH.fid != {fid} or WATCH.ret == {pc}:\n"
                    f"    BLOCK({pc}, ic)")
        src = generate(insns, h.ram_base, len(h.ram), space.mapped, at, hook)
        name = f"<rvirt block {pc:#010x}>"
        ns = self.namespace
        ns["WATCH"] = watch
        ns["BLOCK"] = None if watch is None else watch.enter
        exec(compile(src, name, "exec"), ns)  # noqa: S102 - generated from the table
        fn: Callable[..., int] = ns.pop(f"b_{pc:x}")
        fn.source = src  # type: ignore[attr-defined]
        fn.at = at  # type: ignore[attr-defined]
        return fn

    def drop(self, fn: Callable[..., int]) -> None:
        pass  # a dropped function is simply no longer found

    def flush(self) -> None:
        pass

    def stats(self) -> dict[str, Any]:
        return {}

    def between_batches(self) -> None:
        pass


class PyTranslator(Translator):
    """The translator of `-accel tcg`: blocks made into Python functions."""

    def make_codegen(self) -> Codegen:
        return PyCodegen(self)
