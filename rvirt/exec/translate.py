"""The block translator (`-accel tcg`): hot code -> one generated Python function per
block, spliced from the same table statements the interpreter runs, cached by address and
dropped when its code is written or on fence.i.

A block starts where the interpreter counted `threshold` entries and follows one path:
through direct jumps, backward branches (and forward ones whose target was entered more
often while warming up), and returns whose target the path itself fixed (`jal ra, f ...
ret`); a forward branch over a few plain ALU instructions becomes an `if` around them
(`if (c) x = y;`), other branches become side exits.  It ends at an indirect jump, a
system instruction (ecall, ebreak, xRET, wfi, fence.i, sfence.vma), the cap, or code it
cannot fetch or decode (left to the interpreter, which raises the fault).  A path that
comes back to its start becomes a `while` loop.  Constants are folded along the path,
and accesses off one base register share one range check.

Registers live in locals (`x5 = (x6 + 12) & 0xffffffff`, writes to x0 dropped) and are
written back at every exit and before any call that can trap or observe them.  RAM loads
and stores are inlined; everything else goes through the hart's accessors (`h.lw`...), so
MMIO is exactly the interpreter's.

Counting: a block keeps `h.instret` exact wherever anything can look at it.  It sets
`h.instret = ic + k` (k = instructions of the path before this one) before every call
that can trap, read a counter or mtime, or end the batch, and the final count on exit, so
`Hart.retired()` is exact with no batch iterator; where an inlined `if` skipped its
instructions, `ic` goes down by as many.  A trap leaves the count at the faulting
instruction; the dispatcher finds which one it was from the block's line in the
traceback (each source line knows its instruction).  `Hart.end_batch()` sets
`h.ending`; blocks look at it after each such call and return `next pc | 1` (pc bit 0 is
never set: IALIGN=16) so the dispatcher stops after that instruction.  Blocks never run
past the budget: the dispatcher enters a block only when all of it fits, and a loop
checks before each further iteration.

Two spaces of blocks.  Physical code (fetches, loads and stores physical and
unchecked: M-mode, or S/U with satp = 0 and PMP open) is keyed by pc and its accesses
test the RAM range inline.  Code that runs with Sv32 or PMP checks on is keyed by (pc,
physical page): the dispatcher finds the page through the MMU's fetch fast path
(`Mmu.fast`, refilled by a walk after every TLB flush, as the interpreter's next fetch
would), so the same virtual address under two address spaces finds two blocks, and
satp writes and sfence.vma need drop nothing: a block whose mapping is gone is simply
not found again (and is found again when the mapping comes back, as with a process
switch).  Such a block stays within one page; its loads and stores look their page up
in the MMU's RAM fast path for that access type and fall back to the checking
accessors, which walk, check PMP, fault, or reach a device.  Watchpoints and triggers
leave everything to the interpreter.

Self-modifying code: a store into a 4-byte word holding translated code drops the blocks
that hold it and ends the run after the store, so the store is visible to the very next
instruction fetch, with or without fence.i: the interpreter's behaviour.  fence.i drops
every translation.
"""

from __future__ import annotations

import mmap
import re
import sys
from collections.abc import Callable
from typing import Any

from rvirt.cpu.hart import Hart
from rvirt.cpu.mmu import FETCH, LOAD, STORE
from rvirt.cpu.trap import Trap
from rvirt.exec import interp
from rvirt.exec.semantics import HELPERS, is_control, statement
from rvirt.isa.decode import decode
from rvirt.isa.table import Op, semantics

THRESHOLD = 8  # executions of a block's first instruction before it is translated
CAP = 48  # instructions per block at most (also the budget margin of the fast loop)
SKIP = 8  # instructions a forward branch may skip and still be inlined as an if
PAGE_BITS = 12
MASK = 0xFFFFFFFF
COLD = -(1 << 40)  # hit count of an address that cannot be translated
# Blocks kept at most; reaching it drops them all (as QEMU flushes every translation
# when its code buffer is full), which bounds the memory of a guest whose mappings keep
# changing, since blocks of mappings gone are not dropped one by one.
MAX_BLOCKS = 1 << 14

