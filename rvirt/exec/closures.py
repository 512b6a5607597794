"""Closure blocks: the first tier of `-accel native`, made without `compile()`.

A scanned block (rvirt.exec.blocks) becomes the list of the interpreter's own closures
for its instructions (rvirt.exec.interp, cached by instruction bits), run one after the
other by one generic loop.  Making one costs a few tens of microseconds, where generating
and compiling a Python block costs milliseconds: Linux's boot makes thousands of blocks
that run a few hundred times each, and spent a third of its time making Python blocks
that then ran for less than a tenth of it.  A closure block skips the interpreter's
fetch, its decode-cache lookup and its batch bookkeeping; the hot few of them become
native code (rvirt.exec.native), and a hot block native code cannot take (a trap handler
that starts with a CSR access) becomes a Python block then.

The block follows its trace (the scan's path): after each instruction the next pc is
compared with the trace's next instruction; a forward branch inlined as an if
(`Insn.skip`) goes on after what it skips, a loop's back edge goes round again while a
whole iteration fits in the budget, and any other pc leaves the block.  State is exact
where the Python tier keeps it exact: instret is written before every instruction that
calls the hart (it may trap, read a counter or end the batch), and after one that goes
on the block looks at `h.ending`.  A trap is taken here, as a native block's side exit
takes it, so the dispatcher never needs a line map (`at` is None).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rvirt.cpu.trap import Trap
from rvirt.exec import interp
from rvirt.exec.blocks import SIDE_EXIT_CODES, Insn, is_loop
from rvirt.exec.semantics import statement
from rvirt.isa.table import goes_on_after_call
from rvirt.isa.table import kind as row_kind

PLAIN, GOES_ON, ENDS = 0, 1, 2  # what an instruction does with the hart (see `_kind`)


def _kind(insn: Insn) -> int:
    """PLAIN: registers and pc only; GOES_ON: calls the hart (a load, a store, a CSR, an
    AMO) and the block may go on after it unless the batch was ended; ENDS: the block
    returns to the dispatcher after it (an xRET, ecall, fence.i...), as a Python block
    does."""
    op = insn.op
    kind = _KINDS.get(op.name)
    if kind is None:
        sem = statement(op)
        kind = _KINDS[op.name] = (
            PLAIN if "h." not in sem and "raise" not in sem else
            GOES_ON if goes_on_after_call(op) or row_kind(op) in ("load", "store") else
            ENDS)
    return kind


_KINDS: dict[str, int] = {}


def make_block(insns: list[Insn], heat: list[int], slot: int,
               promote: Callable[[int], bool]) -> Callable[..., int]:
    """The closure block of insns: fn(h, X, ic, end) -> next pc, as a Python block
    (`pc | 1` asks the dispatcher to look: the batch was ended, a trap was taken, or the
    block was replaced).  On each entry it counts down heat[slot]; at zero it calls
    promote(slot), and returns with nothing run when that put native code in its place."""
    cache = interp.CACHE
    compile_insn = interp.compile_insn
    n = len(insns)
    start = insns[0].pc
    loop = is_loop(insns)
    steps = []
    for k, insn in enumerate(insns):
        fn = cache.get(insn.bits) or compile_insn(insn.bits)
        # The trace's next instruction, then the other way on: after the instructions
        # an inlined if skips (its index n: the block ends there), or a loop's start.
        nxt = insns[k + 1].pc if k + 1 < n else -1
        alt, alt_i = -1, -1
        if insn.skip:
            alt_i = k + insn.skip + 1
            alt = insns[alt_i].pc if alt_i < n else insn.jump_target()  # type: ignore[assignment]
        elif loop and k == n - 1:
            alt, alt_i = start, 0
        steps.append((fn, insn.pc, nxt, _kind(insn), alt, alt_i))
    table = tuple(steps)
    # Where the path can start again: at the top (a loop) and after what an inlined if
    # skips, each the rest of the table from there, run by a `for`.
    rest = {i: table[i:] for i in {0, *(alt_i for *_, alt_i in table if 0 < alt_i < n)}}
    bits = {insn.pc: insn.bits for insn in insns}

    def run(h: Any, X: list[int], ic: int, end: int) -> int:
        left = heat[slot] - 1
        heat[slot] = left
        if not left and promote(slot):
            h.instret = ic
            return start | 1
        c = 0  # instructions retired in this entry
        pc = start
        npc = start
        steps = table
        try:
            while True:
                # (alt and alt_i are read after the loop: those of the step that left)
                for fn, pc, nxt, kind, alt, alt_i in steps:  # noqa: B007
                    if kind:
                        h.instret = ic + c
                        npc = fn(h, X, pc)
                        c += 1
                        if kind == ENDS or h.ending:
                            h.instret = ic + c
                            return npc | 1  # type: ignore[no-any-return]
                    else:
                        npc = fn(h, X, pc)
                        c += 1
                    if npc != nxt:  # (the last step's nxt is -1: always)
                        break
                # Off the trace: after an inlined if, or round the loop again if a whole
                # iteration fits the budget; else out of the block.
                if npc == alt and (0 < alt_i < n or not alt_i and ic + c + n <= end):
                    steps = rest[alt_i]
                    continue
                h.instret = ic + c
                return npc
        except Trap as t:
            # As the interpreter takes it: pc and instret at the instruction, which does
            # not retire; then the machine's turn.
            h.instret = ic + c
            h.pc = pc
            h.take_trap(t.cause, t.tval_for(bits[pc]))  # an illegal one's bits (QEMU 7.2)
            h.ending = True
            return h.pc | 1  # type: ignore[no-any-return]
        except BaseException:
            h.instret = ic + c
            h.pc = pc
            raise

    SIDE_EXIT_CODES.add(run.__code__)  # its `pc` is the instruction it runs (executing_pc)
    run.at = None  # type: ignore[attr-defined]
    run.closures = True  # type: ignore[attr-defined]
    return run

