"""Why a machine stopped, and its register numbering: the vocabulary of its run and
debug API (rvirt.board.virt), shared with the debug facade above it."""

from __future__ import annotations

from dataclasses import dataclass

# The machine's register numbers: QEMU's gdb numbers (shared/ref/virt-rv32.md 6.3),
# 0-31 = x0-x31, 32 = pc, 65 = priv, 66 + n = CSR n.  rvirt has no FPU: 33-64 do not exist.
REG_PC = 32
REG_PRIV = 65
CSR_REGNUM_BASE = 66


@dataclass(frozen=True)
class Stop:
    """Why execution stopped.

    kind:
      "step"       one instruction retired (or a trap was taken) after a single step
      "breakpoint" pc reached a Z0/Z1 address, before executing it
      "watch"      a Z2/Z3/Z4 watchpoint hit, before the access commits; `addr` and
                   `watch` ("watch", "rwatch", "awatch") are set
      "interrupt"  the debugger asked to stop (Ctrl-C)
      "exited"     the guest ended the machine; `status` is the exit status
      "history-start" a reverse move reached the start of recorded history (gdb's
                   `replaylog:begin`); the machine is there
    """

    kind: str
    addr: int = 0
    watch: str = ""
    status: int = 0
