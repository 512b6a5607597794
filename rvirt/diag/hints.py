"""Hints: rvirt notices the tutorial's classic mistakes as they happen and says, in one or
two `rvirt: hint:` lines on stderr, what happened, the probable cause, and where (the
function and `file.rs:line`, from the ELF's DWARF).  Each hint is given at most once a
run.  Nothing the guest sees changes: the machine goes on exactly as QEMU would (which
says nothing and, mostly, hangs).

The machine calls in on cold paths only: before a trap is taken, and when the bus drops
a store to the boot ROM.

A hint names the learner's own code: when the fault is inside Rust's library (a
`core::ptr::write_volatile` that the learner called), the place is the first caller
outside it, found by unwinding with the ELF's call frame information as the debugger's
backtrace does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.cpu.mmu import FETCH, PRV_M, PRV_S, SATP_SV32
from rvirt.cpu.pmp import PMP_X
from rvirt.cpu.trap import ILLEGAL, INSN_ACCESS, INSN_PAGE, LOAD_ACCESS, STORE_ACCESS, Trap

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.cpu.hart import Hart
    from rvirt.firmware import SbiCall

SP = 2
NEAR_SP = 4096  # a fault this close to sp is the stack's
# Rust's own library: its sources as rust-src installs them (Debian's /usr/lib/rustlib,
# rustup's toolchains), or as a prebuilt library names them (/rustc/<commit>/library/),
# and its crates' names.
LIBRARY = "/rustlib/src/rust/library/"
PREBUILT_LIBRARY = re.compile(r"/rustc/[0-9a-f]+/library/")
LIBRARY_CRATES = frozenset({"core", "alloc", "std", "compiler_builtins"})
CRATE = re.compile(r"<*(\w+)::")
MAX_FRAMES = 64  # callers looked at for the learner's frame
LOAD_OR_STORE = (4, 5, 6, 7, 13, 15)  # misaligned, access and page faults of data
MISA_CSR = 0x301

# Extensions a hart may lack, told from their encodings (unprivileged spec, "RV32/64G
# Instruction Set Listings" and the C chapter's RV32 table; V spec 1.0, sections 7 and
# 10): name -> (misa bit, None when misa has none; what it is).
EXTENSIONS = {
    "F": (5, "single-precision floating point"),
    "D": (3, "double-precision floating point"),
    "Q": (16, "quad-precision floating point"),
    "Zfh": (None, "half-precision floating point"),
    "V": (21, "vector"),
}
FP_FORMATS = ("F", "D", "Zfh", "Q")  # fmt (bits 26:25) of OP-FP and the fused multiply-adds
FP_WIDTHS = {1: "Zfh", 2: "F", 3: "D", 4: "Q"}  # LOAD-FP/STORE-FP width; 0, 5-7 are V's
FP_CSRS = (0x001, 0x002, 0x003)  # fflags, frm, fcsr
V_CSRS = (0x008, 0x009, 0x00A, 0x00F, 0xC20, 0xC21, 0xC22)  # vstart ... vlenb
QEMU_RV32_HAS = ("F", "D")  # QEMU 7.2's -cpu rv32 has F and D; rvirt's is RV32IMAC
MISA_ORDER = "IEMAFDQCBJTPVH"  # the canonical order of an ISA string


def extension_of(w: int) -> str | None:
    """The extension an instruction (bits as fetched) belongs to, among those a hart may
    lack (EXTENSIONS), or None."""
    if w & 3 != 3:  # RV32C: C.FLD/C.FSD(SP) are D's, C.FLW/C.FSW(SP) F's
        quadrant, funct3 = w & 3, w >> 13 & 7
        if quadrant in (0, 2):
            return {1: "D", 5: "D", 3: "F", 7: "F"}.get(funct3)
        return None
    opcode = w & 0x7F
    if opcode in (0x07, 0x27):  # LOAD-FP, STORE-FP
        return FP_WIDTHS.get(w >> 12 & 7, "V")
    if opcode in (0x43, 0x47, 0x4B, 0x4F, 0x53):  # MADD, MSUB, NMSUB, NMADD, OP-FP
        fmt = FP_FORMATS[w >> 25 & 3]
        if opcode == 0x53 and w >> 27 == 0x08:  # FCVT.fmt.fmt: the source's too (rs2)
            source = FP_FORMATS[w >> 20 & 3]
            return "Zfh" if "Zfh" in (fmt, source) else max(fmt, source, key="FDQ".index)
        return fmt
    if opcode == 0x57:  # OP-V
        return "V"
    if opcode == 0x73 and w >> 12 & 3:  # a CSR instruction: whose CSR
        csr = w >> 20
        return "F" if csr in FP_CSRS else "V" if csr in V_CSRS else None
    return None


def isa_string(misa: int, xlen: int) -> str:
    """`RV32IMAC` from misa's extension bits (S and U are modes, not in the string)."""
    return f"RV{xlen}" + "".join(c for c in MISA_ORDER if misa >> (ord(c) - ord("A")) & 1)


