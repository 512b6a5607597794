"""Block discovery, the block cache, its invalidation and the dispatcher: what both block
tiers share (`-accel tcg`, Python blocks: rvirt.exec.pygen; `-accel native`, LLVM blocks:
rvirt.exec.native).  Only code generation differs between them.

A block starts where the interpreter counted `threshold` entries and follows one path:
through direct jumps, backward branches (and forward ones whose target was entered more
often while warming up), and returns whose target the path itself fixed (`jal ra, f ...
ret`); a forward branch over a few plain ALU instructions becomes an `if` around them
(`if (c) x = y;`), other branches become side exits.  It ends at an indirect jump, a
system instruction (ecall, ebreak, xRET, wfi, fence.i, sfence.vma), the cap, or code it
cannot fetch or decode (left to the interpreter, which raises the fault).  A path that
comes back to its start becomes a loop.

Counting: a block keeps `h.instret` exact wherever anything can look at it.  It sets
`h.instret = ic + k` (k = instructions of the path before this one) before every call
that can trap, read a counter or mtime, or end the batch, and the final count on exit, so
`Hart.retired()` is exact with no batch iterator; where an inlined `if` skipped its
instructions, `ic` goes down by as many.  A trap leaves the count at the faulting
instruction; the dispatcher finds which one it was from the block's line in the
traceback (each source line knows its instruction; native blocks leave such an
instruction to the interpreter, which raises it).  `Hart.end_batch()` sets
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
the blocks whose code memory no longer holds (revalidate).
"""

from __future__ import annotations

import mmap
import sys
from collections.abc import Callable
from typing import Any, Protocol

from rvirt.cpu.hart import Hart
from rvirt.cpu.mmu import FETCH
from rvirt.cpu.trap import Trap
from rvirt.exec import interp
from rvirt.isa.decode import decode
from rvirt.isa.table import DIRECT, JUMPS, Op, base_name, ends_block, is_plain
from rvirt.isa.xlen import MASK

# Executions of a block's first instruction before it is translated.  Making a Python
# block costs some 6 ms (generating and compiling its source), about what interpreting it
# a few hundred times costs: code run a few times (a kernel's boot, its drivers' set-up)
# is cheaper to interpret.  Linux's boot to its init (about 40 million instructions) took
# 79 s at 8 and 36 s at 40 (with native.HOT at 2048).
THRESHOLD = 40
CAP = 48  # instructions per block at most (also the budget margin of the fast loop)
SKIP = 8  # instructions a forward branch may skip and still be inlined as an if
PAGE_BITS = 12
COLD = -(1 << 40)  # hit count of an address that cannot be translated
# Blocks kept at most; reaching it drops them all (as QEMU flushes every translation
# when its code buffer is full), which bounds the memory of a guest whose mappings keep
# changing, since blocks of mappings gone are not dropped one by one.
MAX_BLOCKS = 1 << 14

class Insn:
    """One instruction of a scanned block, with what the trace learned about it.  (A
    plain class: a dataclass's generated methods cost every start-up, and nothing
    compares Insns.)"""

    __slots__ = ("pc", "bits", "op", "f", "target", "skip", "self_call")

    def __init__(self, pc: int, bits: int, op: Op, f: dict[str, int],
                 target: int | None = None, skip: int = 0, self_call: bool = False) -> None:
        self.pc = pc
        self.bits = bits
        self.op = op
        self.f = f  # the decoded fields
        # a jalr whose target the trace fixed (`jal ra, f ... ret`)
        self.target = target
        # a forward branch inlined as an if: how many instructions it skips
        self.skip = skip
        # A call of its own function's entry that closes the block: a new frame for the
        # profile, not a loop.
        self.self_call = self_call

    def __repr__(self) -> str:
        return (f"Insn(pc={self.pc:#x}, bits={self.bits:#x}, op={self.op.name}, f={self.f}, "
                f"target={self.target}, skip={self.skip}, self_call={self.self_call})")

    @property
    def name(self) -> str:
        """The row that holds its facts (a compressed instruction's base row)."""
        return base_name(self.op)

    def jump_target(self) -> int | None:
        """Where it goes if it jumps or its branch is taken, when that is known here."""
        if self.target is not None:
            return self.target
        if self.name in DIRECT:
            return (self.pc + self.f["imm"]) & MASK
        return None


