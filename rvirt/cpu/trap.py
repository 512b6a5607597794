"""Synchronous exceptions as Python exceptions carrying cause and tval.

Semantics raise `Trap`; the execution loop catches it in one place and calls
`Hart.take_trap` (privileged spec 3.1.15 mcause codes, table 3.6).
"""

from __future__ import annotations

# Exception codes (privileged spec v1.12, table 3.6)
INSN_MISALIGNED = 0
INSN_ACCESS = 1
ILLEGAL = 2
BREAKPOINT = 3
LOAD_MISALIGNED = 4
LOAD_ACCESS = 5
STORE_MISALIGNED = 6
STORE_ACCESS = 7
ECALL_U = 8
ECALL_S = 9
ECALL_M = 11
INSN_PAGE = 12
LOAD_PAGE = 13
STORE_PAGE = 15

# Interrupt codes (mcause with the interrupt bit set)
IRQ_SSI = 1
IRQ_MSI = 3
IRQ_STI = 5
IRQ_MTI = 7
IRQ_SEI = 9
IRQ_MEI = 11

CAUSE_NAMES = {
    0: "instruction address misaligned", 1: "instruction access fault",
    2: "illegal instruction", 3: "breakpoint", 4: "load address misaligned",
    5: "load access fault", 6: "store/AMO address misaligned", 7: "store/AMO access fault",
    8: "environment call from U-mode", 9: "environment call from S-mode",
    11: "environment call from M-mode", 12: "instruction page fault",
    13: "load page fault", 15: "store/AMO page fault",
}


class Trap(Exception):  # noqa: N818 - it is the architectural name
    """A synchronous exception.  `tval=None` on an illegal instruction means "the
    instruction bits", which the execution loop fills in (QEMU 7.2 sets mtval so)."""

    __slots__ = ("cause", "tval")

    def __init__(self, cause: int, tval: int | None = 0) -> None:
        self.cause = cause
        self.tval = tval

    def tval_for(self, bits: int) -> int:
        """The tval to enter the handler with, the trapping instruction being `bits`: its
        own, or for an illegal instruction those bits (a compressed one's 16)."""
        if self.tval is None:
            return bits & 0xFFFF if bits & 3 != 3 else bits
        return self.tval


def illegal() -> Trap:
    return Trap(ILLEGAL, None)
