"""Native code generation for `-accel native`: a block that stays hot (a closure block,
rvirt.exec.closures, then a Python block, rvirt.exec.pygen) is compiled to machine code
by LLVM (llvmlite), from the same table statements, through one small compiler from the
statement language to LLVM IR.

The statement language is Python: `ast` parses each row's `sem` and `_Lower` lowers it
node by node (fields and pc are literals, `X[...]` a register, the semantics helpers of
rvirt.exec.semantics are lowered from their own source).  Python integers are unbounded;
the lowering computes in i64, in i128 from a product on, which holds every value the
table's expressions make (nothing exceeds 2**64 before `& MASK` or `>> XLEN`).

State: the registers, pc, privilege and instret live in one C-layout block (`State`),
copied from and to the hart's `x` list when Python enters or leaves native code; RAM is
the machine's mmap, addressed directly.  Loads and stores of physical code inline the
RAM range and alignment checks; under Sv32 or PMP (mapped blocks) they look their page
up in a C copy of the MMU's RAM fast path (`Tlb`, told of every entry and flush by the
MMU).  A store also reads the translator's word map and the device-watched pages and
leaves a store into translated code (or a watched page) to Python.  Anything else is a
side exit: the block returns the instruction's bits with pc and instret at it, and the
interpreter's closure runs that one instruction (MMIO, faults, CSRs, AMOs, ecall,
ebreak, xRET, wfi, fence.i), so traps are precise by construction and there is one
invalidation path, the translator's.

Chaining: every exit to a known or computed pc looks the pc up in a direct-mapped jump
cache (pc, or for mapped code pc and its page's RAM offset: the dispatcher's key -> entry
point) in C memory and tail-calls the block found there; each block
checks on entry that all of it fits in the budget (`end`, the next timer deadline or the
batch's end) and otherwise returns to Python, which interprets the rest exactly as the
Python tier does.

Profiled (`-profile`): blocks stay within one function, as on the Python tier, and a
block entered from another function's block, at a function's entry or at the top frame's
return address moves the profile's call stack itself, through a native copy of the
profile's move cache (WatchTables), so that calls and returns between hot functions (and
recursive ones) stay in native code; what it has not seen is Python's.
"""

from __future__ import annotations

import ast
import atexit
import ctypes
import queue
import sys
import textwrap
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from rvirt.cpu.mmu import FETCH
from rvirt.cpu.trap import Trap
from rvirt.exec import closures, interp
from rvirt.exec.blocks import SIDE_EXIT_CODES, Codegen, Insn, Space, is_loop
from rvirt.exec.codecache import CodeCache
from rvirt.exec.pygen import PyCodegen, PyTranslator
from rvirt.exec.semantics import HELPERS, statement
from rvirt.isa.table import JUMPS, LOAD_WIDTHS, STORE_WIDTHS
from rvirt.isa.xlen import MASK

# Entries of a Python block before it is compiled to native code.  A native compile
# costs about 20 ms, which a block pays back only over thousands of runs; loops, whose
# one entry runs many iterations, go at HOT >> 5.
HOT = 2048
# Cold code runs as closure blocks (rvirt.exec.closures), made in tens of microseconds, so
# a block is made at its FIRST-th execution (a Python block costs milliseconds: the other
# tiers wait for blocks.THRESHOLD); a closure block entered WARM times becomes a Python
# block.  On Linux's boot to its init this made about 800 Python blocks instead of 3,300
# and interpreted 0.7 million instructions instead of 2.1 million.
FIRST = 8
WARM = 200
LOOP_HOT = 2  # entries of a Python loop block before it is compiled
HOTTER = 4096  # entries and iterations of a first-tier native block before its optimised
# recompile
JT_BITS = 14  # jump cache entries (2**JT_BITS), indexed by pc >> 1
# Code generation levels.  The first runs SROA alone and the fast instruction selector;
# a block that stays hot is compiled again with a few more function passes (instcombine,
# CFG simplification, GVN, dead stores: on these straight-line blocks the whole O2
# pipeline took twice as long for no faster code), the optimising selector and the full
# register allocator.
OPT_FIRST = 0
OPT_HOT = 2
HOT_EXIT = 0x7F  # return code of a block that got hot (no instruction has these bits)
# Return code of a block entered (by chaining) while the profile is in another function:
# nothing of it ran, and Python tells the profile before going on there.
WATCH_EXIT = 0x7E
# State.fid when Python has just told the profile of the block it enters: the block does
# not look its move up again (it would move twice), and takes its own fid.
FRESH = -3
# Entries of a Python block whose native code the compiler thread is making, between two
# looks for it (each look also installs whatever else the thread has finished).
RECHECK = 64
# Functions loaded in one engine (a Linux boot to its prompt loads about 400, each about
# 10 KiB of memory) before the store renews it (CodeStore.renew).
MAX_LOADED = 4096

# Memory accessors of the table (`h.lw(...)`...) inlined on RAM: size, sign-extended
# (the table's facts).
_LOAD_ACC = LOAD_WIDTHS
_STORE_ACC = STORE_WIDTHS


# The host memory native code reads and writes besides the state: RAM, the translator's
# word map, the device-watched pages, the two jump caches, the copies of the MMU's fast
# path and the profile's tables.  Their addresses are fields of the state block, loaded
# once on entry, not constants of the code: the same block compiles to the same object
# code in every process, so the code cache (rvirt.exec.codecache) can keep it.
TABLES = ("ram", "words", "watch", "jump", "jump_mapped", "tlb_load", "tlb_store",
          "tlb_fetch", "moves", "counts")
_TABLE_FIELD = {name: 10 + i for i, name in enumerate(TABLES)}


class State(ctypes.Structure):
    """The hart's state as native code sees it (one per translator)."""

    _fields_ = [("x", ctypes.c_uint32 * 33), ("pc", ctypes.c_uint32),
                ("priv", ctypes.c_uint32), ("pad", ctypes.c_uint32),
                ("instret", ctypes.c_uint64), ("end", ctypes.c_uint64),
                # profiled (WatchTables): the profile's function, top frame, the
                # instret it has counted up to and where the top frame returns (-1: none)
                ("fid", ctypes.c_int64), ("frame", ctypes.c_int64), ("last", ctypes.c_uint64),
                ("ret", ctypes.c_int64)] + [(name, ctypes.c_void_p) for name in TABLES]


# The same layout in IR: x, pc, priv, pad, instret, end, fid, frame, last, ret, then the
# tables' addresses.
_STATE_T = ("{ [33 x i32], i32, i32, i32, i64, i64, i64, i64, i64, i64"
            + ", ptr" * len(TABLES) + " }")


class JumpEntry(ctypes.Structure):
    _fields_ = [("pc", ctypes.c_uint64), ("fn", ctypes.c_uint64)]


TLB_BITS = 10  # entries per access type of the native copy of the MMU's RAM fast path
_TLB_T = "{ i32, i32, i64 }"  # vpn + 1 (0: empty), pad, RAM offset minus the page's va


class TlbEntry(ctypes.Structure):
    _fields_ = [("tag", ctypes.c_uint32), ("pad", ctypes.c_uint32), ("delta", ctypes.c_int64)]


class _TlbSet:
    """One context's three tables, as C arrays and as int64 views of the same memory."""

    def __init__(self) -> None:
        self.tables = tuple((TlbEntry * (1 << TLB_BITS))() for _ in range(3))
        # The same memory as pairs of int64 (tag with its zero pad, little-endian; delta):
        # written through a memoryview, an entry costs far less than through ctypes.
        self.words = tuple(memoryview(t).cast("B").cast("q") for t in self.tables)
        # Words of the entries set since the last wipe, while few: wiping zeroes only
        # those, not all three tables.
        self.used: list[tuple[memoryview, int]] | None = []
        self.addrs = tuple(ctypes.addressof(t) for t in self.tables)

    def wipe(self) -> None:
        used = self.used
        if used is None:
            for t in self.tables:
                ctypes.memset(t, 0, ctypes.sizeof(t))
        else:
            for w, i in used:
                w[i] = 0
        self.used = []


