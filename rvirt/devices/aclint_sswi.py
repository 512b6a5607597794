"""ACLINT SSWI at 0x2F00000 (`-machine virt,aclint=on` only): supervisor software
interrupts, one setssip word per hart.

Follows QEMU 7.2 `hw/intc/riscv_aclint.c` (the swi device made with sswi=true):
writing a value with bit 0 set to hart i's word at 4*i raises that hart's IRQ_S_SOFT,
which sets mip.SSIP; writing 0 does nothing (the guest clears SSIP itself, through
mip or sip), and every read returns 0.  Only aligned 32-bit accesses are decoded.
Also owns the SSWI's device-tree node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rvirt.devices.base import Device, DeviceAccessError
from rvirt.fdt import Node, u64

SIZE = 0x4000  # RISCV_ACLINT_SWI_SIZE
IRQ_S_SOFT = 1  # the interrupt cause the DT's interrupts-extended refers to (mip bit)


class Sswi(Device):
    """Hart i's setssip word at 4*i; `set_ssip[i]()` sets hart i's mip.SSIP.

    QEMU raises the hart's S-soft input at every such write, so a write after the guest
    cleared SSIP sets it again: the callbacks are pulses, not a level."""

    name = "aclint-sswi"

    def __init__(self, set_ssip: Sequence[Callable[[], None]]) -> None:
        self.set_ssip = list(set_ssip)
        self.harts = len(self.set_ssip)

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        return 0  # setssip reads 0; the rest of the window too (LOG_UNIMP)

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)
        hart, rest = divmod(offset, 4)
        if hart < self.harts and not rest and value & 1:
            self.set_ssip[hart]()
        # anything else: ignored, as QEMU does after logging it

    def _check(self, offset: int, size: int) -> None:
        # QEMU's MemoryRegionOps.valid: 4 bytes only, and no unaligned accesses.
        if size != 4 or offset & 3 or offset + size > SIZE:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")


def fdt_node(base: int, size: int, intc_phandles: Sequence[int]) -> Node:
    """`/soc/sswi@...` as QEMU 7.2 `create_fdt_socket_aclint` writes it: each hart's
    supervisor software interrupt, in hart order."""
    return Node(f"sswi@{base:x}", [
        ("#interrupt-cells", 0),
        ("interrupt-controller", True),
        ("interrupts-extended", [cell for ph in intc_phandles for cell in (ph, IRQ_S_SOFT)]),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", "riscv,aclint-sswi"),
    ])