# Inlined RAM accesses: alignment test, the read (given `o`, the RAM offset) or write.
_LOADS = {
    "lw": ("not o & 3", "r32[o >> 2]"),
    "lhu": ("not o & 1", "r16[o >> 1]"),
    "lh": ("not o & 1", "((r16[o >> 1] ^ 0x8000) - 0x8000) & 0xffffffff"),
    "lbu": ("", "ram[o]"),
    "lb": ("", "((ram[o] ^ 0x80) - 0x80) & 0xffffffff"),
}
_STORES = {
    "sw": ("not o & 3", "r32[o >> 2] = {v}", 4),
    "sh": ("not o & 1", "r16[o >> 1] = {v} & 0xffff", 2),
    "sb": ("", "ram[o] = {v} & 0xff", 1),
}
_SIZE = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4, "sb": 1, "sh": 2, "sw": 4}
_DIRECT = frozenset({"jal", "beq", "bne", "blt", "bge", "bltu", "bgeu"})
_FIELD_RE = re.compile(r"\b(rd|rs1|rs2|imm|shamt|csr|zimm|aq|rl|fm|pred|succ|pc)\b")
_REG_RE = re.compile(r"\bx(\d+)\b")

Insn = tuple[int, int, Op, dict[str, int]]  # pc, bits, row, fields


def _base(op: Op) -> str:
    return op.base or op.name


# Calls into the hart after which the block goes on (unless the call ended the batch):
# they can trap, read the counters or change what interrupts are enabled, which the
# block is exact for, but they change neither the pc nor how code is fetched or run
# without ending the batch (Hart.BATCH_END_CSRS).
_GOES_ON = frozenset({"csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci", "lr.w", "sc.w",
                      "amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w",
                      "amomin.w", "amomax.w", "amominu.w", "amomaxu.w"})


def _ends_block(op: Op) -> bool:
    """Control flow, or a system instruction (ecall, ebreak, fence.i, wfi, sfence.vma):
    what changes the pc or how code runs."""
    if is_control(op):
        return True
    sem = semantics(op)
    base = _base(op)
    return base not in _LOADS and base not in _STORES and base not in _GOES_ON and (
        "h." in sem or "raise" in sem)


class Space:
    """The blocks of one kind of code, with the warm-up counts of what is not (yet)
    translated.  Space 0 holds physical code, keyed by pc.  Space 1 holds code fetched
    through the MMU or under PMP, keyed by pc + (delta << 32), where delta is the RAM
    offset of pc's page minus its virtual address (`Mmu.fast`): one key per (virtual
    pc, physical page), so a virtual address that two address spaces map to different
    code has a block for each, and neither can run in place of the other."""

    def __init__(self, mapped: bool) -> None:
        self.mapped = mapped
        self.blocks: dict[int, Callable[..., int]] = {}
        self.hits: dict[int, int] = {}
        self.lens: dict[int, int] = {}  # block lengths of cold code, to interpret by block
        self.made = 0  # blocks translated into this space (for tests and the bench)
        self.drops: dict[int, int] = {}  # key -> times its block was dropped for a store

    def clear(self) -> int:
        n = len(self.blocks)
        self.blocks.clear()
        self.hits.clear()
        self.lens.clear()  # drops stay: code rewritten again and again is still that
        return n


