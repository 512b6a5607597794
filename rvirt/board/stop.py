"""Why a machine stopped, and its register numbering: the vocabulary of its run and
debug API (rvirt.board.virt), shared with the debug facade above it."""

from __future__ import annotations

# The machine's register numbers: QEMU's gdb numbers (shared/ref/virt-rv32.md 6.3),
# 0-31 = x0-x31, 32 = pc, 65 = priv, 66 + n = CSR n.  rvirt has no FPU: 33-64 do not exist.
REG_PC = 32
REG_PRIV = 65
CSR_REGNUM_BASE = 66


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

    # A value (equal and hashed by its fields) written out by hand rather than a frozen
    # dataclass, whose generated methods cost every start-up about a millisecond.
    __slots__ = ("kind", "addr", "watch", "status")

    def __init__(self, kind: str, addr: int = 0, watch: str = "", status: int = 0) -> None:
        self.kind = kind
        self.addr = addr
        self.watch = watch
        self.status = status

    def _key(self) -> tuple[str, int, str, int]:
        return (self.kind, self.addr, self.watch, self.status)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stop) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Stop(kind={self.kind!r}, addr={self.addr:#x}, watch={self.watch!r}, "
                f"status={self.status})")
