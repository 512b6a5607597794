"""The profile (`-profile FILE`): where the instructions went, by call stack.

Functions are found by the ELF's code symbols while the guest runs (no DWARF is read per
block) and named as gdb names them when the profile is written.  Stacks follow the
calling convention as the code runs: a jump to a function's entry with ra just set to a
return point in the caller is a call, one with ra untouched a tail call; arriving at a
frame's return address is a return.  A function that calls itself gets a frame per call,
as perf shows recursion (`main;fib;fib;fib`): its entry reached with ra just after a
call of it in it is a call, its frame's return address reached by a `ret` (ra = pc) a
return; anything else within one function (loops, jumps, a jump back to its entry,
which leaves ra as it was) leaves the stack as it is.  Frames deeper than MAX_DEPTH are
counted in the frame at that depth.  Traps and interrupts are frames of their own
("[interrupt m_timer]"), left at mret/sret.  The machine reports each block that starts in another
function than the profile's, at a function's entry, or at the top frame's return address
(Python blocks through a prologue; cold code before the interpreter runs it; native
blocks move the stack themselves through the moves this profile has computed,
rvirt.exec.native.WatchTables), and blocks never span two functions nor run through a
function's entry, so counting instret between entries is exact: the folded counts sum to
the instructions retired, on every tier.

Written when the run ends, in the format the file's suffix asks for: `.folded`
(flamegraph.pl / speedscope: `a;b;c COUNT`), `.svg` (a flame graph, rvirt.diag.flame),
`.txt` (the top functions by self and total count).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rvirt.board import memmap as MM
from rvirt.debug.infos import debug_infos
from rvirt.diag.log import trap_name
from rvirt.errors import RvirtError
from rvirt.isa.decode import XLEN, decode

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.cpu.hart import Hart

FORMATS = (".folded", ".svg", ".txt")
RA = 1


TRAP = -1  # the fid of a trap frame
# Frames deeper than this share the key of the frame at this depth (perf keeps 127 by
# default, kernel.perf_event_max_stack): deep recursion costs a frame object per level,
# not a key as long as the stack.
MAX_DEPTH = 127


class Frame:
    """A frame on the stack, shared by every stack that has the same frames below it:
    frames are made once (interned) and never change, so a stack is its top frame, and a
    move between two stacks can be remembered by the frame it left (`moves`)."""

    __slots__ = ("fid", "ret", "key", "parent", "idx", "depth", "moves", "count")

    def __init__(self, fid: int, ret: int, key: str, parent: Frame | None, idx: int) -> None:
        self.fid = fid  # the function's entry address (its identity), TRAP for a trap
        self.ret = ret  # where its caller expects it back (-1: not entered by a call)
        self.key = key  # the folded stack up to and including it (tokens, see _frame)
        self.parent = parent
        self.idx = idx  # its index in Profile.frames (native code's name for it)
        self.depth = 1 if parent is None else parent.depth + 1
        # pc << 32 | ra -> the stack after the hart came to pc with this ra: a call site,
        # a return or a tail call seen once is a dict lookup from then on
        self.moves: dict[int, Frame] = {}
        self.count = 0  # instructions retired with this stack (Python's count)


def check_path(path: str) -> None:
    """-profile FILE: a suffix rvirt can write, in a folder that exists."""
    p = Path(path)
    if p.suffix not in FORMATS:
        raise RvirtError(f"-profile {path}: the file name must end in .folded, .svg or .txt")
    if not p.parent.is_dir():
        raise RvirtError(f"-profile {path}: no such directory '{p.parent}'")


class Profile:
    """Counts per call stack for one machine."""

    def __init__(self, m: Board) -> None:
        self.m = m
        self.counts: Counter[str] = Counter()  # what ran before the first frame
        self.top: Frame | None = None  # the stack now
        self.fid = -2  # the function the hart is in now
        self.ret = -1  # where the top frame returns to (-1: nowhere known)
        self.last = 0  # instret when the counts were last brought up to date
        self.trapped = False  # a trap frame was just pushed: the next function is its handler
        self._fid: dict[int, int] = {}  # pc -> function entry
        self._names: dict[int, str] = {}  # function entry -> name
        self._entries: set[int] = set()  # real function entries (not unknown code)
        self._frames: dict[tuple[int, int, int, str], Frame] = {}
        self.frames: list[Frame] = []  # by index
        # The native tier's copy of the moves, and what it counted (WatchTables), set by
        # the native tier when it compiles the first profiled block.
        self.tables: Any = None
        self._x = m.hart.x  # the registers (the list stays the hart's for good)

    def attach(self) -> None:
        m = self.m
        m.chunk_hooks.append(self.chunk)
        m.profile = self
        h = m.hart
        h.trap_hooks.append(self.trap)
        h.xret_hooks.append(self.xret)

    # --- functions ----------------------------------------------------------------------
    def function(self, pc: int) -> int:
        """The entry address of the function holding pc (its identity)."""
        fid = self._fid.get(pc)
        if fid is None:
            f = next((f for info in debug_infos(self.m)
                      if (f := info.code_symbol_at(pc)) is not None), None)
            if f is not None:
                fid = f.low
                self._names[fid] = f.name
                self._entries.add(fid)
            elif MM.MROM.base <= pc < MM.MROM.base + MM.MROM.size:
                fid = MM.MROM.base
                self._names[fid] = "[boot rom]"
            else:
                fid = pc
                self._names[fid] = f"[{pc:#x}]"
            self._fid[pc] = fid
        return fid

    # --- the machine's reports ----------------------------------------------------------
    def enter(self, pc: int, ic: int) -> None:
        """A block at pc starts with instret = ic.  Only blocks in another function, at a
        function's entry or at the top frame's return address can move the stack (see
        _next); blocks report just those (BlockWatch)."""
        fid = self._fid.get(pc)
        if fid is None:
            fid = self.function(pc)
        if fid == self.fid and pc != fid and pc != self.ret:
            return
        top = self.top
        if top is None or self.trapped:
            self._flush(ic)
            # the first frame, or the handler of the trap just taken
            self._set(self._frame(top, fid, -1, f"{fid:x}"))
            self.trapped = False
            return
        if ic > self.last:
            top.count += ic - self.last
        self.last = ic  # (instret starts again at 0 after a guest reset)
        ra = self._x[RA]
        k = pc << 32 | ra
        new = top.moves.get(k)
        if new is None:
            new = top.moves[k] = self._next(top, pc, fid, ra)
        if self.tables is not None and top.fid != TRAP:
            self.tables.learn(top.idx, pc, ra, new.idx, new.ret)
        self.top = new
        self.fid = new.fid
        self.ret = new.ret

    def chunk(self, pc: int, count: int) -> None:
        """The interpreter is about to run `count` instructions of cold code at pc."""
        self.enter(pc, self.m.hart.instret)

    def _flush(self, ic: int) -> None:
        if ic > self.last:
            if self.top is not None:
                self.top.count += ic - self.last
            else:
                self.counts[""] += ic - self.last
        self.last = ic  # (instret starts again at 0 after a guest reset)

    def _frame(self, parent: Frame | None, fid: int, ret: int, token: str) -> Frame:
        """The interned frame.  `token` names it in the folded key: the function's entry
        in hex (named only when the profile is written), or a trap frame's own name."""
        k = (id(parent), fid, ret, token)
        f = self._frames.get(k)
        if f is None:
            key = token if parent is None else (
                parent.key if parent.depth >= MAX_DEPTH else f"{parent.key};{token}")
            f = self._frames[k] = Frame(fid, ret, key, parent, len(self.frames))
            self.frames.append(f)
        return f

    def _set(self, top: Frame | None) -> None:
        self.top = top
        if top is None:
            self.fid, self.ret = -2, -1
        else:
            self.fid, self.ret = top.fid, top.ret

    def moved(self, idx: int) -> None:
        """Native code moved the stack to frame idx (and counted up to there)."""
        self._set(self.frames[idx])

    def _next(self, top: Frame, pc: int, fid: int, ra: int) -> Frame:
        """Where the stack goes when the hart arrives at pc (in function fid)."""
        if top.fid == fid:
            # Within one function only recursion moves the stack.  A call of itself: its
            # entry with ra just after a call of it in it (a loop or jump back to the
            # entry leaves ra as it was: the caller's return address, or after a call of
            # something else; from a frame called at that same place in itself the two
            # look alike, and read as a call).  A return into itself: its frame's return
            # address reached by a `ret`, which leaves ra = pc (a loop or jump there
            # rarely does).
            if pc == top.ret == ra and top.parent is not None and top.parent.fid == fid:
                return top.parent
            if (pc == fid and pc in self._entries and self.function(ra - 2) == fid
                    and self._calls(ra, pc)):
                return self._frame(top, fid, ra, f"{fid:x}")
            return top
        f: Frame | None = top
        while f is not None and f.parent is not None and f.fid != TRAP:
            if f.ret == pc and f.parent.fid == fid:
                return f.parent  # a return (maybe past frames that tail-called)
            f = f.parent
        token = f"{fid:x}"
        if (pc == fid and pc in self._entries and ra != top.ret and top.fid >= 0
                and self.function(ra - 2) == top.fid):
            return self._frame(top, fid, ra, token)  # a call: ra points back into the caller
        return self._frame(top.parent, fid, top.ret, token)  # a tail call, or a jump

    def _calls(self, ra: int, pc: int) -> bool:
        """Is the instruction that ends at ra a call of pc: a jal linking ra to pc, or a
        jalr linking ra (through a register: it may be)?"""
        for n in (2, 4):  # compressed (c.jal, c.jalr), or not
            code = self.m.read_memory(ra - n, n) if ra >= n else None
            if code is None:
                continue
            w = int.from_bytes(code, "little")
            found = decode(w) if (w & 3 == 3) == (n == 4) else None
            if found is None or found[1].get("rd") != RA:
                continue
            op, f = found
            base = op.base or op.name
            if base == "jalr" or (base == "jal" and (ra - n + f["imm"]) % (1 << XLEN) == pc):
                return True
        return False

    def trap(self, h: Hart, cause: int, tval: int, interrupt: bool) -> None:
        # retired(): the interpreter counts instret by batch, and a trap or an xRET
        # comes in the middle of one
        self._flush(h.retired())
        kind = "interrupt" if interrupt else "exception"
        self._set(self._frame(self.top, TRAP, -1, f"[{kind} {trap_name(cause, interrupt)}]"))
        self.trapped = True

    def xret(self, h: Hart, pc: int) -> None:
        """mret/sret: back to where the trap came from (the xRET itself is counted there)."""
        self._flush(h.retired())
        f = self.top
        while f is not None and f.fid != TRAP:
            f = f.parent
        if f is not None:
            self._set(f.parent)
        self.trapped = False

    def finish(self) -> Counter[str]:
        """The counts up to now, by folded stack of function names: they sum to the
        instructions retired.  Functions are named as gdb names them (DWARF), read now,
        once, for the functions that ran; else by their demangled symbol."""
        self._flush(self.m.hart.instret)
        if self.tables is not None:
            for idx, n in self.tables.take():
                self.frames[idx].count += n
        for frame in self.frames:
            if frame.count:
                self.counts[frame.key] += frame.count
                frame.count = 0
        names: dict[str, str] = {}
        for fid, fallback in self._names.items():
            f = debug_infos(self.m).function_at(fid) if fid in self._entries else None
            # `;` separates frames in the folded format: `[u8; 4]` becomes `[u8, 4]`
            names[f"{fid:x}"] = (f.name if f is not None else fallback).replace(";", ",")
        out: Counter[str] = Counter()
        for key, n in self.counts.items():
            if n:
                out[";".join(names.get(t, t) for t in key.split(";"))] += n
        return out

    # --- output -------------------------------------------------------------------------
    def write(self, path: str) -> None:
        counts = self.finish()
        suffix = Path(path).suffix
        if suffix == ".folded":
            text = folded(counts)
        elif suffix == ".txt":
            text = top_table(counts)
        else:
            from rvirt.diag.flame import flame_svg
            text = flame_svg(counts, title=f"rvirt profile: {self.m.images[0].path}"
                             if self.m.images else "rvirt profile")
        Path(path).write_text(text)


def folded(counts: Counter[str]) -> str:
    return "".join(f"{stack} {n}\n" for stack, n in sorted(counts.items()))


def top_table(counts: Counter[str], limit: int = 25) -> str:
    """The functions with the most instructions of their own (self) and under them
    (total), as percentages of all."""
    total = sum(counts.values()) or 1
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    for stack, n in counts.items():
        names = stack.split(";")
        own[names[-1]] += n
        for name in set(names):
            under[name] += n
    lines = [f"{total} instructions retired", "",
             f"{'self':>12} {'%':>6} {'total':>12} {'%':>6}  function"]
    for name, n in sorted(own.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        t = under[name]
        lines.append(f"{n:>12} {100 * n / total:>6.2f} {t:>12} {100 * t / total:>6.2f}  {name}")
    lines += ["", f"{'total':>12} {'%':>6}  function (by total)"]
    for name, t in sorted(under.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        lines.append(f"{t:>12} {100 * t / total:>6.2f}  {name}")
    return "\n".join(lines) + "\n"
