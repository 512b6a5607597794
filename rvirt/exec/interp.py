"""The reference interpreter: decode once per distinct instruction word into a closure
generated from the table, then fetch -> look up -> call, one instruction at a time.

Closures are cached by instruction bits (not address), so self-modifying code and
`fence.i` need no invalidation here.  Each closure takes (hart, x, pc) and returns the
next pc.  Traps raised inside are caught in one place (`execute`), which enters the trap
handler with the faulting pc.
"""

from __future__ import annotations

from collections.abc import Callable, Container

from rvirt.cpu.hart import Hart, WatchHit
from rvirt.cpu.mmu import FETCH
from rvirt.cpu.trap import ILLEGAL, Trap
from rvirt.exec.semantics import HELPERS, is_control, statement
from rvirt.isa.decode import decode
from rvirt.isa.table import Op

Insn = Callable[[Hart, list[int], int], int]


def _factory_source(op: Op) -> str:
    params = ", ".join(op.fields) if op.fields else ""
    body = statement(op).replace("; ", "\n        ")
    ret = "npc" if is_control(op) else f"pc + {op.length}"
    fn = "op_" + op.name.replace(".", "_")
    lines = [f"def make_{fn}({params}):"]
    if "rd" in op.fields:
        lines.append("    RD = rd or 32")
    lines += [
        f"    def {fn}(h, X, pc):",
        f"        {body}",
        f"        return {ret}",
        f"    return {fn}",
    ]
    return "\n".join(lines) + "\n"


_NAMESPACE: dict[str, object] = {"Trap": Trap, **HELPERS}
# An op's factory is compiled when an instruction of it is first decoded, not for the
# whole table at import: compiling them all cost every start-up ~10 ms, and a run
# meets a few dozen ops.
FACTORIES: dict[str, Callable[..., Insn]] = {}
CACHE: dict[int, Insn] = {}


def factory(op: Op) -> Callable[..., Insn]:
    """The function that makes op's closure from its fields, compiled on first use."""
    make = FACTORIES.get(op.name)
    if make is None:
        src = _factory_source(op)
        exec(compile(src, f"<rvirt semantics {op.name}>", "exec"), _NAMESPACE)  # noqa: S102
        make = FACTORIES[op.name] = _NAMESPACE["make_op_" + op.name.replace(".", "_")]  # type: ignore[assignment]
    return make


def compile_insn(w: int) -> Insn:
    """The closure for instruction bits w (raises an illegal-instruction Trap)."""
    found = decode(w)
    if found is None:
        raise Trap(ILLEGAL, w)
    op, f = found
    fn = factory(op)(**f)
    CACHE[w] = fn
    return fn


def execute(h: Hart, n: int, breakpoints: Container[int] = (), check_first: bool = False
            ) -> tuple[str, int] | None:
    """Run up to n instructions on h.  Returns None when the budget ran out, the batch was
    ended (interrupt check, wfi) or a trap was taken; ("breakpoint", pc) when pc reached a
    breakpoint before executing it; (kind, addr) for a watchpoint hit before the access.
    The first instruction is stopped by a breakpoint only with check_first (a resume
    from a breakpoint address must make progress; a later batch must not skip one).
    """
    X = h.x
    cache = CACHE
    base = h.ram_base
    # A 4-byte fetch at o needs o + 4 <= len: o < len - 2 and even.  fetch_limit is 0
    # while fetches are translated or PMP-checked: then every fetch goes to fetch_slow.
    limit = h.fetch_limit
    r16 = h.r16
    r32 = h.r32
    fetch_slow = h.fetch_slow
    # Translated or PMP-checked fetches (limit 0) first look in the MMU's fetch fast path,
    # as the plain fetch_slow does (a page checked whole before, Mmu.remember); an
    # instruction that could run into the next page, and every fetch while triggers
    # watch them (fetch_slow is then theirs), take fetch_slow's path.
    ffget = (h.mmu.fast[FETCH].get if limit <= 0 and fetch_slow is h.fetch_plain
             else {}.get)
    pc = h.pc
    w = 0
    it = iter(range(n))
    h.begin_batch(it, n)
    check = bool(breakpoints)  # one cheap local test per instruction when none are set
    try:
        for _ in it:
            if check and pc in breakpoints and (check_first or
                                                it.__length_hint__() != n - 1):
                # not executed: this slot of the batch does not count as retired
                h.finish_batch(h.batch_count(False))
                h.pc = pc
                return ("breakpoint", pc)
            o = pc - base
            if 0 <= o < limit:
                if o & 3:
                    w = r16[o >> 1]
                    if w & 3 == 3:
                        w |= r16[(o >> 1) + 1] << 16
                else:
                    w = r32[o >> 2]
                    if w & 3 != 3:
                        w &= 0xFFFF
            elif (d := ffget(pc >> 12)) is not None and pc & 0xFFE != 0xFFE:
                o = pc + d
                w = r16[o >> 1]
                if w & 3 == 3:
                    w |= r16[(o >> 1) + 1] << 16
            else:
                w = fetch_slow(pc)
            fn = cache.get(w)
            if fn is None:
                fn = compile_insn(w)
            pc = fn(h, X, pc)
    except Trap as t:
        h.finish_batch(h.batch_count(False))
        h.pc = pc
        h.take_trap(t.cause, t.tval_for(w))  # an illegal one's bits (QEMU 7.2)
        return None
    except WatchHit as wh:
        h.finish_batch(h.batch_count(False))
        h.pc = pc
        return (wh.kind, wh.addr)
    except BaseException:
        h.finish_batch(h.batch_count(False))
        h.pc = pc
        raise
    h.finish_batch(h.batch_count(True))
    h.pc = pc
    return None