class Tlb:
    """The MMU's RAM fast path (`Mmu.fast`: vpn -> delta per access type) as direct-mapped
    C arrays that native code reads, through the state block's table addresses; the MMU
    tells it of every entry and flush.  Like the MMU (Mmu.switch), it keeps the tables
    of the contexts left aside: a system call's change of privilege and back points the
    state at the other context's tables and back, instead of wiping and refilling them.
    Its kept contexts are always the MMU's (`switch` and `forget` follow Mmu.saved)."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state
        self.kept: dict[tuple[int, ...], _TlbSet] = {}
        self.spare: list[_TlbSet] = []  # wiped sets, for the next context
        self.cur = _TlbSet()
        self._use(self.cur)

    def _use(self, s: _TlbSet) -> None:
        self.cur = s
        if self.state is not None:
            st = self.state
            st.tlb_load, st.tlb_store, st.tlb_fetch = s.addrs

    def _retire(self, s: _TlbSet) -> None:
        s.wipe()
        self.spare.append(s)

    def set(self, acc: int, vpn: int, delta: int) -> None:
        cur = self.cur
        w = cur.words[acc]
        i = (vpn & ((1 << TLB_BITS) - 1)) << 1
        w[i] = vpn + 1
        w[i + 1] = delta
        used = cur.used
        if used is not None:
            used.append((w, i))
            if len(used) > 64:
                cur.used = None

    def load(self, acc: int, entries: dict[int, int]) -> None:
        cur = self.cur
        w = cur.words[acc]
        used = cur.used
        m = (1 << TLB_BITS) - 1
        for vpn, delta in entries.items():
            i = (vpn & m) << 1
            w[i] = vpn + 1
            w[i + 1] = delta
            if used is not None:
                used.append((w, i))
        if used is not None and len(used) > 64:
            cur.used = None

    def drop(self, vpn: int) -> None:
        i = (vpn & ((1 << TLB_BITS) - 1)) << 1
        for w in self.cur.words:
            if w[i] == vpn + 1:
                w[i] = 0

    def clear(self) -> None:
        """Every entry, of every context (Mmu.flush)."""
        self.cur.wipe()
        self.forget()

    def forget(self) -> None:
        """The kept contexts' tables (the MMU dropped what it kept: flush_page)."""
        for s in self.kept.values():
            self._retire(s)
        self.kept.clear()

    def switch(self, keep: tuple[int, ...] | None, evicted: tuple[int, ...] | None,
               new: tuple[int, ...], restored: bool) -> bool:
        """Follow Mmu.switch: keep the current tables for context `keep` (None: the
        MMU kept nothing, wipe them), retire the tables of the context the MMU let go,
        and make `new`'s current: its kept tables when the MMU restored its entries
        (True: nothing to load), else wiped ones (False: load what the MMU restored)."""
        cur = self.cur
        if keep is not None:
            self.kept[keep] = cur
        else:
            self._retire(cur)
        if evicted is not None:
            gone = self.kept.pop(evicted, None)
            if gone is not None:
                self._retire(gone)
        s = self.kept.pop(new, None)
        if s is not None and not restored:
            self._retire(s)
            s = None
        found = s is not None
        if s is None:
            s = self.spare.pop() if self.spare else _TlbSet()
        self._use(s)
        return found

    def entries(self, acc: int) -> dict[int, int]:
        """The current context's entries for an access type: vpn -> delta (tests)."""
        w = self.cur.words[acc]
        return {w[i] - 1: w[i + 1] for i in range(0, len(w), 2) if w[i]}


MOVE_BITS = 12  # entries of the native copy of the profile's moves
MOVE_T = "{ i64, i64, i64, i64, i64 }"  # frame, pc, ra -> new frame, its return address
FRAMES = 1 << 16  # frames native code counts for (more are the profile's alone)
_MOVE_A, _MOVE_B = 0x9E3779B1, 0x85EBCA77  # odd multipliers of the move hash


class MoveEntry(ctypes.Structure):
    _fields_ = [("frame", ctypes.c_int64), ("pc", ctypes.c_int64), ("ra", ctypes.c_int64),
                ("new", ctypes.c_int64), ("ret", ctypes.c_int64)]


def move_slot(frame: int, pc: int, ra: int) -> int:
    """The move cache's entry for (frame, pc, ra); native code hashes the same way."""
    return (frame * _MOVE_A + (pc >> 1) + ra * _MOVE_B) & ((1 << MOVE_BITS) - 1)


class WatchTables:
    """The profile's moves and counts (rvirt.diag.profile) as profiled native code sees
    them, so that calls and returns between native blocks stay in native code: a block
    entered while the profile is in another function looks (its frame index, the block's
    pc, ra) up in `moves`, a direct-mapped copy of the profile's own move cache that the
    profile fills (`learn`) as it computes moves; on a hit the block adds the
    instructions since the last move to `counts[frame]` and takes the new frame itself,
    on a miss it returns to Python, which moves and learns.  Frames are the profile's
    interned frames by index; trap frames and frames past FRAMES are never learnt, so
    those moves stay the profile's."""

    def __init__(self) -> None:
        self.moves = (MoveEntry * (1 << MOVE_BITS))()
        for e in self.moves:
            e.frame = -2  # matches no frame (-1 is "no stack")
        self.counts = (ctypes.c_uint64 * FRAMES)()

    def learn(self, frame: int, pc: int, ra: int, new: int, ret: int) -> None:
        """The profile moved from frame to new (which returns to ret, -1 for nowhere)
        when the hart came to pc with this ra."""
        if 0 <= frame < FRAMES and 0 <= new < FRAMES:
            e = self.moves[move_slot(frame, pc, ra)]
            e.frame, e.pc, e.ra, e.new, e.ret = frame, pc, ra, new, ret

    def take(self) -> list[tuple[int, int]]:
        """(frame index, count) of what native code counted since the last take."""
        c = self.counts
        out = [(i, n) for i, n in enumerate(c) if n]
        ctypes.memset(c, 0, ctypes.sizeof(c))
        return out


_llvm: Any = None
_IMPORT_ERROR: str | None = None
_NAME = "blk"  # the function's name in IR before its digest names it
# A block's native code: entry address, level, digest, the engine holding it
Built = tuple[int, int, str, Any]
_GENERATOR: str | None = None


def _generator_digest() -> str:
    """A digest of this file, which generates the IR, runs LLVM's passes and sets up the
    target machines: a code cache entry made by another version of it is never taken
    (what else shapes the code, the table's statements, is in the IR itself)."""
    global _GENERATOR
    if _GENERATOR is None:
        import hashlib
        try:
            with open(__file__, "rb") as f:
                _GENERATOR = hashlib.sha256(f.read()).hexdigest()
        except OSError:  # pragma: no cover - an installation without its sources
            _GENERATOR = "?"
    return _GENERATOR


def _binding() -> Any:
    """llvmlite.binding, initialised on first use (not at start-up: importing LLVM costs
    tens of milliseconds, so it waits for the first hot block)."""
    global _llvm, _IMPORT_ERROR
    if _llvm is None and _IMPORT_ERROR is None:
        try:
            import llvmlite.binding as llvm
        except ImportError as e:  # pragma: no cover - depends on the installation
            _IMPORT_ERROR = str(e)
            return None
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        _llvm = llvm
    return _llvm


def available() -> bool:
    """Can llvmlite be imported (without importing it: start-up stays light)?"""
    import importlib.util
    return importlib.util.find_spec("llvmlite") is not None


class Unsupported(Exception):  # noqa: N818 - control flow of the lowering
    """The statement needs Python: the instruction becomes a side exit."""


# --- the statement language -> IR --------------------------------------------------------

Value = tuple[str, str] | int  # (IR type, operand) or a Python int known at compile time