def is_loop(insns: list[Insn]) -> bool:
    """Does the block end by going back to its start: then the tiers run it as a loop in
    place.  (A call of its own function's entry is not one: the profile sees it.)"""
    last = insns[-1]
    return not last.self_call and last.jump_target() == insns[0].pc

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
        # Whether a page no block of this translator holds any more has its flag
        # cleared: not when harts share the flags (another's blocks may be there).
        self.clears_pages = True
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
        # The profile's view of blocks (BlockWatch), None when blocks run exactly as
        # without it: no block spans two of its functions, and each block tells it of
        # its entry when the function changes.
        self.watch: BlockWatch | None = None
        # While scanning mapped code: the RAM offset minus va of the block's one page.
        self._delta: int | None = None
        self._page = 0
        # What makes code of a scanned block: Python functions unless a subclass says.
        self.codegen = self.make_codegen()
        h.on_code_write = self.code_written
        h.on_fence_i = self.revalidate

    def make_codegen(self) -> Codegen:
        """The code generator of the tier (rvirt.exec.pygen, rvirt.exec.native)."""
        raise NotImplementedError

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

    def stats(self) -> dict[str, Any]:
        """What translation did so far (RVIRT_STATS, the bench): blocks made and dropped,
        and the code generator's own counts."""
        return {"blocks": self.translated, "dropped": self.dropped, **self.codegen.stats()}

    def all_blocks(self) -> list[Callable[..., int]]:
        return [fn for space in self.spaces for fn in space.blocks.values()]

    # --- invalidation ---------------------------------------------------------------------
    def flush(self) -> None:
        """fence.i (and a system reset): drop every translation."""
        for space in self.spaces:
            self.dropped += space.clear()
        self.by_page.clear()
        if self.clears_pages:
            code = self.h.code_pages
            code[:] = bytes(len(code))
        _zero(self.words)
        self.codegen.flush()

    def revalidate(self) -> None:
        """fence.i: drop the blocks whose instructions memory no longer holds.  This
        hart's stores, the other harts' through the interpreter and devices' DMA drop
        what they overlap at once (code_written); a block another hart's translated
        store rewrote behind this translator (its word map is its own) is found here,
        where the spec makes the fetching hart's fence.i the point from which it must
        see the store (Zifencei, unprivileged spec 6.1).  Code that stayed the same
        stays translated: Linux's one fence.i in its boot used to drop some 2,500
        blocks, every one of them translated again."""
        h = self.h
        base = h.ram_base
        r16 = h.r16
        stale = []
        for space in self.spaces:
            for fn in space.blocks.values():
                for (lo, hi), w in zip(fn.spans, fn.words, strict=True):  # type: ignore[attr-defined]
                    o = (lo - base) >> 1
                    got = r16[o] if hi - lo == 2 else r16[o] | r16[o + 1] << 16
                    if got != w:
                        stale.append(fn)
                        break
        for fn in stale:
            self._drop(fn)  # (a native compile still running for one is not installed)

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
        if self.clears_pages:
            h.code_pages[page] = 0

    def _drop(self, fn: Callable[..., int]) -> None:
        h = self.h
        self.codegen.drop(fn)
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

    def replace(self, old: Callable[..., int], new: Callable[..., int]) -> None:
        """Put new, the same block made by another tier, in old's place."""
        for attr in ("spans", "length", "pcs", "words", "space", "key"):
            setattr(new, attr, getattr(old, attr))
        old.space.blocks[old.key] = new  # type: ignore[attr-defined]
        h = self.h
        for lo, hi in old.spans:  # type: ignore[attr-defined]
            for page in {(lo - h.ram_base) >> PAGE_BITS, (hi - 1 - h.ram_base) >> PAGE_BITS}:
                fns = self.by_page.get(page)
                if fns is not None and old in fns:
                    fns.discard(old)
                    fns.add(new)

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
            if not is_plain(op):
                return None
            out.append(Insn(pc, w, op, f))
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
        owner = None if self.watch is None else self.watch.function
        home = owner(start) if owner is not None else None
        while len(out) < CAP:
            if owner is not None and out and (owner(pc) != home or pc == home):
                # another function, or its own entry (a call of itself): the profile
                # sees the block boundary
                break
            w = self._fetch(pc)
            if w is None:
                break
            found = decode(w)
            if found is None:
                break
            op, f = found
            insn = Insn(pc, w, op, f)
            out.append(insn)
            seen.add(pc)
            base = insn.name
            nxt = pc + op.length
            if trace and base == "jalr" and f["rs1"] in known:
                # A return (or call) through a register set earlier in this trace, as
                # `jal ra, f ... ret`: its target is fixed, so the trace goes on there.
                insn.target = target = (known[f["rs1"]] + f["imm"]) & (MASK - 1)
                _track(known, op, f, pc)
                if target == start:
                    insn.self_call = start == home and bool(f.get("rd"))
                    break
                if target in seen or not self._in_scope(target):
                    break
                pc = target
                continue
            _track(known, op, f, pc)
            if not trace or base not in DIRECT:
                if ends_block(op):
                    break
                pc = nxt
                continue
            target = (pc + f["imm"]) & MASK
            if target == start:
                insn.self_call = start == home and bool(f.get("rd"))
                break  # a loop, which repeats in place (or a call of itself)
            region = None
            if base != "jal" and target not in seen and nxt < target:
                region = self._region(nxt, target, CAP - len(out))
            if region is not None:
                # `if (c) x = y;`: a forward branch over a few plain ALU instructions
                # becomes an if in the block and the path goes on where both meet.
                insn.skip = len(region)
                out.extend(region)
                seen.update(i.pc for i in region)
                for i in region:  # path-dependent from here on
                    known.pop(i.f.get("rd", 0), None)
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
        if not insns or any(not self._in_scope(i.pc + i.op.length - 1) for i in insns):
            return None
        fn = self.codegen.compile(insns, space, key, pc)
        # Physical addresses of its instructions, which stores are checked against.
        to_pa = (key >> 32) + h.ram_base if space.mapped else 0
        fn.spans = [(i.pc + to_pa, i.pc + to_pa + i.op.length) for i in insns]
        fn.length = len(insns)
        fn.pcs = [i.pc for i in insns]
        fn.words = [i.bits for i in insns]
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
        """The length of the basic block at key, kept in space.lens (callers look there
        first)."""
        self._enter(space, key, pc)
        if self.watch is not None:  # (the profile's function boundaries end it too)
            k = len(self.scan(pc, trace=False))
        else:
            # scan(pc, trace=False)'s length without its Insns: cold code is interpreted
            # by basic blocks, each measured once, and there are thousands of them.
            k = 0
            fetch = self._fetch
            while k < CAP:
                w = fetch(pc)
                found = None if w is None else decode(w)
                if found is None:
                    break
                k += 1
                op = found[0]
                if ends_block(op):
                    break
                pc += op.length
        k = space.lens[key] = max(1, k)
        return k

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
        self.codegen.between_batches()
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
                        # The block does not fit the budget: interpret the rest, by basic
                        # blocks when watched (a chunk stays in one function).
                        k = left if on_chunk is None else (
                            lens.get(key) or self._basic_length(space, key, pc))
                    elif key is None:
                        k = CAP  # not fetchable from RAM: the interpreter fetches (or faults)
                    else:
                        count = hits.get(key, 0) + 1
                        hits[key] = count
                        if count >= threshold:
                            if self.translate(space, key, pc) is not None:
                                continue
                            hits[key] = COLD
                        k = lens.get(key) or self._basic_length(space, key, pc)
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
                k = None if fn is None or fn.at is None else _position(fn, t)  # type: ignore[attr-defined]
                if k is None:  # only blocks raise traps here (the interpreter takes its own)
                    raise
                h.pc = fn.pcs[k]  # type: ignore[attr-defined, union-attr]
                # as the interpreter does (an illegal one's bits), then it returns
                h.take_trap(t.cause, t.tval_for(fn.words[k]))  # type: ignore[attr-defined]
                fn = None
            except BaseException as e:
                # A native block leaves what raises to the interpreter, which sets the pc.
                if fn is not None and fn.at is not None:  # type: ignore[attr-defined]
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