class Translator:
    """The block cache of one hart and the dispatcher that runs it."""

    def __init__(self, h: Hart, threshold: int = THRESHOLD) -> None:
        self.h = h
        self.threshold = max(1, threshold)
        self.spaces = (Space(False), Space(True))
        self.by_page: dict[int, set[Callable[..., int]]] = {}  # RAM page -> its blocks
        # How many blocks hold code in each 4-byte word of RAM (saturating at 255), so a
        # store checks one byte to know whether it hits translated code, and stack or
        # data next to code costs nothing.  Anonymous memory: untouched words cost none.
        self.words = mmap.mmap(-1, (len(h.ram) + 3) >> 2)
        self.dropped = 0
        self.max_blocks = MAX_BLOCKS
        # The machine's work between two batches (see run); None: run returns instead.
        self.proceed: Callable[[], int | None] | None = None
        # Called with (pc, count) before the interpreter runs a chunk of cold code (a
        # basic block, or what is left of the budget): the -d block logs and the
        # profile watch execution here, with translation held off for the block logs.
        self.on_chunk: Callable[[int, int], None] | None = None
        # The profile's view of blocks: `on_block(start pc, instret)` is called by every
        # translated block on entry, and `region(pc)` names the function holding pc, so
        # that a block never spans two (calls, returns and jumps to another function end
        # it); both None otherwise, when blocks run exactly as before.
        self.on_block: Callable[[int, int], None] | None = None
        self.region: Callable[[int], object] | None = None
        # While scanning mapped code: the RAM offset minus va of the block's one page.
        self._delta: int | None = None
        self._page = 0
        ram = h.ram
        fast = h.mmu.fast
        self.namespace: dict[str, Any] = {
            "Trap": Trap, **HELPERS, "ram": ram, "r16": h.r16, "r32": h.r32,
            "cw": self.words, "watch": h.watch_pages, "ON_STORE": _stored,
            "LT": fast[LOAD].get, "ST": fast[STORE].get,
        }
        h.on_code_write = self.code_written
        h.fence_i = self.flush  # type: ignore[method-assign]

    # --- mode -----------------------------------------------------------------------------
    def mode(self) -> Space | None:
        """The space blocks run in now, or None when only the interpreter can run.
        Physical: fetches, loads and stores are physical and unchecked (the hart reads
        code straight from RAM, fetch_limit > 0, and its plain RAM accessors are in).
        Mapped: fetches and data go through the MMU's RAM fast path (`Mmu.fast`) and
        the checking accessors.  Neither while watchpoints or triggers watch accesses or
        fetches: those are the interpreter's (they stop before an access)."""
        h = self.h
        if h.watchpoints:
            return None
        acc = h.accessors
        if acc is h.fast and h.fetch_limit > 0:
            return self.spaces[0]
        if (acc is h.checked or acc is h.fast) and not h.triggers.exec_spans:
            return self.spaces[1]
        return None

    @property
    def translated(self) -> int:
        """Blocks made so far, in both spaces (for tests and the bench)."""
        return sum(space.made for space in self.spaces)

    def physical(self) -> bool:
        return self.mode() is self.spaces[0]

    def all_blocks(self) -> list[Callable[..., int]]:
        return [fn for space in self.spaces for fn in space.blocks.values()]

    # --- invalidation ---------------------------------------------------------------------
    def flush(self) -> None:
        """fence.i (and a system reset): drop every translation."""
        for space in self.spaces:
            self.dropped += space.clear()
        self.by_page.clear()
        code = self.h.code_pages
        code[:] = bytes(len(code))
        self.words = self.namespace["cw"] = mmap.mmap(-1, len(self.words))

    def code_written(self, pa: int) -> None:
        """A store at physical address pa hit a page holding translated code: drop the
        blocks it overlaps (a store is at most 4 bytes) and end the run after it."""
        h = self.h
        o = pa - h.ram_base
        page = o >> PAGE_BITS
        fns = self.by_page.get(page)
        w = o >> 2
        if fns and not (self.words[w] or (w + 1 < len(self.words) and self.words[w + 1])):
            return  # data next to code: nothing translated in these words
        if fns:
            hit = [fn for fn in fns if any(lo < pa + 4 and pa < hi for lo, hi in fn.spans)]
            for fn in hit:
                self._drop(fn)
                h.ending = True
            if self.by_page.get(page):
                return
        self.by_page.pop(page, None)
        h.code_pages[page] = 0

    def _drop(self, fn: Callable[..., int]) -> None:
        h = self.h
        space: Space = fn.space  # type: ignore[attr-defined]
        space.blocks.pop(fn.key, None)  # type: ignore[attr-defined]
        # Warm up again before translating anew, each time twice as long: code that is
        # rewritten over and over (a block patching itself) ends up interpreted, while
        # code a loader replaces now and then is soon translated again.
        drops = space.drops[fn.key] = space.drops.get(fn.key, 0) + 1  # type: ignore[attr-defined]
        space.hits[fn.key] = self.threshold - (self.threshold << min(drops, 20))  # type: ignore[attr-defined]
        self.dropped += 1
        words = self.words
        for lo, hi in fn.spans:  # type: ignore[attr-defined]
            for page in ((lo - h.ram_base) >> PAGE_BITS, (hi - 1 - h.ram_base) >> PAGE_BITS):
                fns = self.by_page.get(page)
                if fns is not None:
                    fns.discard(fn)
            for w in range((lo - h.ram_base) >> 2, ((hi - 1 - h.ram_base) >> 2) + 1):
                if words[w] < 255:  # a saturated count stays: at worst a needless check
                    words[w] -= 1

    # --- scanning and code generation ---------------------------------------------------
    def _fetch(self, pc: int) -> int | None:
        """Instruction bits at pc for scanning, or None: physical code is read from RAM
        (anything else through the hart's fetch); mapped code only from the block's own
        page, whose RAM offset is pc + delta, so an instruction running into the next
        page ends the block before it."""
        h = self.h
        d = self._delta
        if d is not None:
            if pc >> PAGE_BITS != self._page:
                return None
            o, room = pc + d, 0x1000 - (pc & 0xFFF)
        else:
            o = pc - h.ram_base
            room = len(h.ram) - o
            if not 0 <= o < len(h.ram):
                # ROM: read as a debugger reads, which no guest access watcher (-d
                # guest_errors, hints) sees and no device notices; MMIO gives None.
                lo = h.bus.debug_read(pc, 2)
                if lo is None:
                    return None
                w = int.from_bytes(lo, "little")
                if w & 3 != 3:
                    return w
                hi = h.bus.debug_read(pc + 2, 2)
                return None if hi is None else w | int.from_bytes(hi, "little") << 16
        if o & 1 or room < 2:
            return None
        w = h.r16[o >> 1]
        if w & 3 == 3:
            if room < 4:
                return None
            w |= h.r16[(o >> 1) + 1] << 16
        return w

    def _region(self, pc: int, end: int, room: int) -> list[Insn] | None:
        """The instructions in [pc, end) if they are at most SKIP plain ALU operations
        (no memory access, call into the hart or control flow) that fit in `room`."""
        out: list[Insn] = []
        while pc < end:
            if len(out) >= min(SKIP, room - 1) or not self._in_scope(pc):
                return None
            w = self._fetch(pc)
            found = None if w is None else decode(w)
            if found is None:
                return None
            op, f = found
            sem = semantics(op)
            if is_control(op) or "h." in sem or "raise" in sem:
                return None
            out.append((pc, w, op, f))
            pc += op.length
        return out if pc == end and out else None

    def _in_scope(self, pc: int) -> bool:
        """May a block hold code at pc: in RAM (physical), in the block's page (mapped)."""
        if self._delta is not None:
            return pc >> PAGE_BITS == self._page
        return 0 <= pc - self.h.ram_base < len(self.h.ram)

    def _enter(self, space: Space, key: int, pc: int) -> None:
        """Scan in the scope of the block with this key."""
        self._delta = key >> 32 if space.mapped else None
        self._page = pc >> PAGE_BITS

    def scan(self, start: int, trace: bool = True) -> list[Insn]:
        """The instructions of the block at start, in execution order.  With trace, the
        block follows direct jumps (jal) and fixed returns, takes in the instructions a
        short forward branch skips (an inlined if), runs on past other conditional
        branches (which become side exits), and ends at an indirect jump, a system
        instruction, a branch or jump back to its start (a loop), the cap, or code it
        cannot fetch or decode (left to the interpreter, which raises the fault with its
        bits).  Without trace it is the basic block: up to the first control-flow or
        system instruction."""
        out: list[Insn] = []
        seen: set[int] = set()
        known: dict[int, int] = {}  # registers whose value the trace itself fixed
        hits = self.spaces[self._delta is not None].hits
        delta = 0 if self._delta is None else self._delta << 32
        pc = start
        owner = self.region
        home = owner(start) if owner is not None else None
        while len(out) < CAP:
            if owner is not None and out and owner(pc) != home:
                break  # another function: the profile sees the block boundary
            w = self._fetch(pc)
            if w is None:
                break
            found = decode(w)
            if found is None:
                break
            op, f = found
            out.append((pc, w, op, f))
            seen.add(pc)
            base = _base(op)
            nxt = pc + op.length
            if trace and base == "jalr" and f["rs1"] in known:
                # A return (or call) through a register set earlier in this trace, as
                # `jal ra, f ... ret`: its target is fixed, so the trace goes on there.
                f["_target"] = target = (known[f["rs1"]] + f["imm"]) & (MASK - 1)
                _track(known, op, f, pc)
                if target == start:
                    break
                if target in seen or not self._in_scope(target):
                    break
                pc = target
                continue
            _track(known, op, f, pc)
            if not trace or base not in _DIRECT:
                if _ends_block(op):
                    break
                pc = nxt
                continue
            target = (pc + f["imm"]) & MASK
            if target == start:
                break  # a loop: the block repeats itself in place
            region = None
            if base != "jal" and target not in seen and nxt < target:
                region = self._region(nxt, target, CAP - len(out))
            if region is not None:
                # `if (c) x = y;`: a forward branch over a few plain ALU instructions
                # becomes an if in the block and the path goes on where both meet.
                f["_skip"] = len(region)
                out.extend(region)
                seen.update(i[0] for i in region)
                for *_, rf in region:  # path-dependent from here on
                    known.pop(rf.get("rd", 0), None)
                pc = target
            elif base == "jal" or (target not in seen and self._in_scope(target) and (
                    target < pc or hits.get(target + delta, 0) > hits.get(nxt + delta, 0))):
                # Jumps are followed; so are backward branches, which close loops and
                # are mostly taken (the static prediction of the ISA manual, 2.5), and
                # forward ones whose target started more interpreted blocks while the
                # code warmed up than their fall-through did.
                if target in seen or not self._in_scope(target):
                    break
                pc = target
            else:
                pc = nxt
            if pc in seen or not self._in_scope(pc):
                break
        return out

    def translate(self, space: Space, key: int, pc: int) -> Callable[..., int] | None:
        h = self.h
        self._enter(space, key, pc)
        if not self._in_scope(pc):
            return None  # ROM and MMIO run in the interpreter
        if sum(len(s.blocks) for s in self.spaces) >= self.max_blocks:
            self.flush()
        insns = self.scan(pc)
        if not insns or any(not self._in_scope(i[0] + i[2].length - 1) for i in insns):
            return None
        at: list[int] = []
        hook = "" if self.on_block is None else f"BLOCK({pc}, ic)"
        src = generate(insns, h.ram_base, len(h.ram), space.mapped, at, hook)
        name = f"<rvirt block {pc:#010x}>"
        ns = self.namespace
        ns["BLOCK"] = self.on_block
        exec(compile(src, name, "exec"), ns)  # noqa: S102 - generated from the table
        fn = ns.pop(f"b_{pc:x}")
        # Physical addresses of its instructions, which stores are checked against.
        to_pa = (key >> 32) + h.ram_base if space.mapped else 0
        fn.spans = [(i[0] + to_pa, i[0] + to_pa + i[2].length) for i in insns]
        fn.length = len(insns)
        fn.pcs = [i[0] for i in insns]
        fn.words = [i[1] for i in insns]
        fn.source = src
        fn.at = at
        fn.space = space
        fn.key = key
        space.blocks[key] = fn
        space.made += 1
        for lo, hi in fn.spans:
            for page in {(lo - h.ram_base) >> PAGE_BITS, (hi - 1 - h.ram_base) >> PAGE_BITS}:
                self.by_page.setdefault(page, set()).add(fn)
                h.code_pages[page] = 1
            words = self.words
            for w in range((lo - h.ram_base) >> 2, ((hi - 1 - h.ram_base) >> 2) + 1):
                if words[w] < 255:
                    words[w] += 1
        return fn

    def _basic_length(self, space: Space, key: int, pc: int) -> int:
        self._enter(space, key, pc)
        return max(1, len(self.scan(pc, trace=False)))

    # --- running --------------------------------------------------------------------------
    def run(self, n: int) -> None:
        """Run up to n instructions (exactly like interp.execute without breakpoints):
        stops early when the batch is ended (interrupt check, wfi); traps are taken.

        Where the interpreter would return to the machine (a trap, the batch ended, the
        budget spent), `proceed` is called if set: the machine's own work between two
        batches (count, poll the devices, take an interrupt, the next budget), done in
        place, so trap-heavy code does not unwind to the machine's loop and back.  It
        returns the next batch's end (an instret value), or None to return."""
        h = self.h
        h.ending = False
        end: int | None = h.instret + n
        while end is not None:
            space = self.mode()
            if space is not None:
                end = self._dispatch(space, end)
                continue
            if end > h.instret:
                interp.execute(h, end - h.instret)
            end = self._proceed()

    def _proceed(self) -> int | None:
        proceed = self.proceed
        if proceed is None:
            return None
        end = proceed()
        self.h.ending = False
        return end

    def _dispatch(self, space: Space, end: int) -> int | None:
        """Run blocks of `space` (and interpret what is cold) up to instret = end, batch
        after batch while `proceed` allows.  Returns the current batch's end when the
        mode changed, to go on in the new one; None when done."""
        h = self.h
        X = h.x
        mapped = space.mapped
        blocks = space.blocks
        get = blocks.get
        hits = space.hits
        lens = space.lens
        fget = h.mmu.fast[FETCH].get
        fetch_delta = h.mmu.fetch_delta
        threshold = self.threshold
        execute = interp.execute
        on_chunk = self.on_chunk
        pc = h.pc
        ic = h.instret
        fn: Callable[..., int] | None = None
        key: int | None
        while True:  # batches
            limit = end - CAP
            try:
                while True:  # blocks
                    if ic <= limit:
                        if mapped:
                            d = fget(pc >> 12)
                            fn = get(pc + (d << 32)) if d is not None else None
                        else:
                            fn = get(pc)
                        if fn is not None:
                            pc = fn(h, X, ic, end)
                            ic = h.instret
                            continue
                    fn = None
                    if pc & 1:  # a block asked the dispatcher to look (see module doc)
                        pc ^= 1
                        if h.ending:
                            break
                        if self.mode() is not space:
                            h.pc = pc
                            return end
                        continue
                    left = end - ic
                    if left <= 0:
                        break
                    if mapped:
                        d = fetch_delta(pc)
                        key = None if d is None else pc + (d << 32)
                    else:
                        key = pc
                    fn = get(key) if key is not None else None
                    if fn is not None:
                        if fn.length <= left:  # type: ignore[attr-defined]
                            pc = fn(h, X, ic, end)
                            ic = h.instret
                            continue
                        k = left  # the block does not fit the budget: interpret the rest
                    elif key is None:
                        k = CAP  # not fetchable from RAM: the interpreter fetches (or faults)
                    else:
                        count = hits.get(key, 0) + 1
                        hits[key] = count
                        if count >= threshold:
                            if self.translate(space, key, pc) is not None:
                                continue
                            hits[key] = COLD
                        k = lens.get(key) or 0
                        if not k:
                            k = lens[key] = self._basic_length(space, key, pc)
                    fn = None
                    k = min(k, left)
                    h.pc = pc
                    if on_chunk is not None:
                        on_chunk(pc, k)
                    execute(h, k)
                    pc = h.pc
                    ran = h.instret - ic
                    ic = h.instret
                    # The interpreter returns after a trap; so does this loop, so that the
                    # machine looks at interrupts exactly when it does with the interpreter.
                    if h.ending or ran < k:
                        break
                    if self.mode() is not space:  # a CSR write changed the mode
                        return end
                h.pc = pc
                h.instret = ic
            except Trap as t:
                k = None if fn is None else _position(fn, t)
                if k is None:  # only blocks raise traps here (the interpreter takes its own)
                    raise
                h.pc = fn.pcs[k]  # type: ignore[attr-defined, union-attr]
                tval = t.tval
                if tval is None:  # illegal instruction: mtval holds its bits (QEMU 7.2)
                    w = fn.words[k]  # type: ignore[attr-defined]
                    tval = w & 0xFFFF if w & 3 != 3 else w
                h.take_trap(t.cause, tval)  # as the interpreter does, then it returns
                fn = None
            except BaseException as e:
                if fn is not None:  # else the interpreter has set the pc
                    k = _position(fn, e)
                    h.pc = pc if k is None else fn.pcs[k]  # type: ignore[attr-defined]
                raise
            # Where the interpreter returns to the machine: the machine's turn.
            nxt = self._proceed()
            if nxt is None:
                return None
            end = nxt
            pc = h.pc
            ic = h.instret
            if self.mode() is not space:
                return end