class _Constants(ast.NodeTransformer):
    """A helper's module-level integer constants (MASK, SIGN: the XLEN parameter) become
    literals, as the table's own constants do in its statements."""

    def __init__(self, names: dict[str, object]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - ast's visitor name
        value = self.names.get(node.id)
        if isinstance(node.ctx, ast.Load) and type(value) is int:
            return ast.copy_location(ast.Constant(value), node)
        return node


def _helper_defs() -> dict[str, ast.FunctionDef]:
    import inspect  # only when the first division is compiled
    out = {}
    for name, fn in HELPERS.items():
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        node = _Constants(fn.__globals__).visit(tree.body[0])
        assert isinstance(node, ast.FunctionDef)
        out[name] = node
    return out


_HELPER_AST: dict[str, ast.FunctionDef] | None = None


class _Ir:
    """IR text of one function, with fresh names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0
        self.cur = "entry"

    def fresh(self, stem: str = "t") -> str:
        self.n += 1
        return f"%{stem}{self.n}"

    def op(self, text: str, stem: str = "t") -> str:
        name = self.fresh(stem)
        self.lines.append(f"  {name} = {text}")
        return name

    def emit(self, text: str) -> None:
        self.lines.append(f"  {text}")

    def label(self, name: str) -> None:
        self.lines.append(f"{name}:")
        self.cur = name  # the basic block being written, for phis


_PY_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.BitAnd: lambda a, b: a & b, ast.BitOr: lambda a, b: a | b,
    ast.BitXor: lambda a, b: a ^ b, ast.LShift: lambda a, b: a << b,
    ast.RShift: lambda a, b: a >> b,
}
_IR_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.BitAnd: "and",
           ast.BitOr: "or", ast.BitXor: "xor", ast.LShift: "shl", ast.RShift: "ashr"}
_CMP = {ast.Eq: ("eq", int.__eq__), ast.NotEq: ("ne", int.__ne__),
        ast.Lt: ("slt", int.__lt__), ast.LtE: ("sle", int.__le__),
        ast.Gt: ("sgt", int.__gt__), ast.GtE: ("sge", int.__ge__)}


class _Lower:
    """Lowers the statements of one instruction.  `reg(r)` reads register r (i32 value),
    `set_reg(r, v)`, `mem` inlines the table's memory accessors."""

    def __init__(self, ir: _Ir, fields: dict[str, int], pc: int, block: _Block) -> None:
        self.ir = ir
        self.fields = fields
        self.pc = pc
        self.block = block
        self.env: dict[str, Value] = {}

    # values
    def as_int(self, v: Value, ty: str = "i64") -> str:
        """Operand text of v as an integer of type ty (i64 or i128)."""
        if isinstance(v, int):
            return str(v)
        t, name = v
        if t == ty:
            return name
        if t == "i1":
            return self.ir.op(f"zext i1 {name} to {ty}")
        if t == "i64" and ty == "i128":
            return self.ir.op(f"sext i64 {name} to i128")
        raise Unsupported(f"narrowing {t} to {ty}")

    def as_bool(self, v: Value) -> Value:
        if isinstance(v, int):
            return int(v != 0)
        t, name = v
        if t == "i1":
            return v
        return ("i1", self.ir.op(f"icmp ne {t} {name}, 0"))

    def bool_text(self, v: Value) -> str:
        b = self.as_bool(v)
        return ("true" if b else "false") if isinstance(b, int) else b[1]

    @staticmethod
    def width(*vs: Value) -> str:
        wide = any((isinstance(v, int) and not -(1 << 63) <= v < 1 << 63)
                   or (not isinstance(v, int) and v[0] == "i128") for v in vs)
        return "i128" if wide else "i64"

    def binop(self, op: ast.operator, a: Value, b: Value) -> Value:
        if isinstance(a, int) and isinstance(b, int) and type(op) in _PY_OPS:
            return _PY_OPS[type(op)](a, b)
        ty = self.width(a, b)
        if isinstance(op, ast.Mult):
            ty = "i128"  # a product of two 32-bit values needs up to 64 bits unsigned
        if isinstance(op, ast.FloorDiv | ast.Mod):
            return self.divmod(op, a, b, ty)
        if type(op) not in _IR_OPS:
            raise Unsupported(type(op).__name__)
        x, y = self.as_int(a, ty), self.as_int(b, ty)
        r = self.ir.op(f"{_IR_OPS[type(op)]} {ty} {x}, {y}")
        if (ty == "i128" and isinstance(op, ast.BitAnd)
                and any(isinstance(v, int) and 0 <= v < 1 << 63 for v in (a, b))):
            return ("i64", self.ir.op(f"trunc i128 {r} to i64"))  # masked back into range
        return (ty, r)

    def divmod(self, op: ast.operator, a: Value, b: Value, ty: str) -> Value:
        """Python's floor division and modulo.  The divisor is made non-zero first: the
        table guards every division by zero itself, and a select evaluates both arms."""
        ir = self.ir
        x, y = self.as_int(a, ty), self.as_int(b, ty)
        zero = ir.op(f"icmp eq {ty} {y}, 0")
        d = ir.op(f"select i1 {zero}, {ty} 1, {ty} {y}")
        q = ir.op(f"sdiv {ty} {x}, {d}")
        r = ir.op(f"srem {ty} {x}, {d}")
        # floor: when the remainder is non-zero and its sign differs from the divisor's
        nz = ir.op(f"icmp ne {ty} {r}, 0")
        sx = ir.op(f"xor {ty} {r}, {d}")
        neg = ir.op(f"icmp slt {ty} {sx}, 0")
        fix = ir.op(f"and i1 {nz}, {neg}")
        if isinstance(op, ast.FloorDiv):
            q1 = ir.op(f"sub {ty} {q}, 1")
            return (ty, ir.op(f"select i1 {fix}, {ty} {q1}, {ty} {q}"))
        r1 = ir.op(f"add {ty} {r}, {d}")
        return (ty, ir.op(f"select i1 {fix}, {ty} {r1}, {ty} {r}"))

    def expr(self, node: ast.expr) -> Value:
        ir = self.ir
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool | int):
                return int(node.value)
            raise Unsupported(repr(node.value))
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.env:
                return self.env[name]
            if name == "pc":
                return self.pc
            if name in self.fields:
                return self.fields[name]
            raise Unsupported(name)
        if isinstance(node, ast.Subscript):
            if not (isinstance(node.value, ast.Name) and node.value.id == "X"):
                raise Unsupported("subscript")
            r = self.expr(node.slice)
            if not isinstance(r, int):
                raise Unsupported("computed register")
            return self.block.reg(r)
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, ast.UnaryOp):
            v = self.expr(node.operand)
            if isinstance(node.op, ast.Not):
                b = self.as_bool(v)
                if isinstance(b, int):
                    return int(not b)
                return ("i1", ir.op(f"xor i1 {b[1]}, true"))
            if isinstance(node.op, ast.USub):
                return self.binop(ast.Sub(), 0, v)
            if isinstance(node.op, ast.Invert):
                return self.binop(ast.BitXor(), v, -1)
            raise Unsupported("unary")
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise Unsupported("chained comparison")
            a, b = self.expr(node.left), self.expr(node.comparators[0])
            pred, py = _CMP[type(node.ops[0])]
            if isinstance(a, int) and isinstance(b, int):
                return int(py(a, b))
            ty = self.width(a, b)
            return ("i1", ir.op(f"icmp {pred} {ty} {self.as_int(a, ty)}, {self.as_int(b, ty)}"))
        if isinstance(node, ast.BoolOp):  # the table's operands are pure: no short circuit
            vals = [self.as_bool(self.expr(v)) for v in node.values]
            out = vals[0]
            for v in vals[1:]:
                if isinstance(out, int) and isinstance(v, int):
                    out = int(out and v) if isinstance(node.op, ast.And) else int(out or v)
                    continue
                op = "and" if isinstance(node.op, ast.And) else "or"
                out = ("i1", ir.op(f"{op} i1 {self.bool_text(out)}, {self.bool_text(v)}"))
            return out
        if isinstance(node, ast.IfExp):
            c = self.as_bool(self.expr(node.test))
            a, b = self.expr(node.body), self.expr(node.orelse)
            if isinstance(c, int):
                return a if c else b
            return self.select(c[1], a, b)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise Unsupported(type(node).__name__)

    def select(self, cond: str, a: Value, b: Value) -> Value:
        if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "i1":
            return ("i1", self.ir.op(f"select i1 {cond}, i1 {a[1]}, i1 {b[1]}"))
        ty = self.width(a, b)
        x, y = self.as_int(a, ty), self.as_int(b, ty)
        return (ty, self.ir.op(f"select i1 {cond}, {ty} {x}, {ty} {y}"))

    def call(self, node: ast.Call) -> Value:
        f = node.func
        args = [self.expr(a) for a in node.args]
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "h":
            if f.attr in _LOAD_ACC and len(args) == 1:
                return self.block.load(f.attr, args[0], self)
            if f.attr in _STORE_ACC and len(args) == 2:
                self.block.store(f.attr, args[0], args[1], self)
                return 0
            raise Unsupported(f"h.{f.attr}")  # CSRs, AMOs, system instructions: Python's
        if isinstance(f, ast.Name):
            if f.id == "int" and len(args) == 1:
                v = args[0]
                return v if isinstance(v, int) else ("i64", self.as_int(v))
            if f.id == "abs" and len(args) == 1:
                v = args[0]
                if isinstance(v, int):
                    return abs(v)
                neg = self.binop(ast.Sub(), 0, v)
                ty = self.width(v)
                c = self.ir.op(f"icmp slt {ty} {self.as_int(v, ty)}, 0")
                return self.select(c, neg, v)
            if f.id in HELPERS:
                return self.helper(f.id, args)
        raise Unsupported("call")

    def helper(self, name: str, args: list[Value]) -> Value:
        """A semantics helper (DIV, REM...), lowered inline from its Python source."""
        global _HELPER_AST
        if _HELPER_AST is None:
            _HELPER_AST = _helper_defs()
        fn = _HELPER_AST[name]
        saved = self.env
        self.env = {a.arg: v for a, v in zip(fn.args.args, args, strict=True)}
        try:
            return self.body(fn.body)
        finally:
            self.env = saved

    def body(self, stmts: list[ast.stmt]) -> Value:
        """The value a helper's body returns: straight assignments, `if c: return a`
        and a final return; an early return becomes a select over the rest."""
        for i, s in enumerate(stmts):
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
                continue  # docstring
            if isinstance(s, ast.Return) and s.value is not None:
                return self.expr(s.value)
            if isinstance(s, ast.Assign) and len(s.targets) == 1:
                self.assign_local(s.targets[0], s.value)
                continue
            if isinstance(s, ast.If) and not s.orelse:
                c = self.as_bool(self.expr(s.test))
                then = self.body(s.body)
                rest = self.body(stmts[i + 1:])
                if isinstance(c, int):
                    return then if c else rest
                return self.select(c[1], then, rest)
            raise Unsupported(type(s).__name__)
        raise Unsupported("helper without return")

    def assign_local(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            vals = [self.expr(v) for v in value.elts]
            for t, v in zip(target.elts, vals, strict=True):
                if not isinstance(t, ast.Name):
                    raise Unsupported("target")
                self.env[t.id] = v
        elif isinstance(target, ast.Name):
            self.env[target.id] = self.expr(value)
        else:
            raise Unsupported("target")

    def statements(self, sem: str) -> None:
        for s in ast.parse(sem).body:
            if isinstance(s, ast.Pass):
                continue
            if isinstance(s, ast.Expr):
                self.expr(s.value)
                continue
            if isinstance(s, ast.Assign) and len(s.targets) == 1:
                t = s.targets[0]
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) \
                        and t.value.id == "X":
                    r = self.expr(t.slice)
                    v = self.expr(s.value)
                    if not isinstance(r, int):
                        raise Unsupported("computed register")
                    self.block.set_reg(r, v, self)
                    continue
                self.assign_local(t, s.value)
                continue
            raise Unsupported(type(s).__name__)  # raise Trap(...): the interpreter's

    def to_i32(self, v: Value) -> str:
        if isinstance(v, int):
            return str(v & MASK)
        t, name = v
        if t == "i1":
            return self.ir.op(f"zext i1 {name} to i32")
        return self.ir.op(f"trunc {t} {name} to i32")