class BlockWatch(Protocol):
    """What watches blocks run (the profile, rvirt.diag.profile): `function(pc)` names
    the function holding pc (an int: its entry), so that calls, returns and jumps to
    another function or to a function's entry end a block; `fid` is the function it last
    saw the hart in and `ret` where its top frame returns to; `enter(pc, instret)` is
    called when a block starts in another function than `fid`, at a function's entry
    (pc == function(pc)) or at `ret`.  Native code also moves the profile's stack itself
    (rvirt.exec.native.WatchTables): it reads `top` (its `idx`) and `last` (the instret
    counted up to), tells `moved(idx)` and sets `last` back, and gives the profile
    `tables`."""

    fid: int
    ret: int
    top: Any
    last: int
    tables: Any

    def function(self, pc: int) -> int: ...

    def enter(self, pc: int, ic: int) -> None: ...

    def moved(self, idx: int) -> None: ...


class Codegen(Protocol):
    """What a block tier provides: code for a scanned block, as a callable
    `fn(h, X, ic, end) -> next pc` (see the module doc for the protocol) carrying `at`
    (instruction index of each source line, for _position) or `at = None` when it never
    raises out of itself.  The translator sets the bookkeeping attributes (spans, pcs,
    words, length, space, key)."""

    def compile(self, insns: list[Insn], space: Space, key: int, pc: int
                ) -> Callable[..., int]: ...

    def drop(self, fn: Callable[..., int]) -> None:
        """fn's code was written: nothing may run it again."""

    def flush(self) -> None:
        """Every block was dropped (fence.i, a reset, the cache full)."""

    def stats(self) -> dict[str, Any]:
        """Its own counts for Translator.stats (native compiles and their times)."""

    def between_batches(self) -> None:
        """The dispatcher is between two batches: code made meanwhile may come in."""