def _position(fn: Callable[..., int], exc: BaseException) -> int | None:
    """Index in fn of the instruction that raised exc: the line of fn's frame in the
    traceback, through the block's line map.  None when fn's frame is not in it (fn had
    returned: the dispatcher's own pc is the one)."""
    tb = exc.__traceback__
    code = fn.__code__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return fn.at[tb.tb_lineno - 1]  # type: ignore[attr-defined, no-any-return]
        tb = tb.tb_next
    return None


def executing_pc() -> int | None:
    """The pc of the instruction being executed, asked from inside it (by a bus watcher
    or a device, which are not told): the interpreter's own `pc`, or, in a block, the
    instruction of the block's current line.  None outside execution.  Walks the Python
    stack, so only cold paths (a diagnostic, once) may ask."""
    frame = sys._getframe(1)
    block = None
    while frame is not None:
        code = frame.f_code
        if code is interp.execute.__code__:
            return frame.f_locals["pc"]  # type: ignore[no-any-return]
        if code.co_filename.startswith("<rvirt block"):
            block = frame
        elif code is Translator._dispatch.__code__ and block is not None:
            fn = frame.f_locals.get("fn")
            if fn is not None and fn.__code__ is block.f_code:
                return fn.pcs[fn.at[block.f_lineno - 1]]  # type: ignore[no-any-return]
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _stored(h: Hart, a: int, n: int) -> None:
    """An inlined store landed in a page flagged as translated code or device-watched:
    the notifications the hart's own store accessors make."""
    o = a - h.ram_base
    if h.code_pages[o >> PAGE_BITS]:
        h.on_code_write(a)
    if h.watch_pages[o >> PAGE_BITS]:
        h.on_watched_write(a, n)