class _Block:
    """IR of one block function `i32 b(ptr state)`: 0 = go on at state.pc, 1 = the
    interpreter runs the instruction at state.pc."""

    def __init__(self, insns: list[Insn], ram_base: int, ram_size: int, counted: bool = False,
                 mapped: bool = False, fid: int | None = None) -> None:
        self.insns = insns
        self.fid = fid  # profiled: the function the block is in (BlockWatch.function)
        self.mapped = mapped  # accesses and chaining through the MMU's fast path
        # A first-tier block counts its entries in a global of its own module.
        self.counter = "@count" if counted else None
        self.ram_base = ram_base
        self.ram_size = ram_size
        self.used: set[str] = set()  # TABLES the code reads (loaded on entry)
        self.ir = _Ir()
        self.regs = sorted({i.f[k] for i in insns for k in ("rd", "rs1", "rs2")
                            if i.f.get(k)})
        self.written = sorted({i.f["rd"] for i in insns if i.f.get("rd")})
        self.k = 0
        self.sides: dict[int, str] = {}  # instruction index -> its side-exit label
        self.native_len = len(insns)  # instructions before the first one left to Python
        # (basic block, pc, instret, code) of each branch to the exit block
        self.exits: list[tuple[str, str, str, str]] = []

    def table(self, name: str) -> str:
        """The address of one of TABLES (a value loaded from the state on entry)."""
        if name == "jump" and self.mapped:
            name = "jump_mapped"  # keyed by (pc, page delta)
        self.used.add(name)
        return f"%tab_{name}"

    def gep(self, field: int, index: int | None = None) -> str:
        st = f"getelementptr {_STATE_T}, ptr %st, i32 0, i32 {field}"
        if index is not None:
            st += f", i32 {index}"
        return self.ir.op(st, "p")

    def reg(self, r: int) -> Value:
        if r == 0:
            return 0
        v = self.ir.op(f"load i32, ptr %r{r}")
        return ("i64", self.ir.op(f"zext i32 {v} to i64"))

    def set_reg(self, r: int, v: Value, lw: _Lower) -> None:
        text = lw.to_i32(v)
        if r:
            self.ir.emit(f"store i32 {text}, ptr %r{r}")

    def side(self, k: int) -> str:
        """Label of the side exit at instruction k (made at the end of the function)."""
        label = self.sides.get(k)
        if label is None:
            label = self.sides[k] = f"side{k}"
        return label

    def ram_offset(self, addr: Value, size: int, lw: _Lower, table: str = "tlb_load") -> str:
        """The RAM offset of addr, branching to the side exit unless it is in RAM and
        aligned (the Python tier's fast-path test); mapped, unless its page is in the
        copy of the MMU's RAM fast path for the access type (an aligned access stays
        in its page)."""
        ir = self.ir
        a = lw.as_int(addr)
        if self.mapped:
            ok, o = self.tlb(a, table)
            aligned = a  # (an aligned access stays in its page)
        else:
            o = ir.op(f"sub i64 {a}, {self.ram_base}")
            ok = ir.op(f"icmp ult i64 {o}, {self.ram_size - size + 1}")
            aligned = o  # RAM's base is page aligned
        if size > 1:
            m = ir.op(f"and i64 {aligned}, {size - 1}")
            al = ir.op(f"icmp eq i64 {m}, 0")
            ok = ir.op(f"and i1 {ok}, {al}")
        fast = ir.fresh("fast")[1:]
        ir.emit(f"br i1 {ok}, label %{fast}, label %{self.side(self.k)}")
        ir.label(fast)
        return o

    def tlb(self, a: str, table: str) -> tuple[str, str]:
        """(hit, RAM offset) of the i64 address a in a TLB copy."""
        ir = self.ir
        vpn = ir.op(f"lshr i64 {a}, 12")
        idx = ir.op(f"and i64 {vpn}, {(1 << TLB_BITS) - 1}")
        e = ir.op(f"getelementptr {_TLB_T}, ptr {self.table(table)}, i64 {idx}", "p")
        tag = ir.op(f"load i32, ptr {e}")
        v32 = ir.op(f"trunc i64 {vpn} to i32")
        want = ir.op(f"add i32 {v32}, 1")
        hit = ir.op(f"icmp eq i32 {tag}, {want}")
        dp = ir.op(f"getelementptr {_TLB_T}, ptr {e}, i32 0, i32 2", "p")
        d = ir.op(f"load i64, ptr {dp}")
        return hit, ir.op(f"add i64 {a}, {d}")

    def load(self, acc: str, addr: Value, lw: _Lower) -> Value:
        size, signed = _LOAD_ACC[acc]
        ir = self.ir
        o = self.ram_offset(addr, size, lw)
        p = ir.op(f"getelementptr i8, ptr {self.table('ram')}, i64 {o}", "p")
        ty = f"i{size * 8}"
        v = ir.op(f"load {ty}, ptr {p}, align {size}")
        if size < 4:
            v = ir.op(f"{'sext' if signed else 'zext'} {ty} {v} to i32")
        return ("i64", ir.op(f"zext i32 {v} to i64"))

    def store(self, acc: str, addr: Value, value: Value, lw: _Lower) -> None:
        size = _STORE_ACC[acc]
        ir = self.ir
        o = self.ram_offset(addr, size, lw, "tlb_store")
        # A store into a word of translated code, or into a page a device watches,
        # is the interpreter's: it drops the blocks (or tells the device) and ends the
        # run, through the one path both tiers share.
        w = ir.op(f"lshr i64 {o}, 2")
        wp = ir.op(f"getelementptr i8, ptr {self.table('words')}, i64 {w}", "p")
        wv = ir.op(f"load i8, ptr {wp}")
        g = ir.op(f"lshr i64 {o}, 12")
        gp = ir.op(f"getelementptr i8, ptr {self.table('watch')}, i64 {g}", "p")
        gv = ir.op(f"load i8, ptr {gp}")
        any_ = ir.op(f"or i8 {wv}, {gv}")
        hit = ir.op(f"icmp ne i8 {any_}, 0")
        plain = ir.fresh("st")[1:]
        ir.emit(f"br i1 {hit}, label %{self.side(self.k)}, label %{plain}")
        ir.label(plain)
        v = lw.to_i32(value)
        ty = f"i{size * 8}"
        if size < 4:
            v = ir.op(f"trunc i32 {v} to {ty}")
        p = ir.op(f"getelementptr i8, ptr {self.table('ram')}, i64 {o}", "p")
        ir.emit(f"store {ty} {v}, ptr {p}, align {size}")

    # exits: every way out branches to one exit block, which writes the registers back
    # and chains (or returns), so a block's IR stays small however many exits it has.
    def leave(self, k: int, target: Value, code: str = "0", lw: _Lower | None = None
              ) -> None:
        """Leave after k instructions of the path, for target (code 0: chain through the
        jump cache, else return to Python) or with code = the instruction bits of a side
        exit at target (the interpreter runs it)."""
        ir = self.ir
        if isinstance(target, int):
            t32 = str(target)
        else:
            assert lw is not None
            t32 = lw.to_i32(target)
        ic = ir.op("load i64, ptr %ic")
        n = ir.op(f"add i64 {ic}, {k}")
        self.exits.append((ir.cur, t32, n, code))
        ir.emit("br label %exit")

    def exit_to(self, k: int, target: Value, lw: _Lower | None = None) -> None:
        self.leave(k, target, "0", lw)

    def exit_block(self) -> None:
        ir = self.ir
        ir.label("exit")
        for i, ty in ((1, "i32"), (2, "i64"), (3, "i32")):
            inc = ", ".join(f"[ {e[i]}, %{e[0]} ]" for e in self.exits)
            ir.emit(f"%x{i} = phi {ty} {inc}")
        for r in self.written:
            v = ir.op(f"load i32, ptr %r{r}")
            p = self.gep(0, r)
            ir.emit(f"store i32 {v}, ptr {p}")
        ir.emit(f"store i64 %x2, ptr {self.p_instret}")
        ir.emit(f"store i32 %x1, ptr {self.p_pc}")
        side = ir.op("icmp ne i32 %x3, 0")
        ir.emit(f"br i1 {side}, label %out, label %chain")
        ir.label("chain")
        t64 = ir.op("zext i32 %x1 to i64")
        key = t64
        if self.mapped:
            # The successor's key is (pc, its page's RAM offset), as the dispatcher's:
            # through the copy of the fetch fast path, else back to Python.
            fhit, fo = self.tlb(t64, "tlb_fetch")
            ir.emit(f"br i1 {fhit}, label %mapped, label %out")
            ir.label("mapped")
            d = ir.op(f"sub i64 {fo}, {t64}")
            dsh = ir.op(f"shl i64 {d}, 32")
            key = ir.op(f"add i64 {t64}, {dsh}")
        sh = ir.op(f"lshr i64 {t64}, 1")
        idx = ir.op(f"and i64 {sh}, {(1 << JT_BITS) - 1}")
        e = ir.op(f"getelementptr {{i64, ptr}}, ptr {self.table('jump')}, i64 {idx}", "p")
        tag = ir.op(f"load i64, ptr {e}")
        hit = ir.op(f"icmp eq i64 {tag}, {key}")
        ir.emit(f"br i1 {hit}, label %go, label %out")
        ir.label("go")
        fp_p = ir.op(f"getelementptr {{i64, ptr}}, ptr {e}, i32 0, i32 1", "p")
        fp = ir.op(f"load ptr, ptr {fp_p}")
        r = ir.op(f"musttail call i32 {fp}(ptr %st)")
        ir.emit(f"ret i32 {r}")
        ir.label("out")
        ir.emit("ret i32 %x3")

    def generate(self, name: str) -> str:
        insns = self.insns
        ir = self.ir
        start = insns[0].pc
        n = len(insns)
        fall = insns[-1].pc + insns[-1].op.length  # after the last instruction
        loop = is_loop(insns)
        head = [f"define i32 @{name}(ptr %st) {{", "entry:"]
        ir.lines = []
        self.p_pc = self.gep(1)
        self.p_instret = self.gep(4)
        p_end = self.gep(5)
        for r in self.regs:
            ir.emit(f"%r{r} = alloca i32")
        ir.emit("%ic = alloca i64")
        for r in self.regs:
            p = self.gep(0, r)
            v = ir.op(f"load i32, ptr {p}")
            ir.emit(f"store i32 {v}, ptr %r{r}")
        ic0 = ir.op(f"load i64, ptr {self.p_instret}")
        ir.emit(f"store i64 {ic0}, ptr %ic")
        end = ir.op(f"load i64, ptr {p_end}")
        # The whole block (one iteration of a loop) must fit in the budget.
        need = ir.op(f"add i64 {ic0}, {n}")
        fits = ir.op(f"icmp ule i64 {need}, {end}")
        ir.emit(f"br i1 {fits}, label %{'watched' if self.fid is not None else 'head'}, "
                "label %nofit")
        ir.label("nofit")
        ir.emit(f"store i32 {start}, ptr {self.p_pc}")
        ir.emit("ret i32 0")
        if self.fid is not None:
            # Profiled: the profile is told before anything runs.  Nothing returns to
            # Python with nothing run (a hot exit) after the block moved the profile's
            # stack, which Python would move again: an entry that moved it is not
            # counted (heat); loop iterations (back to head) do not look again.
            ir.label("watched")
            self.watched_entry(start, ic0)
        ir.label("head")
        if self.counter is not None:
            # Entries and loop iterations: at HOTTER, back to Python (registers and
            # instret written back, nothing of this pass run), which compiles the block
            # optimised.
            c = ir.op(f"load i32, ptr {self.counter}")
            c1 = ir.op(f"add i32 {c}, 1")
            ir.emit(f"store i32 {c1}, ptr {self.counter}")
            hot = ir.op(f"icmp eq i32 {c1}, {HOTTER}")
            ir.emit(f"br i1 {hot}, label %hot, label %body")
            ir.label("hot")
            self.leave(0, start, str(HOT_EXIT))
            ir.label("body")
        ir.emit("br label %run")
        ir.label("run")
        region: tuple[int, int, str] | None = None  # last index, skip, join label
        finished = False
        for k, insn in enumerate(insns):
            pc, op, f = insn.pc, insn.op, insn.f
            if region is not None and k > region[0]:
                ir.emit(f"br label %{region[2]}")
                ir.label(region[2])
                region = None
            self.k = k
            nxt = pc + op.length
            base = insn.name
            last = k == n - 1
            lw = _Lower(ir, f, pc, self)
            mark = len(ir.lines)
            try:
                if insn.jump_target() is not None:
                    if self.branch(k, insn, lw, last, loop, start, n, nxt):
                        finished = True
                        break
                    if insn.skip:
                        join = ir.fresh("join")[1:]
                        region = (k + insn.skip, insn.skip, join)
                        # taken: the skipped instructions do not retire
                        c = self._cond
                        body, skip = ir.fresh("body")[1:], ir.fresh("skip")[1:]
                        ir.emit(f"br i1 {c}, label %{skip}, label %{body}")
                        ir.label(skip)
                        ic = ir.op("load i64, ptr %ic")
                        ic2 = ir.op(f"sub i64 {ic}, {insn.skip}")
                        ir.emit(f"store i64 {ic2}, ptr %ic")
                        ir.emit(f"br label %{join}")
                        ir.label(body)
                    continue
                if base == "jalr":  # an indirect jump: through the jump cache
                    lw.statements(statement(op, "rd"))
                    self.exit_to(k + 1, lw.env["npc"], lw)
                    finished = True
                    break
                if "npc" in statement(op):
                    raise Unsupported("xRET")
                lw.statements(statement(op, "rd"))
            except Unsupported:
                del ir.lines[mark:]
                ir.emit(f"br label %{self.side(k)}")
                self.native_len = k
                finished = True
                break
        if region is not None:  # the block ends in an inlined if, or a side exit in one
            if not finished:
                ir.emit(f"br label %{region[2]}")
            ir.label(region[2])
            after = region[0] + 1  # the path that skipped goes on there
            if after < n:
                self.exit_to(after, insns[after].pc)
            else:
                self.exit_to(n, fall)
        elif not finished:
            self.exit_to(n, fall)
        for k, label in self.sides.items():
            ir.label(label)
            self.leave(k, insns[k].pc, str(insns[k].bits))
        self.exit_block()
        for t in sorted(self.used):  # the entry block dominates every use
            head.append(f"  %tab_{t}.p = getelementptr {_STATE_T}, ptr %st, i32 0, "
                        f"i32 {_TABLE_FIELD[t]}")
            head.append(f"  %tab_{t} = load ptr, ptr %tab_{t}.p")
        if self.counter is not None:
            head.insert(0, f"{self.counter} = internal global i32 0")
        return "\n".join(head + ir.lines + ["}"]) + "\n"

    def watched_entry(self, start: int, now: str) -> None:
        """Profiled: a block entered while the profile is in another function (chained
        from another function's block), at a function's entry or at the top frame's
        return address (BlockWatch) moves the profile's stack through the move cache
        (WatchTables), or returns to Python, which moves it, before anything runs (then
        on to run); else on to head.  A block Python has just told the profile of
        (State.fid = FRESH, see _runner) takes its fid and runs.  `now` is the block's
        instret on entry."""
        ir = self.ir
        p_fid = self.gep(6)
        fid = ir.op(f"load i64, ptr {p_fid}")
        if start != self.fid:  # a function's entry always looks
            same = ir.op(f"icmp eq i64 {fid}, {self.fid}")
            ir.emit(f"br i1 {same}, label %same, label %other")
            ir.label("same")
            ret = ir.op(f"load i64, ptr {self.gep(9)}")
            back = ir.op(f"icmp eq i64 {ret}, {start}")
            ir.emit(f"br i1 {back}, label %other, label %head")
            ir.label("other")
        fresh = ir.op(f"icmp eq i64 {fid}, {FRESH}")
        ir.emit(f"br i1 {fresh}, label %told, label %look")
        ir.label("told")
        ir.emit(f"store i64 {self.fid}, ptr {p_fid}")
        ir.emit("br label %run")
        ir.label("look")
        p_frame = self.gep(7)
        frame = ir.op(f"load i64, ptr {p_frame}")
        ra32 = ir.op(f"load i32, ptr {self.gep(0, 1)}")
        ra = ir.op(f"zext i32 {ra32} to i64")
        a = ir.op(f"mul i64 {frame}, {_MOVE_A}")
        b = ir.op(f"mul i64 {ra}, {_MOVE_B}")
        h = ir.op(f"add i64 {a}, {b}")
        h = ir.op(f"add i64 {h}, {start >> 1}")
        idx = ir.op(f"and i64 {h}, {(1 << MOVE_BITS) - 1}")
        e = ir.op(f"getelementptr {MOVE_T}, ptr {self.table('moves')}, i64 {idx}", "p")
        hit = "true"
        for field, want in ((0, frame), (1, str(start)), (2, ra)):
            fp = ir.op(f"getelementptr {MOVE_T}, ptr {e}, i32 0, i32 {field}", "p")
            v = ir.op(f"load i64, ptr {fp}")
            eq = ir.op(f"icmp eq i64 {v}, {want}")
            hit = ir.op(f"and i1 {hit}, {eq}")
        ir.emit(f"br i1 {hit}, label %moved, label %miss")
        ir.label("miss")
        ir.emit(f"store i32 {start}, ptr {self.p_pc}")
        ir.emit(f"ret i32 {WATCH_EXIT}")
        ir.label("moved")
        # counts[frame] += instret - last (nothing after a guest reset, as the profile)
        p_last = self.gep(8)
        last = ir.op(f"load i64, ptr {p_last}")
        d = ir.op(f"sub i64 {now}, {last}")
        back = ir.op(f"icmp ult i64 {now}, {last}")
        d = ir.op(f"select i1 {back}, i64 0, i64 {d}")
        cp = ir.op(f"getelementptr i64, ptr {self.table('counts')}, i64 {frame}", "p")
        c = ir.op(f"load i64, ptr {cp}")
        c = ir.op(f"add i64 {c}, {d}")
        ir.emit(f"store i64 {c}, ptr {cp}")
        ir.emit(f"store i64 {now}, ptr {p_last}")
        np = ir.op(f"getelementptr {MOVE_T}, ptr {e}, i32 0, i32 3", "p")
        new = ir.op(f"load i64, ptr {np}")
        ir.emit(f"store i64 {new}, ptr {p_frame}")
        rp = ir.op(f"getelementptr {MOVE_T}, ptr {e}, i32 0, i32 4", "p")
        ret = ir.op(f"load i64, ptr {rp}")
        ir.emit(f"store i64 {ret}, ptr {self.gep(9)}")
        ir.emit(f"store i64 {self.fid}, ptr {p_fid}")
        ir.emit("br label %run")

    def branch(self, k: int, insn: Insn, lw: _Lower, last: bool, loop: bool, start: int,
               n: int, nxt: int) -> bool:
        """A direct jump or branch (or a return with a known target) of the path.  True
        when it ends the function."""
        ir = self.ir
        op = insn.op
        base = insn.name
        target = insn.jump_target()
        sem = statement(op, "rd")
        if base in JUMPS:
            lw.statements(sem)  # the link register; npc is known
            if not last:
                return False
            if loop:
                self.back_edge(n, start)
            else:
                self.exit_to(k + 1, target)
            return True
        stmt = ast.parse(sem).body[0]
        assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.IfExp), op.name
        c = lw.as_bool(lw.expr(stmt.value.test))
        cond = lw.bool_text(c)
        self._cond = cond
        if last and loop:
            again, out = ir.fresh("again")[1:], ir.fresh("out")[1:]
            ir.emit(f"br i1 {cond}, label %{again}, label %{out}")
            ir.label(again)
            self.back_edge(n, start)
            ir.label(out)
            self.exit_to(k + 1, nxt)
            return True
        if insn.skip:
            return False
        on, off = ir.fresh("on")[1:], ir.fresh("off")[1:]
        if not last and self.insns[k + 1].pc == target != nxt:
            ir.emit(f"br i1 {cond}, label %{on}, label %{off}")  # the path goes on taken
            ir.label(off)
            self.exit_to(k + 1, nxt)
            ir.label(on)
        else:
            ir.emit(f"br i1 {cond}, label %{on}, label %{off}")  # a side exit when taken
            ir.label(on)
            self.exit_to(k + 1, target)
            ir.label(off)
        if last:
            self.exit_to(k + 1, nxt)
            return True
        return False

    def back_edge(self, n: int, start: int) -> None:
        """Another iteration if it fits in the budget, else back to Python at start."""
        ir = self.ir
        ic = ir.op("load i64, ptr %ic")
        ic2 = ir.op(f"add i64 {ic}, {n}")
        ir.emit(f"store i64 {ic2}, ptr %ic")
        need = ir.op(f"add i64 {ic2}, {n}")
        end = ir.op(f"load i64, ptr {self.gep(5)}")
        fits = ir.op(f"icmp ule i64 {need}, {end}")
        stop = ir.fresh("stop")[1:]
        ir.emit(f"br i1 {fits}, label %head, label %{stop}")
        ir.label(stop)
        self.leave(0, start)


