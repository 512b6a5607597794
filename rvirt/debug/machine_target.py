"""`MachineTarget`: the debug facade (rvirt.debug.target.DebugTarget) over the virt board,
for the gdb stub, the built-in debugger and tests.  It owns what only debugging needs:
the history of reverse execution, the monitor and the debug infos.  It drives the board
through its public run, register and memory API; with history on, runs, steps, writes
and console input go through the history, so that they are recorded (or replayed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.debug.infos import DebugInfos, debug_infos
from rvirt.debug.target import Stop

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.debug.dwarf import Function
    from rvirt.debug.history import History


class MachineTarget:
    """A board seen by a debugger (see DebugTarget for each method's contract)."""

    def __init__(self, machine: Board) -> None:
        self.machine = machine
        self.xlen = machine.xlen
        self.history: History | None = None
        self.harts = len(machine.harts)
        self.hart = 0  # the selected hart: registers and steps are its

    def hart_waiting(self, hart: int) -> bool:
        return self.machine.harts[hart].waiting

    def _stopped(self, stop: Stop | None) -> Stop | None:
        """A breakpoint or watchpoint stop selects the hart that met it: the one that runs
        next (QEMU's gdb_set_stop_cpu on a debug exception)."""
        if stop is not None and stop.kind in ("breakpoint", "watch"):
            nxt = self.machine.next_hart
            if nxt is not None:
                self.hart = nxt
        return stop

    # --- what the ELFs say ------------------------------------------------------------
    @property
    def debug_infos(self) -> DebugInfos:
        return debug_infos(self.machine)

    def function_at(self, pc: int) -> Function | None:
        return self.debug_infos.function_at(pc)

    def where(self, pc: int) -> str:
        return self.debug_infos.where(pc)

    # --- state ------------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self.machine.position

    @property
    def idle(self) -> bool:
        return self.machine.idle

    @property
    def progress(self) -> int:
        return self.machine.progress

    @property
    def breakpoints(self) -> set[int]:
        return self.machine.breakpoints

    @property
    def watchpoints(self) -> list[tuple[str, int, int]]:
        return self.machine.watchpoints

    @property
    def killed(self) -> bool:
        return self.machine.killed

    # --- registers and memory ---------------------------------------------------------
    def read_register(self, regnum: int) -> int | None:
        return self.machine.read_register(regnum, self.hart)

    def write_register(self, regnum: int, value: int) -> bool:
        if self.history is not None:
            return self.history.write_register(regnum, value, self.hart)
        return self.machine.write_register(regnum, value, self.hart)

    def csr_names(self) -> dict[int, str]:
        return self.machine.csr_names()

    def read_memory(self, addr: int, length: int) -> bytes | None:
        return self.machine.read_memory(addr, length)

    def write_memory(self, addr: int, data: bytes) -> bool:
        if self.history is not None:
            return self.history.write_memory(addr, data)
        return self.machine.write_memory(addr, data)

    # --- breakpoints and watchpoints --------------------------------------------------
    def add_breakpoint(self, addr: int) -> None:
        self.machine.add_breakpoint(addr)

    def remove_breakpoint(self, addr: int) -> None:
        self.machine.remove_breakpoint(addr)

    def add_watchpoint(self, kind: str, addr: int, length: int) -> None:
        self.machine.add_watchpoint(kind, addr, length)

    def remove_watchpoint(self, kind: str, addr: int, length: int) -> None:
        self.machine.remove_watchpoint(kind, addr, length)

    def clear_breakpoints(self) -> None:
        self.machine.clear_breakpoints()

    # --- execution --------------------------------------------------------------------
    def step(self, hart: int | None = None) -> Stop:
        """One instruction of hart `hart` (the selected one by default; the others do not
        run); with history on and the machine in the past, the recorded next step
        instead."""
        if hart is None:
            hart = self.hart
        if self.history is not None:
            return self.history.step(hart)
        return self.machine.step(hart)

    def resume(self, max_instructions: int) -> Stop | None:
        """With history on, along the recorded future first (rvirt.debug.history)."""
        if self.history is not None:
            return self._stopped(self.history.resume(max_instructions))
        return self._stopped(self.machine.resume(max_instructions))

    def console_input(self, data: bytes) -> None:
        """Console bytes; with history on they are logged at the point they arrive, so a
        replay hands them over there again."""
        if self.history is not None:
            self.history.console_input(data)
        else:
            self.machine.console_input(data)

    def debug_reset(self) -> None:
        """A system reset asked by the debugger (monitor system_reset)."""
        if self.history is not None:
            self.history.debug_reset()
        else:
            self.machine.reset(step=False)

    # --- reverse execution ------------------------------------------------------------
    def enable_history(self) -> bool:
        """Record from here on (from reset when nothing has run yet).  False when it
        cannot be: with -clock host no run repeats."""
        if self.history is None:
            if self.machine.host_clock:
                return False
            from rvirt.debug.history import History
            self.history = History(self.machine)
        return True

    def reverse_step(self) -> Stop:
        if self.history is None:
            return Stop("history-start")
        return self.history.reverse_step()  # (the selected hart stays)

    def reverse_continue(self, past_access: bool = False,
                         interrupted: Callable[[], bool] | None = None) -> Stop:
        if self.history is None:
            return Stop("history-start")
        stop = self.history.reverse_continue(past_access, interrupted)
        self._stopped(stop)
        return stop

    # --- the monitor and the end ------------------------------------------------------
    def monitor(self, command: str) -> str:
        from rvirt.debug.monitor import run_monitor_command
        return run_monitor_command(self, command)

    def kill(self) -> None:
        self.machine.kill()
