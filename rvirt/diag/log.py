"""QEMU's `-d ITEM[,ITEM...]` logging and `-D FILE`, in QEMU 7.2's line formats.

The machine calls in from cold paths only (a trap, an access nothing decodes, a reserved
CSR mode, the interpreter's next basic block), so with logging off nothing is paid.  The
block items (in_asm, exec, cpu) make the machine interpret basic block by basic block,
as QEMU's `-d exec` makes it run one TB at a time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.debug.infos import debug_infos
from rvirt.errors import RvirtError

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.cpu.hart import Hart
    from rvirt.firmware import SbiCall

# What `-d help` lists (QEMU 7.2's wording for the items rvirt has).
ITEMS = {
    "in_asm": "show target assembly code for each compiled TB",
    "int": "show interrupts/exceptions in short format",
    "exec": "show trace before each executed TB (lots of logs)",
    "cpu": "show CPU registers before entering a TB (lots of logs)",
    "unimp": "log unimplemented functionality",
    "guest_errors": "log when the guest OS does something invalid (eg accessing a\n"
                    "non-existent register)",
}
BLOCK_ITEMS = frozenset({"in_asm", "exec", "cpu"})

# target/riscv/cpu.c riscv_excp_names / riscv_intr_names (QEMU 7.2)
EXCEPTION_NAMES = (
    "misaligned_fetch", "fault_fetch", "illegal_instruction", "breakpoint",
    "misaligned_load", "fault_load", "misaligned_store", "fault_store", "user_ecall",
    "supervisor_ecall", "hypervisor_ecall", "machine_ecall", "exec_page_fault",
    "load_page_fault", "reserved", "store_page_fault", "reserved", "reserved", "reserved",
    "reserved", "guest_exec_page_fault", "guest_load_page_fault", "reserved",
    "guest_store_page_fault",
)
INTERRUPT_NAMES = (
    "u_software", "s_software", "vs_software", "m_software", "u_timer", "s_timer",
    "vs_timer", "m_timer", "u_external", "s_external", "vs_external", "m_external",
    "reserved", "reserved", "reserved", "reserved",
)

# riscv_cpu_dump_state's CSR lines (QEMU 7.2); rvirt has no H extension, so the H and VS
# registers print as 0, which keeps the dump line for line comparable with QEMU's.
DUMP_CSRS = ("mhartid", "mstatus", "mstatush", "hstatus", "vsstatus", "mip", "mie",
             "mideleg", "hideleg", "medeleg", "hedeleg", "mtvec", "stvec", "vstvec", "mepc",
             "sepc", "vsepc", "mcause", "scause", "vscause", "mtval", "stval", "htval",
             "mtval2", "mscratch", "sscratch", "satp")
ABI = ("zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 "
       "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()


def help_text() -> str:
    lines = ["Log items (comma separated):"]
    for name, text in ITEMS.items():
        first, *rest = text.split("\n")
        lines.append(f"{name:<15} {first}")
        lines.extend(rest)
    return "\n".join(lines) + "\n"


def parse_items(spec: str) -> frozenset[str]:
    """`-d` argument -> item names; an unknown item is a one-line error, as on QEMU."""
    items = set()
    for name in spec.split(","):
        if name not in ITEMS:
            raise RvirtError(f'-d {spec}: unknown log item "{name}" (-d help lists them)')
        items.add(name)
    return frozenset(items)


def trap_name(cause: int, interrupt: bool) -> str:
    names = INTERRUPT_NAMES if interrupt else EXCEPTION_NAMES
    return names[cause] if cause < len(names) else "(unknown)"


class QemuLog:
    """The enabled items and where their lines go (stderr, or the -D file)."""

    def __init__(self, items: frozenset[str], out: IO[str] | None = None,
                 where: Callable[[int], str] | None = None,
                 symbol: Callable[[int], str] | None = None) -> None:
        self.items = items
        self.out = out or sys.stderr
        self.where = where or (lambda pc: "")  # rvirt's addition: function and line
        self.symbol = symbol or (lambda pc: "")  # the raw ELF symbol, as QEMU prints
        self.shown: set[tuple[int, int]] = set()  # basic blocks printed by in_asm
        self.trap = self._trap if "int" in items else None
        self.invalid = self._invalid if "guest_errors" in items else None
        self.unimp = self._unimp if "unimp" in items else None
        self.blocks = bool(items & BLOCK_ITEMS)
        self._csr_nums: dict[str, int] | None = None

    def write(self, text: str) -> None:
        self.out.write(text)
        if self.out is sys.stderr:
            self.out.flush()  # interleaved with the other stderr lines in order

    def attach(self, m: Board) -> None:
        """Watch machine m: traps, accesses the bus rejects, unimplemented modes, and
        with a block item, each basic block before it runs."""
        def symbol(pc: int) -> str:
            f = debug_infos(m).function_at(pc)
            return f.raw if f is not None else ""

        def where(pc: int) -> str:
            text = debug_infos(m).where(pc)
            return "" if text in (symbol(pc), f"{pc:#x}") else text

        self.symbol, self.where = symbol, where
        if self.trap is not None:
            for h in m.harts:
                h.trap_hooks.append(self.trap)
            if m.firmware is not None:
                m.firmware.call_hooks.append(self._sbi)
        invalid = self.invalid
        if invalid is not None:
            m.bus.watchers.append(
                lambda kind, write, addr, size: invalid(write, addr, size)
                if kind == "rejected" else None)
        if self.unimp is not None:
            m.hart.unimp_hooks.append(self.unimp)
        if self.blocks:
            m.chunk_hooks.append(lambda pc, k: self.block(m, pc, k))
            m.interpret_blocks = True

    def close(self) -> None:
        if self.out is not sys.stderr:
            self.out.close()

    # --- int: target/riscv/cpu_helper.c riscv_cpu_do_interrupt ---------------------------
    def _trap(self, h: Hart, cause: int, tval: int, interrupt: bool) -> None:
        self.write(f"riscv_cpu_do_interrupt: hart:{h.hartid}, async:{int(interrupt)}, "
                   f"cause:{cause:08x}, epc:0x{h.pc:08x}, tval:0x{tval & 0xFFFFFFFF:08x}, "
                   f"desc={trap_name(cause, interrupt)}\n")

    def _sbi(self, h: Hart, call: SbiCall) -> None:
        """rvirt's addition to -d int: after the ecall's trap line, what the built-in
        firmware answered (QEMU with OpenSBI logs the trap only)."""
        args = ", ".join(f"a{i}:0x{v:08x}" for i, v in enumerate(call.args[:3]))
        result = (f"error:{call.error}" if call.value is None
                  else f"error:{call.error}, value:0x{call.value & 0xFFFFFFFF:08x}")
        if not call.returned:
            result = "does not return"
        self.write(f"sbi_call: hart:{call.hart}, ext:0x{call.ext:x} ({call.name}), "
                   f"fid:{call.fid}, {args} -> {result}\n")

    # --- guest_errors: softmmu/memory.c memory_region_access_valid ------------------------
    def _invalid(self, write: bool, addr: int, size: int) -> None:
        kind = "write" if write else "read"
        text = f"Invalid {kind} at addr 0x{addr:X}, size {size}, region '(null)', " \
               "reason: rejected\n"
        # Inside a device's window but past what it decodes (the UART answers 8 bytes of
        # its 0x100): QEMU reports it again, relative to the window.
        for r in (MM.MROM, MM.TEST, MM.RTC, MM.CLINT, MM.PLIC, MM.UART0, *MM.VIRTIO):
            if r.base + r.decode <= addr < r.base + r.size:
                text += f"Invalid {kind} at addr 0x{addr - r.base:X}, size {size}, " \
                        "region '(null)', reason: rejected\n"
        self.write(text)

    def _unimp(self, message: str) -> None:
        self.write(message + "\n")

    # --- in_asm, exec, cpu: before each basic block the interpreter runs -----------------
    def block(self, m: Board, pc: int, count: int) -> None:
        h = m.hart
        if "in_asm" in self.items and (pc, count) not in self.shown:
            self.shown.add((pc, count))
            self.write(self._in_asm(m, pc, count))
        if "exec" in self.items:
            self.write(f"Trace 0: 0x{pc:012x} [00000000/{pc:08x}/{h.priv:08x}/ff000000] "
                       f"{self.symbol(pc)}\n")
        if "cpu" in self.items:
            if self._csr_nums is None:
                self._csr_nums = {c.name: n for n, c in h.csrs.items()}
            self.write(dump_state(h, self._csr_nums))

    def _in_asm(self, m: Board, pc: int, count: int) -> str:
        from rvirt.isa.disasm import qemu_line  # QEMU's own syntax (disas/riscv.c)
        head = f"IN: {self.symbol(pc)}"
        extra = self.where(pc)
        if extra:
            head += f"  # {extra}"
        lines = ["-" * 16, head, f"Priv: {m.hart.priv}; Virt: 0"]
        a = pc
        for _ in range(count):
            data = m.read_memory(a, 4) or m.read_memory(a, 2)
            if data is None:
                break
            w = int.from_bytes(data, "little")
            if w & 3 != 3:
                w &= 0xFFFF
            lines.append(qemu_line(w, a))
            a += 4 if w & 3 == 3 else 2
        return "\n".join(lines) + "\n\n"


def dump_state(h: Hart, nums: dict[str, int]) -> str:
    """riscv_cpu_dump_state (QEMU 7.2) for rv32 without F: the `cpu` item.  `nums`: CSR
    name -> number."""
    lines = [" V      =   0", f" {'pc':<8} {h.pc:08x}"]
    for name in DUMP_CSRS:
        num = nums.get(name)
        value = h.csr_peek(num) if num is not None else 0
        lines.append(f" {name:<8} {value or 0:08x}")
    regs = [f" {f'x{i}/{ABI[i]}':<8} {h.x[i]:08x}" for i in range(32)]
    lines += ["".join(regs[i:i + 4]) for i in range(0, 32, 4)]
    return "\n".join(lines) + "\n"