# Instructions native code must run before its first side exit to be worth it: going in
# and out of native code costs about what ten instructions of a Python block do.
MIN_NATIVE = 10


def generate(insns: list[Insn], ram_base: int, ram_size: int, name: str = "b",
             counted: bool = False, mapped: bool = False, fid: int | None = None
             ) -> str | None:
    """LLVM IR (text) of the native function of a scanned physical block, with no host
    address in it (TABLES come from the state); `counted`: it counts its entries up to
    HOTTER (first tier); `fid`, its function when the profile watches blocks
    (rvirt.exec.blocks.BlockWatch).  None when native code would leave to Python (a CSR
    access, a trap, an xRET...) within MIN_NATIVE instructions of the start: the Python
    block, which makes such calls without leaving, is faster then (a trap handler)."""
    block = _Block(insns, ram_base, ram_size, counted, mapped, fid)
    src = block.generate(name)
    return None if block.native_len < min(MIN_NATIVE, len(insns)) else src


# --- the compiler thread -------------------------------------------------------------------

# LLVM's global context and each translator's engines are not safe to use from two threads
# at once: every use of LLVM (generating, optimising, loading code) holds this lock.
_LLVM_LOCK = threading.RLock()


class Compiler:
    """The one thread of the process that compiles native code while the guest goes on
    in Python blocks (these machines have two cores, and llvmlite's calls release the
    GIL): jobs run one at a time in the order given; their results wait in each
    translator's `done` queue until the guest's thread installs them between two blocks
    (NativeCodegen.install_ready), so native code comes in at an instruction boundary
    like any tier change.  The thread is made at the first job."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self.thread is None:
                # Each of llvmlite's calls gives the GIL up and takes it back; the
                # guest's thread holds it for up to the switch interval (5 ms by
                # default) each time, so a compile of a few dozen calls would wait
                # longer than it works.
                sys.setswitchinterval(SWITCH_INTERVAL)
                self.thread = threading.Thread(target=self._run, name="rvirt-compiler",
                                               daemon=True)
                self.thread.start()
                # A process that exits meanwhile waits for the job at hand (LLVM's static
                # destructors must not run while this thread is inside LLVM), not the
                # queue: stop() makes the rest no-ops.
                atexit.register(self.stop)
        self.jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            if not self.stopping:
                job()
            # Not kept while waiting for the next: a job holds its machine's tier (and
            # its native code), which a closed machine frees.
            del job

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait until every job given so far is done (tests); False on timeout."""
        if self.thread is None:
            return True
        done = threading.Event()
        self.submit(done.set)
        return done.wait(timeout)

    def stop(self) -> None:
        self.stopping = True
        thread = self.thread
        if thread is not None and thread.is_alive():
            self.jobs.put(None)
            thread.join(5.0)


