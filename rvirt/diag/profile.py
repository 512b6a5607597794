"""The profile (`-profile FILE`): where the instructions went, by call stack.

Functions are found by the ELF's code symbols while the guest runs (no DWARF is read per
block) and named as gdb names them when the profile is written.  Stacks follow the
calling convention as the code runs: a jump to a function's entry with ra just set to a
return point in the caller is a call, one with ra untouched a tail call; arriving at a
frame's return address is a return.  Traps and interrupts are frames
of their own ("[interrupt m_timer]"), left at mret/sret.  The machine reports each block
as it enters it (translated blocks through a one-line prologue; cold code before the
interpreter runs it), and blocks never span two functions, so counting instret between
entries is exact: the folded counts sum to the instructions retired.

Written when the run ends, in the format the file's suffix asks for: `.folded`
(flamegraph.pl / speedscope: `a;b;c COUNT`), `.svg` (a flame graph, rvirt.diag.flame),
`.txt` (the top functions by self and total count).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.diag.log import trap_name
from rvirt.errors import RvirtError

if TYPE_CHECKING:
    from rvirt.board.virt import Machine
    from rvirt.cpu.hart import Hart

FORMATS = (".folded", ".svg", ".txt")
RA = 1


# A frame: (name, fid, ret, key).  fid is the function's entry address (its identity), -1
# for a trap frame; ret is where its caller expects it back (None: not a call); key is
# the folded stack up to and including it, so moving between frames costs no joining.
Frame = tuple[str, int, "int | None", str]
TRAP = -1


def check_path(path: str) -> None:
    """-profile FILE: a suffix rvirt can write, in a folder that exists."""
    p = Path(path)
    if p.suffix not in FORMATS:
        raise RvirtError(f"-profile {path}: the file name must end in .folded, .svg or .txt")
    if not p.parent.is_dir():
        raise RvirtError(f"-profile {path}: no such directory '{p.parent}'")


class Profile:
    """Counts per call stack for one machine."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.counts: Counter[str] = Counter()
        self.frames: list[Frame] = []
        self.key = ""  # the current stack, folded
        self.fid = -2  # the function the hart is in now
        self.last = 0  # instret when the counts were last brought up to date
        self.trapped = False  # a trap frame was just pushed: the next function is its handler
        self._fid: dict[int, int] = {}  # pc -> function entry
        self._names: dict[int, str] = {}  # function entry -> name
        self._entries: set[int] = set()  # real function entries (not unknown code)

    def attach(self) -> None:
        m = self.m
        m.chunk_hooks.append(self.chunk)
        m.translate_with_hooks = True
        m.profile = self
        h = m.hart
        h.trap_hooks.append(self.trap)
        h.xret_hooks.append(self.xret)

    # --- functions ----------------------------------------------------------------------
    def function(self, pc: int) -> int:
        """The entry address of the function holding pc (its identity)."""
        fid = self._fid.get(pc)
        if fid is None:
            f = next((f for info in self.m.debug_infos
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
        """A block at pc starts with instret = ic."""
        fid = self._fid.get(pc)
        if fid is None:
            fid = self.function(pc)
        if fid != self.fid:
            self._move(pc, fid, ic)

    def chunk(self, pc: int, count: int) -> None:
        """The interpreter is about to run `count` instructions of cold code at pc."""
        self.enter(pc, self.m.hart.instret)

    def _flush(self, ic: int) -> None:
        if ic > self.last:
            self.counts[self.key] += ic - self.last
        self.last = ic

    def _push(self, name: str, fid: int, ret: int | None) -> None:
        """`name` is the frame's token in the folded key: the function's entry in hex
        (named only when the profile is written), or a trap frame's own name."""
        frames = self.frames
        key = f"{frames[-1][3]};{name}" if frames else name
        frames.append((name, fid, ret, key))
        self.key, self.fid = key, fid

    def _replace(self, name: str, fid: int) -> None:
        """A tail call or a jump: the top frame becomes fid, returning where it did."""
        frames = self.frames
        ret = frames.pop()[2]
        self._push(name, fid, ret)

    def _pop_to(self, depth: int) -> None:
        del self.frames[depth:]
        top = self.frames[-1] if self.frames else None
        self.key, self.fid = (top[3], top[1]) if top else ("", -2)

    def _move(self, pc: int, fid: int, ic: int) -> None:
        if ic > self.last:
            self.counts[self.key] += ic - self.last
            self.last = ic
        frames = self.frames
        name = f"{fid:x}"
        if self.trapped:  # the handler of the trap just taken
            self.trapped = False
            self._push(name, fid, None)
            return
        n = len(frames)
        if n > 1 and frames[-1][2] == pc and frames[-2][1] == fid:
            self._pop_to(n - 1)  # a return, the usual case
            return
        for i in range(n - 2, 0, -1):  # a return past tail calls and deeper frames
            if frames[i][1] == TRAP:
                break
            if frames[i][2] == pc and frames[i - 1][1] == fid:
                self._pop_to(i)
                return
        if not frames:
            self._push(name, fid, None)
            return
        top = frames[-1]
        if pc == fid and pc in self._entries:
            ra = self.m.hart.x[RA]
            if ra != top[2] and top[1] >= 0 and self.function(ra - 2) == top[1]:
                self._push(name, fid, ra)  # a call: ra points back into the caller
                return
        self._replace(name, fid)  # a tail call, or a jump into another function

    def trap(self, h: Hart, cause: int, tval: int, interrupt: bool) -> None:
        self._flush(h.instret)
        kind = "interrupt" if interrupt else "exception"
        self._push(f"[{kind} {trap_name(cause, interrupt)}]", TRAP, None)
        self.trapped = True

    def xret(self, h: Hart, pc: int) -> None:
        """mret/sret: back to where the trap came from (the xRET itself is counted there)."""
        self._flush(h.instret)
        frames = self.frames
        for i in range(len(frames) - 1, -1, -1):
            if frames[i][1] == TRAP:
                self._pop_to(i)
                break
        self.trapped = False

    def finish(self) -> Counter[str]:
        """The counts up to now, by folded stack of function names: they sum to the
        instructions retired.  Functions are named as gdb names them (DWARF), read now,
        once, for the functions that ran; else by their demangled symbol."""
        self._flush(self.m.hart.instret)
        names: dict[str, str] = {}
        for fid, fallback in self._names.items():
            f = self.m.function_at(fid) if fid in self._entries else None
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