def _track(known: dict[int, int], op: Op, f: dict[str, int], pc: int) -> None:
    """Update the registers of known value after op (constants and return addresses)."""
    rd = f.get("rd", 0)
    if not rd:
        return
    base = _base(op)
    if base in ("jal", "jalr"):
        known[rd] = pc + op.length
    elif base == "lui":
        known[rd] = f["imm"] & MASK
    elif base == "auipc":
        known[rd] = (pc + f["imm"]) & MASK
    elif base == "addi" and (f["rs1"] == 0 or f["rs1"] in known):
        known[rd] = (known.get(f["rs1"], 0) + f["imm"]) & MASK
    else:
        known.pop(rd, None)


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


_SIMPLIFY = [
    # registers are always in 0..2**32-1: adding 0 or masking again changes nothing
    (re.compile(r"\((x\d+) \+ 0x0\) & 0xffffffff"), r"\1"),
    (re.compile(r"\(0 \+ (x\d+)\) & 0xffffffff"), r"\1"),
    (re.compile(r"(x\d+) & (0x[0-9a-f]+) & 0xffffffff"), r"\1 & \2"),
    # or/xor with a non-negative literal stays within 32 bits (a negative one is
    # sign-extended, `(-5)`, and keeps its mask)
    (re.compile(r"\((x\d+) ([|^]) (0x[0-9a-f]+)\) & 0xffffffff"), r"\1 \2 \3"),
    # the unsigned helpers of semantics.py, spelled out to save a call
    (re.compile(r"\bREMU\((\w+), (\w+)\)"), r"(\1 % \2 if \2 else \1)"),
    (re.compile(r"\bDIVU\((\w+), (\w+)\)"), r"(\1 // \2 if \2 else 0xffffffff)"),
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
    for k, (_, _, op, f) in enumerate(insns):
        size = _SIZE.get(_base(op))
        rs1 = f.get("rs1", 0)
        if size and rs1 and f["imm"] % size == 0:
            kind = mapped and _base(op) in _LOADS
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
        kinds = {_base(insns[k][2]) in _LOADS for k, _, _ in accesses}
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
    start = insns[0][0]
    n = len(insns)
    last_pc, _, last_op, last_f = insns[-1]
    loop = (_base(last_op) in _DIRECT and (last_pc + last_f["imm"]) & MASK == start
            ) or last_f.get("_target") == start
    g = _Gen(loop, {f["rd"] for _, _, _, f in insns if f.get("rd")})
    member, before, entry = _shared_checks(insns, g.all_written, mapped)
    finished = False
    # an open inlined if: last index, length, registers written, lines before its body
    region: tuple[int, int, set[int], int] | None = None
    for k, (pc, _, op, f) in enumerate(insns):
        if region is not None and k > region[0]:
            _close(g, region)
            region = None
        g.k = k
        nxt = pc + op.length
        base = _base(op)
        for check in before.get(k, ()):
            for line in _check_lines(check, ram_base, ram_size, mapped):
                g.use(line.partition(" = ")[2])
                g.emit(line)
        rs1 = f.get("rs1", 0)
        imm = f.get("imm", 0)
        addr = f"(x{rs1} + {_literal(imm)}) & 0xffffffff" if rs1 else hex(imm & MASK)
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
        if base in _DIRECT or "_target" in f:
            target = f.get("_target", (pc + imm) & MASK)
            last = k == n - 1
            if base in ("jal", "jalr"):
                rd = f.get("rd", 0)
                if rd:
                    g.emit(f"x{rd} = {nxt:#x}")
                    g.wrote(rd, nxt)
                if not last:
                    continue
                cond = "True"
                after = hex(target)
            else:
                m = _COND_RE.match(_spliced(op, {k: v for k, v in f.items() if k != "_target"},
                                            pc))
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
            elif base in ("jal", "jalr"):
                g.exit(0, k + 1, hex(target))
                finished = True
                break
            elif "_skip" in f:
                # Not taken: the instructions up to the target run, inside the if; taken,
                # they do not retire, so the count goes back by as many (_close).
                skip = f["_skip"]
                g.emit(f"if not ({cond}):")
                g.depth += 1
                region = (k + skip, skip, {i[3].get("rd", 0) for i in insns[k + 1:k + 1 + skip]},
                          len(g.lines))
            elif not last and insns[k + 1][0] == target != nxt:
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
        if calls and base in _GOES_ON:
            g.emit("if h.ending:")
            g.exit(1, k + 1, f"{nxt:#x} | 1")
        elif control or calls:
            ret = "npc" if control else hex(nxt)
            g.exit(0, k + 1, f"{ret} | 1" if calls else ret)
            finished = True
    if region is not None:
        _close(g, region)
    if not finished:
        g.exit(0, n, hex(last_pc + last_op.length))
    head = [f"def b_{start:x}(h, X, ic, end):"]
    if prologue:  # a statement run on entry (the profile's block hook)
        head.append("    " + prologue)
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