SWITCH_INTERVAL = 0.0005  # seconds (Python's default: 0.005)
COMPILER = Compiler()


# --- the store of native code -------------------------------------------------------------

def _digest(src: str, opt: int) -> str:
    """The key of a block's IR at a level (the code cache's, and the store's): what else
    shapes its object code is LLVM (version, target) and this generator."""
    import hashlib  # (not at start-up)
    llvm = _llvm
    text = (f"{_generator_digest()} llvm {llvm.llvm_version_info} "
            f"{llvm.get_default_triple()} level {opt}\n{src}")
    return hashlib.sha256(text.encode()).hexdigest()


class CodeStore:
    """The native code of one machine, shared by its harts' tiers: the code reads every
    host address from the hart's state block (TABLES), so the code one hart made serves
    every hart running the same block.  Code is loaded into one MCJIT engine, once per
    function, and found again by its IR's digest, so a block made again (after its page
    was written, or by another hart) takes it at once; `cache` keeps it between runs.
    Used under _LLVM_LOCK."""

    def __init__(self, cache: CodeCache | None = None) -> None:
        self.cache = cache  # on disk, between runs (rvirt.exec.codecache), or None
        self.tms: dict[int, Any] = {}  # code generation level -> LLVM target machine
        self.engine: Any = None  # the MCJIT engine every block's object code is loaded in
        # digest -> (entry address, level) of the code loaded, and its functions by name
        self.loaded: dict[str, tuple[int, int]] = {}
        self.by_name: dict[str, int] = {}
        self.full = False  # MAX_LOADED functions loaded: renew() at the next batch's end
        self.renewals = 0
        self.users: weakref.WeakSet[NativeCodegen] = weakref.WeakSet()  # the harts' tiers

    def tm(self, opt: int) -> Any:
        """The target machine generating code at this level (and the engine, made with
        the first), or None without llvmlite."""
        with _LLVM_LOCK:
            llvm = _binding()
            if llvm is None:
                return None
            tm = self.tms.get(opt)
            if tm is None:
                tm = self.tms[opt] = llvm.Target.from_default_triple(
                    ).create_target_machine(opt=opt)
            if self.engine is None:
                # The engine owns the target machine it is made with (and deletes it
                # with itself): one of its own, not a compiling one.
                own = llvm.Target.from_default_triple().create_target_machine(opt=OPT_FIRST)
                self.engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), own)
            return tm

    def load(self, name: str, obj: bytes) -> int:
        """Entry address of the function `name` of object code, loaded once."""
        addr = self.by_name.get(name)
        if addr is None:
            if self.engine is None:
                self.tm(OPT_FIRST)
            engine = self.engine
            engine.add_object_file(_llvm.ObjectFileRef.from_data(obj))
            engine.finalize_object()
            addr = self.by_name[name] = engine.get_function_address(name)
            if not addr:
                raise RuntimeError(f"native code: no function {name} in its object code")
            if len(self.by_name) >= MAX_LOADED:
                self.full = True
        return addr

    def renew(self) -> None:
        """Drop every block of the harts' tiers and start a new engine, as QEMU flushes
        every translation when its code buffer is full: MCJIT frees code only with its
        engine, so this bounds the memory of code no block runs any more (blocks of
        pages written since, of mappings gone).  The old engine goes with the last
        block that holds it (each native block holds its engine: nothing can run freed
        code).  Called between two batches, where no native code is running."""
        with _LLVM_LOCK:
            for user in list(self.users):
                user.tr.flush()
            self.engine = None
            self.loaded.clear()
            self.by_name.clear()
            self.full = False
            self.renewals += 1