def in_library(where: str) -> bool:
    """Is this place (`core::ptr::write_volatile<u8> at /usr/lib/rustlib/...`) inside
    Rust's own library: its file is the library's, or its function one of its crates'?"""
    if LIBRARY in where or PREBUILT_LIBRARY.search(where):
        return True
    crate = CRATE.match(where)
    return crate is not None and crate.group(1) in LIBRARY_CRATES


class Hints:
    """The hints of one machine; `say` prints a line (the machine's notice)."""

    def __init__(self, m: Board, say: Callable[[str], None] | None = None) -> None:
        self.m = m
        self.say = say or m.notice
        self.given: set[str] = set()
        self.last: list[str] = []  # the lines of the last hint given (the debugger's info trap)
        self._vectors: set[int] = set()  # trap vectors already seen to hold code

    def attach(self) -> None:
        self.m.hart.trap_hooks.append(self.trap)
        self.m.bus.watchers.append(self.bus_event)
        if self.m.firmware is not None:
            self.m.firmware.call_hooks.append(self.sbi_call)

    def sbi_call(self, h: Hart, call: SbiCall) -> None:
        """Two classic SBI mistakes: an extension id the firmware does not have (often
        a6 and a7 swapped, or a v0.1 number with v0.2 arguments), and hart_start on a
        hart that runs already."""
        from rvirt.firmware.sbi import ERR_ALREADY_AVAILABLE, ERR_NOT_SUPPORTED, EXT_HSM
        if call.error == ERR_NOT_SUPPORTED and call.name == "unknown":
            swapped = " (a6 holds a known extension id: are a6 and a7 swapped?)" if (
                self.m.firmware is not None
                and call.fid in self.m.firmware.EXTENSIONS) else ""
            self.give("sbi-extension",
                      f"SBI call with extension id {call.ext:#x} (a7), which the firmware "
                      f"does not have: it returned SBI_ERR_NOT_SUPPORTED (-2){swapped}",
                      "a7 holds the extension id, a6 the function id, a0-a5 the "
                      "arguments; BASE's probe_extension (a7=0x10, a6=3) asks whether "
                      "one exists")
        elif (call.ext == EXT_HSM and call.fid == 0
              and call.error == ERR_ALREADY_AVAILABLE):
            self.give("hart-started-twice",
                      f"SBI hart_start of hart {call.args[0]}, which is running already: "
                      f"it returned SBI_ERR_ALREADY_AVAILABLE (-6)",
                      "each hart is started once; hart_get_status (a7=0x48534d, a6=2) "
                      "says whether one runs (0 = STARTED)")

    def give(self, kind: str, *lines: str) -> None:
        if kind in self.given:
            return
        self.given.add(kind)
        self.last = list(lines)
        for line in lines:
            self.say(f"hint: {line}")

    def _in(self, pc: int) -> str:
        """`in p0::entry at src/main.rs:37` (or at the address when nothing is known).
        Inside Rust's own library (`core::ptr::write_volatile` without optimisation),
        the learner's frame that called it: `in p0::mistake at src/main.rs:98 (through
        core::ptr::write_volatile<u32>)`; the library's frame when no caller is the
        learner's.  The registers are the hart's (those of the instruction at pc)."""
        from rvirt.debug.infos import debug_infos
        where = debug_infos(self.m).where(pc)
        if where == f"{pc:#x}":
            return f"at {where}"
        if in_library(where):
            for at in self._callers(pc, self.m.hart.x):
                caller = debug_infos(self.m).where(at)
                if caller != f"{at:#x}" and not in_library(caller):
                    func = debug_infos(self.m).function_at(pc)
                    return f"in {caller} (through {func.name if func else where})"
        return f"in {where}"

    def _callers(self, pc: int, regs: Sequence[int]) -> Iterator[int]:
        """The pcs of the frames that called the one at pc, innermost first, each inside
        its call instruction: the debugger's CFI unwinder, over the machine."""
        from rvirt.debug.frontend import frames as F  # only when a hint is given
        from rvirt.debug.infos import debug_infos
        infos = debug_infos(self.m)
        frame = F.compute_cfa(infos, F.Frame(0, pc, list(regs)))
        for _ in range(MAX_FRAMES):
            up, _why = F.caller(self.m, infos, frame)
            if up is None:
                return
            yield up.lookup_pc
            frame = up

    def _fetch_fault(self, h: Hart, va: int, priv: int) -> int | None:
        """The fault a fetch from va takes at privilege priv with the satp in force now
        (M-mode fetches are never translated: privileged spec 4.1.11), or None if it
        can be fetched: a debug walk (nothing written), then memory, then PMP."""
        pa = va
        if priv == PRV_S and h.csr["satp"] & SATP_SV32:
            try:
                pa = h.mmu.walk(va, FETCH, priv, debug=True) | (va & 0xFFF)
            except Trap as t:
                return t.cause
        if self.m.bus.debug_read(pa, 2) is None:
            return INSN_ACCESS
        if h.pmp.applies(priv) and not h.pmp.check(pa, 2, PMP_X, priv):
            return INSN_ACCESS
        return None

    # --- before every trap ------------------------------------------------------------
    def trap(self, h: Hart, cause: int, tval: int, interrupt: bool) -> None:
        if interrupt:
            return  # a working kernel's: nothing to look at
        # imported here, as the other modules only a hint needs: a run that takes no
        # exception loads none of them
        from rvirt.diag.log import trap_name
        pc = h.pc
        name = trap_name(cause, False)
        if cause == ILLEGAL:
            self._missing_extension(h, tval)
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
        delegated = h.priv <= PRV_S and c["medeleg"] >> cause & 1
        reg = "stvec" if delegated else "mtvec"
        priv = PRV_S if delegated else PRV_M
        base = c[reg] & ~3
        self.given.add("trap")  # the first trap has been seen
        # The handler is fetched under the translation in force after the trap: with
        # Sv32 on, stvec holds a virtual address (Linux's relocate_enable_mmu points it
        # at the next instruction's and writes satp, so that the fetch faults there).
        key = (c[reg], c["satp"] if delegated else 0)
        if key in self._vectors:
            return
        fault = self._fetch_fault(h, base, priv) if base else INSN_ACCESS
        if fault is None:
            self._vectors.add(key)
            return
        if not base:
            why, what, fix = "= 0", "no trap handler is installed", \
                f"install one before anything can trap: csrw {reg}, <handler address>."
        elif fault == INSN_PAGE:
            why, what, fix = f"= {base:#010x}, which the page table in satp does not map " \
                "for S-mode fetches", "the trap handler cannot be reached", \
                f"with paging on, {reg} holds a virtual address: point it at the " \
                "handler's mapped address (executable, not U)."
        else:
            why, what, fix = f"= {base:#010x}, where nothing can be fetched", \
                "no trap handler is installed", \
                f"install one before anything can trap: csrw {reg}, <handler address>."
        loops = "page" if fault == INSN_PAGE else "access"
        self.give("no-handler",
                  f"{name} (cause {cause}) {self._in(h.pc)}, with {reg} {why}: {what}, so "
                  f"the hart now loops on instruction {loops} faults.", fix)

    def _missing_extension(self, h: Hart, tval: int) -> None:
        """An illegal instruction of an extension the hart lacks (a kernel built for
        F and D on this RV32IMAC hart): the first cause of whatever faults follow."""
        from rvirt.isa.disasm import disassemble
        w = tval
        if not w:  # read it as the hart would fetch it
            data = self.m.read_memory(h.pc, 4) or self.m.read_memory(h.pc, 2) or b""
            w = int.from_bytes(data[:2 if data[:1] and data[0] & 3 != 3 else 4], "little")
        ext = extension_of(w) if w else None
        if ext is None:
            return
        bit, what = EXTENSIONS[ext]
        misa = h.csr_peek(MISA_CSR) or 0
        if bit is not None and misa >> bit & 1:
            return  # it has the extension: illegal for another reason
        word = f"{w:#06x}" if w & 3 != 3 else f"{w:#010x}"
        text = disassemble(w, h.pc).replace("\t", " ")
        insn = f"the instruction {word}" if text.startswith(".insn") else f"{text} ({word})"
        isa = isa_string(misa, self.m.xlen)
        qemu = f"; QEMU's -cpu rv32 has {ext}" if ext in QEMU_RV32_HAS else ""
        self.give("missing-extension",
                  f"illegal_instruction {self._in(h.pc)}: {insn} is an instruction of "
                  f"the {ext} extension ({what}), and this hart lacks {ext}: rvirt's "
                  f"-cpu rv32 is {isa} (misa {misa:#010x}{qemu}).",
                  f"build for {isa.lower()} (-march={isa.lower()} -mabi=ilp32, Rust's "
                  f"riscv32imac-unknown-none-elf) or turn the kernel's {what} support "
                  f"off; the faults that follow come from this one.")

    def _bad_sp(self, h: Hart, tval: int) -> bool:
        sp = h.x[SP]
        ram_end = MM.DRAM_BASE + self.m.config.ram_size
        return (sp == 0 or not MM.DRAM_BASE <= sp <= ram_end) and \
            abs((tval - sp + (1 << 31)) % (1 << 32) - (1 << 31)) <= NEAR_SP

    def _no_stack(self, h: Hart, cause: int, tval: int) -> None:
        from rvirt.debug.infos import debug_infos
        from rvirt.diag.log import trap_name
        sp = h.x[SP]
        off = (tval - sp + (1 << 31)) % (1 << 32) - (1 << 31)
        at = f"sp{off:+#x}" if off else "sp"
        func = debug_infos(self.m).function_at(h.pc)
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
        from rvirt.debug.infos import debug_infos
        entry = next((img.entry for img in self.m.images if not img.raw), None)
        named = debug_infos(self.m).where(entry) if entry is not None else ""
        linked = f" (its entry point is {entry:#x}" + (
            f", {named})" if named != f"{entry:#x}" else ")") \
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
        # the pc from the running code; the registers are the hart's (a block writes its
        # own back before an access that can trap)
        pc = executing_pc()
        where = self._in(pc) if pc is not None else ""
        self.give("rom-store",
                  f"a store to {addr:#010x} {where} was dropped: that is the boot ROM "
                  f"({MM.MROM.base:#x}-{MM.MROM.base + MM.MROM.size - 1:#x}), which ignores "
                  f"stores.",
                  f"RAM starts at {MM.DRAM_BASE:#x}; is the address a typo, or a pointer "
                  f"that was never set?")
