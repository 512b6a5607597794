"""Monitor commands (gdb `monitor ...`), answered from the machine's state as text.

A small fixed command table: never `eval`.  Output follows QEMU 7.2's `info registers`
layout for riscv32 so scripts that scrape it keep working.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.isa.disasm import ABI

if TYPE_CHECKING:
    from rvirt.debug.machine_target import MachineTarget

PRIV_NAMES = {0: "U", 1: "S", 3: "M"}
INFO_CSRS = ("mhartid", "mstatus", "mip", "mie", "mideleg", "medeleg", "mtvec", "stvec",
             "mepc", "sepc", "mcause", "scause", "mtval", "stval", "mscratch", "sscratch",
             "satp")


def info_registers(t: MachineTarget) -> str:
    h = t.machine.hart
    by_name = {c.name: n for n, c in h.csrs.items()}
    lines = [" V      =   0", f" pc       {h.pc:08x}", f" priv     {PRIV_NAMES[h.priv]}"]
    for name in INFO_CSRS:
        lines.append(f" {name:<8} {h.csr_peek(by_name[name]):08x}")
    row = []
    for i in range(32):
        name = f"x{i}/{ABI[i]}"
        row.append(f"{name:<8} {h.x[i]:08x}")
        if i % 4 == 3:
            lines.append(" " + " ".join(row))
            row = []
    return "\n".join(lines) + "\n"


def info_mtree(t: MachineTarget) -> str:
    lines = ["address-space: memory"]
    for mp in t.machine.bus.mappings:
        lines.append(f"  {mp.base:08x}-{mp.end - 1:08x} ({mp.kind}): {mp.name}")
    return "\n".join(lines) + "\n"


def system_reset(t: MachineTarget) -> str:
    t.debug_reset()
    return ""


def info_history(t: MachineTarget) -> str:
    if t.history is None:
        return "history is off (it starts when a debugger attaches)\n"
    return t.history.info()


COMMANDS: dict[str, tuple[Callable[[MachineTarget], str], str]] = {
    "info registers": (info_registers, "show the hart's registers and main CSRs"),
    "info mtree": (info_mtree, "show the physical memory map"),
    "info history": (info_history, "show the recorded history: instructions, snapshots, "
                                   "memory, position"),
    "system_reset": (system_reset, "reset the machine (images reloaded, pc = 0x1000)"),
}


def help_text(t: MachineTarget) -> str:
    width = max(len(k) for k in COMMANDS) + 2
    lines = [f"{'help':<{width}}list these commands"]
    lines += [f"{name:<{width}}{desc}" for name, (_, desc) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def run_monitor_command(t: MachineTarget, command: str) -> str:
    cmd = " ".join(command.split())
    if cmd in ("help", "?", "h"):
        return help_text(t)
    entry = COMMANDS.get(cmd)
    if entry is None:
        return f"unknown command: '{cmd}' (try 'help')\n"
    return entry[0](t)