# --- the tier -----------------------------------------------------------------------------

_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)


class NativeCodegen:
    """Closure blocks first, then Python blocks (blocks.Codegen; see FIRST and WARM); a
    block entered HOT times in all becomes native code, and a native block entered
    HOTTER times (from Python or another block) is compiled again at OPT_HOT.  With
    `background` (the machine's default) the compiles run on the Compiler's thread while
    the block goes on as it is, and come in when done; without it they run at once,
    where the block got hot (the tests that need native code at a known point)."""

    def __init__(self, tr: PyTranslator, background: bool = False,
                 store: CodeStore | None = None) -> None:
        self.tr = tr
        self.background = background
        # (old block, its instructions, its native code or None, error or None) of
        # compiles the thread finished, for the guest's thread to install
        self.done: deque[tuple[Callable[..., int], list[Insn], Built | None,
                               BaseException | None]] = deque()
        self.queued: set[int] = set()  # heat slots whose compile was given to the thread
        self.py = PyCodegen(tr)
        h = tr.h
        self.state = State()
        self.jump = (JumpEntry * (1 << JT_BITS))()
        self.jump_mapped = (JumpEntry * (1 << JT_BITS))()  # keyed by (pc, page delta)
        self.tlb = Tlb(self.state)
        h.mmu.mirror = self.tlb
        for acc, fast in enumerate(h.mmu.fast):  # what the MMU holds already
            for vpn, delta in fast.items():
                self.tlb.set(acc, vpn, delta)
        self._views: list[Any] = []  # buffer exports kept alive while native code runs

        def address(buf: Any) -> int:
            view = (ctypes.c_char * len(buf)).from_buffer(buf)
            self._views.append(view)
            return ctypes.addressof(view)

        st = self.state
        st.ram, st.words = address(h.ram), address(tr.words)
        st.watch = address(h.watch_pages)
        st.jump, st.jump_mapped = ctypes.addressof(self.jump), ctypes.addressof(self.jump_mapped)
        self.store = store if store is not None else CodeStore()
        self.store.users.add(self)
        self.reused = 0  # blocks given code loaded before, in this process
        self.cached = 0  # blocks given code from the disk cache
        self.heat: list[int] = []
        self.pending: list[tuple[Callable[..., int], list[Insn]] | None] = []
        self.py.namespace["HEAT"] = self.heat
        self.py.namespace["PROMOTE"] = self.promote
        self.compile_ms: list[float] = []  # per native compile, for the bench
        self.failed = False
        self.native_made = 0
        self.mapped_made = 0  # native blocks installed in the mapped space (for tests)
        self.loops: set[int] = set()  # heat slots of loop blocks
        self.later: dict[int, int] = {}  # closure blocks' slots -> heat as a Python block
        self.warming = False
        self.watch_tables: WatchTables | None = None  # made for the profile's first block

    # blocks.Codegen
    def compile(self, insns: list[Insn], space: Space, key: int, pc: int
                ) -> Callable[..., int]:
        tr = self.tr
        if self.failed:
            return self.py.compile(insns, space, key, pc)
        slot = len(self.heat)
        hot = getattr(tr, "hot", HOT)
        if is_loop(insns):
            # A loop: one entry runs up to a whole batch (NATIVE_SLICE instructions) in
            # Python, so it is hot at its second entry, and it is compiled optimised at
            # once (it will stay hot).  (At HOT >> 5 entries, a loop entered once a
            # batch ran 64 batches in Python first: intmix's loop ran at 30 MIPS.)
            hot = min(hot, getattr(tr, "loop_hot", LOOP_HOT))
            self.loops.add(slot)
        warm = getattr(tr, "warm", WARM)
        if tr.watch is None and hot > warm:
            # Cold code runs as a closure block (see FIRST); a Python block takes its
            # place at `warm` entries, native code at `hot`.  (Profiled: Python blocks,
            # whose prologue tells the profile of each block.)
            self.heat.append(warm)
            self.later[slot] = hot - warm
            fn = closures.make_block(insns, self.heat, slot, self.promote)
        else:
            self.heat.append(hot)
            fn = self._python(insns, space, key, pc, slot)
        fn.slot = slot  # type: ignore[attr-defined]
        self.pending.append((fn, insns))
        return fn

    def _python(self, insns: list[Insn], space: Space, key: int, pc: int, slot: int
                ) -> Callable[..., int]:
        """The Python block of insns, counting its entries down in HEAT[slot]."""
        heat = (f"HEAT[{slot}] -= 1\nif not HEAT[{slot}] and PROMOTE({slot}):\n"
                f"    h.instret = ic\n    return {pc:#x} | 1")
        return self.py.compile(insns, space, key, pc, heat)

    def drop(self, fn: Callable[..., int]) -> None:
        slot = getattr(fn, "slot", None)
        if slot is not None and slot < len(self.pending):
            self.later.pop(slot, None)
            self.pending[slot] = None
            self.heat[slot] = 1 << 62
        addr = getattr(fn, "address", None)
        if addr is not None:
            table = self.jump_mapped if fn.space.mapped else self.jump  # type: ignore[attr-defined]
            e = table[(fn.key >> 1) & ((1 << JT_BITS) - 1)]  # type: ignore[attr-defined]
            if e.fn == addr:
                e.pc = e.fn = 0

    def flush(self) -> None:
        self.loops.clear()
        self.later.clear()
        self.queued.clear()  # what the thread still makes for them is not installed
        ctypes.memset(self.jump, 0, ctypes.sizeof(self.jump))
        ctypes.memset(self.jump_mapped, 0, ctypes.sizeof(self.jump_mapped))
        self.heat.clear()
        self.pending.clear()

    def stats(self) -> dict[str, Any]:
        # asked: compiles asked for (at once or of the thread); native: those finished
        # cached: code taken from the disk cache instead of compiled; reused: from code
        # loaded before in this run
        return {"asked": self.native_made, "native": len(self.compile_ms),
                "compile_ms": list(self.compile_ms), "reused": self.reused,
                "cached": self.cached}

    # native code
    def _warm(self) -> None:
        for opt in (OPT_FIRST, OPT_HOT):
            self.store.tm(opt)

    def _optimise(self, mod: Any, tm: Any, opt: int) -> None:
        llvm = _llvm
        pb = llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options(
            speed_level=opt))
        fpm = llvm.create_new_function_pass_manager()
        fpm.add_sroa_pass()  # registers from allocas into SSA values
        if opt >= OPT_HOT:
            # The first tier stops here: on Linux's blocks these passes took 5 ms of its
            # 10 ms median compile (SROA alone 0.6 ms), and its code runs only HOTTER
            # times before the optimised compile replaces it.
            fpm.add_instruction_combine_pass()
            fpm.add_simplify_cfg_pass()
            fpm.add_new_gvn_pass()
            fpm.add_dead_store_elimination_pass()
            fpm.add_instruction_combine_pass()
        for f in mod.functions:
            if not f.is_declaration:
                fpm.run(f, pb)

    def _builder(self, insns: list[Insn], pc: int, opt: int, mapped: bool,
                 first: str | None = None) -> Callable[[], Built | None]:
        """What making the block's code needs from the guest's thread (the profile's
        tables, its function), taken now, and the making itself, which may then run on
        any thread: it returns (entry address, level, digest), or None.  The code comes
        from what this run loaded before, else the disk cache, else a compile.  A level
        asked for may be answered with the optimised code: `first`, the digest of the
        block's first-tier code, is then recorded as leading to it, in this run and in
        the disk cache, so the block is never compiled twice again."""
        h = self.tr.h
        self.native_made += 1
        watch = self.tr.watch
        if watch is not None and self.watch_tables is None:
            t = self.watch_tables = WatchTables()
            self.state.moves = ctypes.addressof(t.moves)
            self.state.counts = ctypes.addressof(t.counts)
            watch.tables = t
        fid = None if watch is None else watch.function(pc)
        ram_base, ram_size = h.ram_base, len(h.ram)
        store = self.store
        cache = store.cache

        def build() -> Built | None:
            # CPU time of the thread that compiles: on the compiler's thread its wall
            # time also counts the waits for the GIL while the guest's thread runs.
            t0 = time.thread_time()
            with _LLVM_LOCK:
                llvm = _binding()
                tm = store.tm(opt)
                if tm is None:
                    self.failed = True
                    return None
                src = generate(insns, ram_base, ram_size, _NAME, opt < OPT_HOT, mapped, fid)
                if src is None:
                    return None
                digest = _digest(src, opt)
                got = store.loaded.get(digest)
                if got is not None:
                    self.reused += 1
                    return (*got, digest, store.engine)
                found = None if cache is None else cache.get(digest)
                compiled = found is None
                if found is None:
                    name = "b" + digest[:32]
                    mod = llvm.parse_assembly(src.replace(f"@{_NAME}(", f"@{name}(", 1))
                    mod.verify()
                    self._optimise(mod, tm, opt)
                    obj = bytes(tm.emit_object(mod))
                    level = opt
                    if cache is not None:
                        cache.put(digest, name, level, obj)
                else:
                    name, level, obj = found
                    self.cached += 1
                addr = store.load(name, obj)
                store.loaded[digest] = (addr, level)
                if first is not None and level >= OPT_HOT:
                    store.loaded[first] = (addr, level)
                    if cache is not None:
                        cache.put(first, name, level, obj)
                engine = store.engine
            if compiled:
                self.compile_ms.append((time.thread_time() - t0) * 1e3)
            return addr, level, digest, engine

        return build

    def promote(self, slot: int) -> bool:
        """Called by a Python block that just got hot (and, while its compile runs on the
        thread, every RECHECK entries): compile it to native code, or install what the
        thread made.  True if native code took its place: the Python block then returns
        at once, so that its caller runs the native code (a loop would stay in Python
        otherwise)."""
        if self.done:
            self.install_ready()
        item = self.pending[slot] if slot < len(self.pending) else None
        self.heat[slot] = 1 << 62
        if item is None:
            return False
        fn, insns = item
        space = fn.space  # type: ignore[attr-defined]
        if space.blocks.get(fn.key) is not fn:  # type: ignore[attr-defined]
            self.pending[slot] = None  # replaced (by what the thread made) or dropped
            self.queued.discard(slot)
            return space.blocks.get(fn.key) is not None  # type: ignore[attr-defined]
        later = self.later.pop(slot, None)
        if later is not None:  # a closure block: now a Python block
            new = self._python(insns, space, fn.key, insns[0].pc, slot)  # type: ignore[attr-defined]
            new.slot = slot  # type: ignore[attr-defined]
            self.tr.replace(fn, new)
            self.pending[slot] = (new, insns)
            self.heat[slot] = later
            return True
        if slot in self.queued:  # still being made: look again later
            self.heat[slot] = RECHECK
            return False
        if not self.warming:
            # LLVM takes about 50 ms of CPU to load and set up, on the compiler's thread
            # and partly under the GIL: only once a block is hot, so a run too short to
            # have one (the example kernels) never pays for it.
            self.warming = True
            COMPILER.submit(self._warm)
        opt = OPT_HOT if slot in self.loops else OPT_FIRST
        if not self.background:
            self.pending[slot] = None
            return self._install(fn, insns, opt)
        self.queued.add(slot)
        self.heat[slot] = RECHECK
        self._submit(fn, insns, opt)
        return False

    def _submit(self, old: Callable[..., int], insns: list[Insn], opt: int,
                first: str | None = None) -> None:
        """Compile on the thread; the result waits in `done`."""
        build = self._builder(insns, insns[0].pc, opt, old.space.mapped, first)  # type: ignore[attr-defined]
        done = self.done

        def job() -> None:
            try:
                done.append((old, insns, build(), None))
            except BaseException as e:  # noqa: BLE001 - raised again in the guest's thread
                done.append((old, insns, None, e))

        COMPILER.submit(job)

    def install_ready(self) -> None:
        """Put in place the native code the thread finished whose block is still the one
        it was made for (not dropped, flushed or replaced meanwhile).  Called between two
        blocks: at a Python block's look, and at every batch's end."""
        done = self.done
        while done:
            old, insns, built, error = done.popleft()
            if error is not None:
                raise error  # a fault of the compiler: as it would show without the thread
            space: Space = old.space  # type: ignore[attr-defined]
            if built is not None and space.blocks.get(old.key) is old:  # type: ignore[attr-defined]
                self._put(old, insns, built)

    def between_batches(self) -> None:
        if self.done:
            self.install_ready()
        if self.store.full:
            self.store.renew()

    def _install(self, old: Callable[..., int], insns: list[Insn], opt: int,
                 first: str | None = None) -> bool:
        """Compile now and put the native code in old's place."""
        space: Space = old.space  # type: ignore[attr-defined]
        built = self._builder(insns, insns[0].pc, opt, space.mapped, first)()
        if built is None:
            return False
        self._put(old, insns, built)
        return True

    def _put(self, old: Callable[..., int], insns: list[Insn], built: Built) -> None:
        pc = insns[0].pc
        addr, level, digest, engine = built
        space: Space = old.space  # type: ignore[attr-defined]
        new = self._runner(addr, insns, level, space.mapped)
        new.digest = digest  # type: ignore[attr-defined]
        new.engine = engine  # type: ignore[attr-defined]  # its code lives while it does
        self.mapped_made += space.mapped
        self.tr.replace(old, new)
        table = self.jump_mapped if space.mapped else self.jump
        e = table[(pc >> 1) & ((1 << JT_BITS) - 1)]
        e.pc = old.key & ((1 << 64) - 1)  # type: ignore[attr-defined]
        e.fn = addr

    def _runner(self, addr: int, insns: list[Insn], opt: int, mapped: bool
                ) -> Callable[..., int]:
        """The Python face of a native block: fn(h, X, ic, end) -> next pc, as a Python
        block, syncing the registers in and out of the state block."""
        cfn = _ENTRY(addr)
        st = self.state
        sx = st.x
        st_addr = ctypes.addressof(st)
        cache = interp.CACHE
        compile_insn = interp.compile_insn
        codegen = self
        watch = self.tr.watch
        start = insns[0].pc
        fid = None if watch is None else watch.function(start)
        entry = fid == start

        def run(h: Any, X: list[int], ic: int, end: int) -> int:
            if watch is not None:  # as a Python block's prologue; then native code moves
                if entry or watch.fid != fid or watch.ret == start:
                    watch.enter(start, ic)
                    st.fid = FRESH  # type: ignore[assignment]
                else:
                    st.fid = fid  # type: ignore[assignment]
                top = watch.top
                frame = -1 if top is None else top.idx
                st.frame = frame  # type: ignore[assignment]
                st.last = watch.last  # type: ignore[assignment]
                st.ret = watch.ret  # type: ignore[assignment]
            sx[0:32] = X[0:32]
            st.instret = ic
            st.end = end
            side = cfn(st_addr)
            X[1:32] = sx[1:32]
            h.instret = st.instret
            pc: int = st.pc
            if watch is not None:  # where native code left the profile's stack
                if st.frame != frame:
                    watch.moved(st.frame)
                watch.last = st.last
            if side == HOT_EXIT:  # it ran nothing: compile it optimised, then look again
                codegen.hotter(pc, mapped)
                return pc | 1
            if side == WATCH_EXIT:  # chained into another function: its block runs next
                return pc
            if side:
                # The instruction native code leaves to Python (its bits): the
                # interpreter's closure runs it, and takes its trap or does its I/O
                # exactly; instret is exact here, as in a Python block.
                w = side & MASK
                insn = cache.get(w) or compile_insn(w)
                h.pc = pc
                try:
                    npc = insn(h, X, pc)
                except Trap as t:
                    h.take_trap(t.cause, t.tval_for(w))  # an illegal one's bits
                    h.ending = True  # the machine's turn, as after any trap
                    return h.pc | 1  # type: ignore[no-any-return]
                h.instret += 1
                return npc | 1  # type: ignore[no-any-return]
            return pc

        SIDE_EXIT_CODES.add(run.__code__)  # its `pc` is the instruction it runs
        run.at = None  # type: ignore[attr-defined]
        run.insns = insns if opt < OPT_HOT else None  # type: ignore[attr-defined]
        run.opt = opt  # type: ignore[attr-defined]
        run.address = addr  # type: ignore[attr-defined]
        run.native = True  # type: ignore[attr-defined]
        return run

    def hotter(self, pc: int, mapped: bool) -> None:
        """The first-tier native block at pc (perhaps reached by chaining) got hot."""
        key: int | None = pc
        if mapped:
            d = self.tr.h.mmu.fast[FETCH].get(pc >> 12)
            key = None if d is None else pc + (d << 32)
        fn = None if key is None else self.tr.spaces[mapped].blocks.get(key)
        insns = getattr(fn, "insns", None)
        if fn is not None and insns is not None:
            fn.insns = None  # type: ignore[attr-defined]  # asked once
            first = fn.digest  # type: ignore[attr-defined]
            if self.background:
                self._submit(fn, insns, OPT_HOT, first)
            else:
                self._install(fn, insns, OPT_HOT, first)


class NativeTranslator(PyTranslator):
    """The translator of `-accel native`: closure blocks after `threshold` executions,
    Python blocks after `warm` entries of those, native code after `hot` entries in all
    (with hot <= warm, Python blocks from the start)."""

    def __init__(self, h: Any, threshold: int = FIRST, hot: int = HOT, warm: int = WARM,
                 background: bool = False, loop_hot: int = LOOP_HOT,
                 cache: CodeCache | None = None, store: CodeStore | None = None) -> None:
        self.hot = max(1, hot)
        self.loop_hot = loop_hot
        self.warm = warm
        self.background = background
        # the machine's store of native code (shared by its harts), else one of its own
        self.store = store if store is not None else CodeStore(cache)
        super().__init__(h, threshold)

    def make_codegen(self) -> Codegen:
        return NativeCodegen(self, self.background, self.store)
