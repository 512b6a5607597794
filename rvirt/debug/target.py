"""The one facade through which debuggers (the gdb stub, the built-in debugger, tests) see
a machine: the protocol.  `rvirt.debug.machine_target.MachineTarget` implements it over
the virt board.  Debuggers never touch harts, buses or devices directly.

Register numbers are QEMU's gdb numbers (shared/ref/virt-rv32.md section 6.3):
0-31 = x0-x31, 32 = pc, 65 = priv, 66 + n = CSR n.  rvirt has no FPU, so 33-64 do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from rvirt.board.stop import CSR_REGNUM_BASE, REG_PC, REG_PRIV, Stop

# The machine's register numbering and stop reasons are the board's (QEMU's gdb numbers).
__all__ = ["CSR_REGNUM_BASE", "REG_PC", "REG_PRIV", "DebugTarget", "Stop"]


class DebugTarget(Protocol):
    """What a debugger may do to a machine."""

    xlen: int  # 32 for rv32
    # The harts (gdb's threads, ids hart + 1 as QEMU's CPUs) and the one selected:
    # registers and steps apply to it.  A stop selects the hart that stopped.
    harts: int
    hart: int

    def hart_waiting(self, hart: int) -> bool:
        """Whether hart `hart` waits in wfi (QEMU's "halted")."""

    # --- registers -------------------------------------------------------------------
    def read_register(self, regnum: int) -> int | None:
        """Value of a register by gdb number, or None if there is no such register."""

    def write_register(self, regnum: int, value: int) -> bool:
        """Set a register; False if there is no such register."""

    def csr_names(self) -> dict[int, str]:
        """The CSRs this machine implements: CSR number -> name (for target.xml)."""

    # --- memory (addresses as the hart sees them now) --------------------------------
    def read_memory(self, addr: int, length: int) -> bytes | None:
        """Bytes at addr, or None if any byte is unreadable (gdb gets E14).

        Reading has no side effects: MMIO registers are not read (QEMU's debug access
        reads only RAM and ROM), so None is returned for them as for unmapped memory.
        """

    def write_memory(self, addr: int, data: bytes) -> bool:
        """Write RAM (and ROM, as QEMU's debug write does); False if nothing is there."""

    # --- breakpoints and watchpoints -------------------------------------------------
    def add_breakpoint(self, addr: int) -> None: ...

    def remove_breakpoint(self, addr: int) -> None: ...

    def add_watchpoint(self, kind: str, addr: int, length: int) -> None:
        """kind is "watch" (write), "rwatch" (read) or "awatch" (either)."""

    def remove_watchpoint(self, kind: str, addr: int, length: int) -> None: ...

    def clear_breakpoints(self) -> None:
        """Remove every breakpoint and watchpoint (gdb `?` and `D` do this on QEMU)."""

    # --- execution -------------------------------------------------------------------
    def step(self) -> Stop:
        """Execute exactly one instruction (taking a trap if it raises one); interrupts
        and timers are masked during the step, as QEMU's default sstep_flags do."""

    def resume(self, max_instructions: int) -> Stop | None:
        """Run until a breakpoint, watchpoint or exit, or until `max_instructions` have
        run; None means the budget ran out with no stop (the caller polls for Ctrl-C and
        calls again).  A breakpoint at the current pc does not stop the first
        instruction, so continuing from a breakpoint makes progress."""

    # --- reverse execution (rvirt.debug.history) -------------------------------------
    def enable_history(self) -> bool:
        """Start recording (from reset if nothing ran yet); False if this machine cannot
        (with -clock host no run repeats).  A no-op when history is already on."""

    def reverse_step(self) -> Stop:
        """Exactly one step (instruction or trap) back; Stop("step"), or
        Stop("history-start") without moving when already at the start."""

    def reverse_continue(self, past_access: bool = False,
                         interrupted: Callable[[], bool] | None = None) -> Stop:
        """Back to the latest point before now where a forward run would have stopped
        (a breakpoint at pc; a watched access, stopped before it: `watch X` then this
        finds the last write to X), or to the start of history (Stop("history-start")).
        With `past_access`, a watchpoint stop is just after the access instead: where
        gdb wants it, since it then steps back over the access itself.  `interrupted`
        (Ctrl-C?) is asked now and then; yes ends the search with Stop("interrupt").
        Going forward afterwards replays the recorded future; a register or memory write
        in the past drops it."""

    # --- monitor ---------------------------------------------------------------------
    def monitor(self, command: str) -> str:
        """Run a `monitor` command (help, info registers, ...) and return its text."""

    def kill(self) -> None:
        """gdb asked to kill the machine."""
