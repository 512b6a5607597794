"""Hints: rvirt notices the tutorial's classic mistakes as they happen and says, in one or
two `rvirt: hint:` lines on stderr, what happened, the probable cause, and where (the
function and `file.rs:line`, from the ELF's DWARF).  Each hint is given at most once a
run.  Nothing the guest sees changes: the machine goes on exactly as QEMU would (which
says nothing and, mostly, hangs).

The machine calls in on cold paths only: before a trap is taken, and when the bus drops
a store to the boot ROM.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.cpu.trap import INSN_ACCESS, LOAD_ACCESS, STORE_ACCESS
from rvirt.diag.log import trap_name

if TYPE_CHECKING:
    from rvirt.board.virt import Machine
    from rvirt.cpu.hart import Hart

SP = 2
NEAR_SP = 4096  # a fault this close to sp is the stack's
LIBRARY = "/rustlib/src/rust/library/"  # where Rust's core comes from
LOAD_OR_STORE = (4, 5, 6, 7, 13, 15)  # misaligned, access and page faults of data
ECALLS = (8, 9, 11)


class Hints:
    """The hints of one machine; `say` prints a line (the machine's notice)."""

    def __init__(self, m: Machine, say: Callable[[str], None] | None = None) -> None:
        self.m = m
        self.say = say or m.notice
        self.given: set[str] = set()
        self.last: list[str] = []  # the lines of the last hint given (the debugger's info trap)
        self._vectors: set[int] = set()  # trap vectors already seen to hold code

    def attach(self) -> None:
        self.m.hart.trap_hooks.append(self.trap)
        self.m.bus.watchers.append(self.bus_event)

    def give(self, kind: str, *lines: str) -> None:
        if kind in self.given:
            return
        self.given.add(kind)
        self.last = list(lines)
        for line in lines:
            self.say(f"hint: {line}")

    def _in(self, pc: int) -> str:
        """`in p0::entry at src/main.rs:37` (or at the address when nothing is known);
        in a leaf function of Rust's own library (`core::ptr::write_volatile` without
        optimisation), also the caller's line, found through ra."""
        where = self.m.where(pc)
        if where == f"{pc:#x}":
            return f"at {where}"
        if LIBRARY in where:
            ra = self.m.hart.x[1]
            caller = self.m.where(ra - 2)  # inside the call instruction
            if ra and caller != f"{ra - 2:#x}" and LIBRARY not in caller:
                func = self.m.function_at(pc)
                name = func.name if func is not None else where
                return f"in {name}, called from {caller}"
        return f"in {where}"

    def _fetchable(self, addr: int) -> bool:
        return self.m.bus.debug_read(addr, 2) is not None

    # --- before every trap ------------------------------------------------------------
    def trap(self, h: Hart, cause: int, tval: int, interrupt: bool) -> None:
        if interrupt or cause in ECALLS and "trap" in self.given and \
                h.csr["mtvec"] in self._vectors:
            return  # the usual trap of a working kernel: nothing to look at
        pc = h.pc
        name = trap_name(cause, False)
        if pc == MM.DRAM_BASE and self.m.dropped and not self._loaded_at(MM.DRAM_BASE):
            self._nothing_at_ram_start()
        elif cause in LOAD_OR_STORE and self._bad_sp(h, tval):
            self._no_stack(h, cause, tval)
        elif cause in (LOAD_ACCESS, STORE_ACCESS) and self.m.bus.find(tval) is None:
            kind = "store to" if cause == STORE_ACCESS else "load from"
            self.give("no-device",
                      f"a {kind} {tval:#010x} {self._in(pc)} faulted ({name}): no device "
                      f"or memory is at that address.",
                      "the virt board's devices: UART 0x10000000, CLINT 0x2000000, PLIC "
                      "0xc000000, test finisher 0x100000; RAM from 0x80000000.")
        self._check_vector(h, cause, tval, name)

    def _check_vector(self, h: Hart, cause: int, tval: int, name: str) -> None:
        """The trap goes where nothing can be fetched: the hart will loop on instruction
        access faults (the first of which comes here too, and is not the one to report)."""
        if "no-handler" in self.given or (cause == INSN_ACCESS and "trap" in self.given):
            return
        c = h.csr
        delegated = h.priv <= 1 and c["medeleg"] >> cause & 1
        reg = "stvec" if delegated else "mtvec"
        base = c[reg] & ~3
        self.given.add("trap")  # the first trap has been seen
        if c[reg] in self._vectors:
            return
        if base and self._fetchable(base):
            self._vectors.add(c[reg])
            return
        why = "= 0" if not base else f"= {base:#010x}, where nothing can be fetched"
        self.give("no-handler",
                  f"{name} (cause {cause}) {self._in(h.pc)}, with {reg} {why}: no trap "
                  f"handler is installed, so the hart now loops on instruction access "
                  f"faults.",
                  f"install one before anything can trap: csrw {reg}, <handler address>.")

    def _bad_sp(self, h: Hart, tval: int) -> bool:
        sp = h.x[SP]
        ram_end = MM.DRAM_BASE + self.m.config.ram_size
        return (sp == 0 or not MM.DRAM_BASE <= sp <= ram_end) and \
            abs((tval - sp + (1 << 31)) % (1 << 32) - (1 << 31)) <= NEAR_SP

    def _no_stack(self, h: Hart, cause: int, tval: int) -> None:
        sp = h.x[SP]
        off = (tval - sp + (1 << 31)) % (1 << 32) - (1 << 31)
        at = f"sp{off:+#x}" if off else "sp"
        func = self.m.function_at(h.pc)
        who = f"the prologue of {func.name}" if func is not None and \
            h.pc - func.low < 32 else "the code"
        top = "_init_stack_top" if "_init_stack_top" in self.m.symbols else "_stack_top" \
            if "_stack_top" in self.m.symbols else "the stack's top"
        self.give("no-stack",
                  f"{trap_name(cause, False)} at {tval:#010x} ({at}) {self._in(h.pc)}: sp = "
                  f"{sp:#x} is not in RAM, so {who} stored below it into nothing.",
                  f"the stack was never set up: _start must load sp (la sp, {top}) before "
                  f"it calls Rust code.")

    # --- the linker mistake -------------------------------------------------------------
    def _loaded_at(self, addr: int) -> bool:
        return any(a <= addr < a + len(d) for a, d in self.m.placed)

    def _nothing_at_ram_start(self) -> None:
        entry = next((img.entry for img in self.m.images if not img.raw), None)
        linked = f" (its entry point is {entry:#x}" + (
            f", {self.m.where(entry)})" if self.m.where(entry) != f"{entry:#x}" else ")") \
            if entry is not None else ""
        self.give("nothing-at-ram",
                  f"the boot ROM jumped to {MM.DRAM_BASE:#x}, but nothing is loaded there: "
                  f"the kernel is linked outside RAM{linked}.",
                  f"link it at {MM.DRAM_BASE:#x}: give the linker your linker script "
                  f"(-T script.ld, e.g. from build.rs).")
        self.given.add("no-handler")  # the loop that follows is this mistake's

    # --- a store to the boot ROM --------------------------------------------------------
    def bus_event(self, kind: str, write: bool, addr: int, size: int) -> None:
        if kind != "rom" or "rom-store" in self.given:
            return
        from rvirt.exec.translate import executing_pc
        pc = executing_pc()
        where = self._in(pc) if pc is not None else ""
        self.give("rom-store",
                  f"a store to {addr:#010x} {where} was dropped: that is the boot ROM "
                  f"({MM.MROM.base:#x}-{MM.MROM.base + MM.MROM.size - 1:#x}), which ignores "
                  f"stores.",
                  f"RAM starts at {MM.DRAM_BASE:#x}; is the address a typo, or a pointer "
                  f"that was never set?")
