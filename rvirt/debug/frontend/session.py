"""The built-in debugger's state and its commands: what gdb 13 would answer, computed from
the machine (through the DebugTarget facade only) and the ELFs' DebugInfo.

Every handler takes the argument text and writes its answer through `self.out`; a
`CommandError` carries gdb's one-line refusal.  Output follows gdb run interactively
(from_tty), so `continue` says "Continuing." and `finish` "Run till exit from ..." first.

The Debugger is made of parts, one module each, in the shape of gdb's sources: symtab
(lookups on the images), stack (frames), breakpoints, printcmd (print, x, display),
infrun (running, stepping) and reverse; this module holds the state they share.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rvirt.debug.frontend import frames as F
from rvirt.debug.frontend.base import MASK, MAX_VALUE_SIZE, CommandError
from rvirt.debug.frontend.breakpoints import Breakpoint, Breakpoints
from rvirt.debug.frontend.cprint import CPrinter
from rvirt.debug.frontend.infrun import Event, Infrun
from rvirt.debug.frontend.printcmd import Display, PrintCmd
from rvirt.debug.frontend.reverse import Reverse
from rvirt.debug.frontend.stack import Stack
from rvirt.debug.frontend.symtab import Symtab
from rvirt.debug.frontend.values import (
    CODE_PTR,
    DATA_PTR,
    INT,
    EvalError,
    Printer,
    Value,
    int_value,
)
from rvirt.debug.infos import DebugInfos
from rvirt.debug.target import CSR_REGNUM_BASE, REG_PC, REG_PRIV, DebugTarget, Stop
from rvirt.isa.disasm import ABI

# the names the command table and tests use from here
__all__ = ["Breakpoint", "CommandError", "Debugger", "Display", "Event", "gdb_echo",
           "natural_register"]

PRIV_NAMES = ("User/Application", "Supervisor", "Hypervisor", "Machine")
# gdb's riscv register names: x8 is `fp`; s0 and xN are accepted as aliases.
GDB_REG_NAMES = [*ABI[:8], "fp", *ABI[9:]]


@dataclass
class _State:
    history: list[Value] = field(default_factory=list)
    list_next: tuple[str, str, int] | None = None  # file shown, full path, next line


class Debugger(Symtab, Stack, Breakpoints, PrintCmd, Infrun, Reverse):
    """One debugging session over a DebugTarget."""

    def __init__(self, target: DebugTarget, infos: DebugInfos,
                 out: Callable[[str], None]) -> None:
        self.target = target
        self.infos = infos
        self.out = out
        self.breakpoints: dict[int, Breakpoint] = {}
        self.next_bp = 1
        self.displays: list[Display] = []
        self.next_display = 1
        self.state = _State()
        self.selected = 0
        self._frames: list[F.Frame] | None = None
        self.frames_why = ""
        self.stop_hart = target.hart  # the thread selected when the guest last resumed
        self.running = True  # the inferior exists (not killed, not exited)
        self.interrupted = False  # set by Ctrl-C while the guest runs
        self.poll: Callable[[], None] = lambda: None  # console work between slices
        self.last_stop: Stop | None = None
        self.csr_by_name = {name: num for num, name in target.csr_names().items()}
        self._sources: dict[str, list[str] | None] = {}

    def language(self) -> str:
        frame = self.frame()
        info = self.info_at(frame.lookup_pc)
        return info.language_at(frame.lookup_pc) if info is not None else "c"

    def pc(self) -> int:
        return self.target.read_register(REG_PC) or 0

    def memory(self, addr: int, size: int) -> bytes:
        if size > MAX_VALUE_SIZE:
            raise EvalError(f"value requires {size} bytes, which is more than "
                            "max-value-size")
        addr &= MASK
        data = self.target.read_memory(addr, size) if size else b""
        if data is None:
            # name the first byte that cannot be read, as gdb does
            for i in range(size):
                if self.target.read_memory(addr + i, 1) is None:
                    raise EvalError(f"Cannot access memory at address {addr + i:#x}")
            raise EvalError(f"Cannot access memory at address {addr:#x}")
        return data

    def printer(self) -> Printer:
        lang = self.language()
        cls = Printer if lang == "rust" else CPrinter
        return cls(self.target.read_memory, self.symbolize, lang)

    def regnum(self, name: str) -> int | None:
        if name in GDB_REG_NAMES:
            return GDB_REG_NAMES.index(name)
        if name == "zero":
            return 0
        if name == "s0":
            return 8
        m = re.fullmatch(r"x(\d+)", name)
        if m and int(m.group(1)) < 32:
            return int(m.group(1))
        if name == "pc":
            return REG_PC
        if name == "priv":
            return REG_PRIV
        if name in self.csr_by_name:
            return CSR_REGNUM_BASE + self.csr_by_name[name]
        return None

    def register_value(self, regnum: int, frame: F.Frame | None = None) -> Value:
        frame = frame or self.frame()
        if regnum < 32:
            v = frame.regs[regnum]
        elif regnum == REG_PC:
            v = frame.pc
        else:
            got = self.target.read_register(regnum)
            v = got or 0
        # gdb's riscv register types: ra and pc are code pointers, sp gp tp fp data
        # pointers, the rest `long` (riscv-tdep.c riscv_register_type)
        if regnum in (1, REG_PC):
            return int_value(v, CODE_PTR)
        if regnum in (2, 3, 4, 8):
            return int_value(v, DATA_PTR)
        return int_value(v, INT)


def natural_register(dbg: Debugger, regnum: int, value: int) -> str:
    """The second column of gdb's `info registers` (riscv-tdep.c
    riscv_print_one_register_info): symbolic pointers, signed decimal, decoded fields."""
    if regnum in (1, REG_PC):
        return f"{value:#x}{dbg.code_symbol(value)}"
    if regnum in (2, 3, 4, 8):
        return f"{value:#x}"
    if regnum == REG_PRIV:
        p = value & 0xFF
        return f"prv:{p} [{PRIV_NAMES[p] if p < 4 else 'INVALID'}]"
    csr = regnum - CSR_REGNUM_BASE
    if csr in (0x300, 0x100, 0x000):  # mstatus, sstatus, ustatus
        d = value
        fields = [("SD", 31, 1), ("VM", 24, 0x1F), ("MXR", 19, 1), ("PUM", 18, 1),
                  ("MPRV", 17, 1), ("XS", 15, 3), ("FS", 13, 3), ("MPP", 11, 3),
                  ("HPP", 9, 3), ("SPP", 8, 1), ("MPIE", 7, 1), ("HPIE", 6, 1),
                  ("SPIE", 5, 1), ("UPIE", 4, 1), ("MIE", 3, 1), ("HIE", 2, 1),
                  ("SIE", 1, 1), ("UIE", 0, 1)]
        parts = []
        for name, shift, mask in fields:
            v = (d >> shift) & mask
            # gdb prints VM with %02X and MPP with %x
            parts.append(f"{name}:{v:02X}" if name == "VM" else f"{name}:{v:X}")
        return " ".join(parts)
    if csr == 0x301:  # misa
        xlen = 16 << (value >> 30) if value >> 30 else 16
        letters = "".join(chr(ord("A") + i) for i in range(26) if value >> i & 1)
        return f"RV{xlen}{letters}"
    return str(value - (1 << 32) if value >> 31 else value)


def gdb_echo(text: str) -> str:
    """`echo`'s C escapes (gdb printcmd.c echo_command via parse_escape)."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            i += 2
            if n in "01234567":
                j = i - 1
                digits = ""
                while j < len(text) and len(digits) < 3 and text[j] in "01234567":
                    digits += text[j]
                    j += 1
                out.append(chr(int(digits, 8)))
                i = j
                continue
            out.append({"n": "\n", "t": "\t", "a": "\a", "b": "\b", "f": "\f", "r": "\r",
                        "v": "\v", "e": "\x1b"}.get(n, n))
            continue
        if c == "\\":
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def getenv_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


Any_ = Any