def _zero(m: mmap.mmap) -> None:
    """Zero an anonymous mapping in place (its address stays, for code that holds it):
    the host gives the pages back and refills them with zeros on the next touch."""
    if sys.platform.startswith("linux"):
        m.madvise(mmap.MADV_DONTNEED)
    else:
        m[:] = bytes(len(m))


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


# Code of the functions that run an instruction a native block left to Python, with that
# instruction's address in their local `pc` (rvirt.exec.native registers its own).
SIDE_EXIT_CODES: set[object] = set()


def executing_pc() -> int | None:
    """The pc of the instruction being executed, asked from inside it (by a bus watcher
    or a device, which are not told): the interpreter's own `pc`, or, in a block, the
    instruction of the block's current line.  None outside execution.  Walks the Python
    stack, so only cold paths (a diagnostic, once) may ask."""
    frame = sys._getframe(1)
    block = None
    while frame is not None:
        code = frame.f_code
        if code is interp.execute.__code__ or code in SIDE_EXIT_CODES:
            return frame.f_locals["pc"]  # type: ignore[no-any-return]
        if code.co_filename.startswith("<rvirt block"):
            block = frame
        elif code is Translator._dispatch.__code__ and block is not None:
            fn = frame.f_locals.get("fn")
            if fn is not None and fn.__code__ is block.f_code:
                return fn.pcs[fn.at[block.f_lineno - 1]]  # type: ignore[no-any-return]
        frame = frame.f_back  # type: ignore[assignment]
    return None


def inlined_store(h: Hart, a: int, n: int) -> None:
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
    base = base_name(op)
    if base in JUMPS:
        known[rd] = pc + op.length
    elif base == "lui":
        known[rd] = f["imm"] & MASK
    elif base == "auipc":
        known[rd] = (pc + f["imm"]) & MASK
    elif base == "addi" and (f["rs1"] == 0 or f["rs1"] in known):
        known[rd] = (known.get(f["rs1"], 0) + f["imm"]) & MASK
    else:
        known.pop(rd, None)
