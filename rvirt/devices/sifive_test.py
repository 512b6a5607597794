"""SiFive test finisher at 0x100000: the guest's way to exit or reset the machine.

Follows QEMU 7.2 `hw/misc/sifive_test.c` (ref virt-rv32.md 3.1).  Also owns the
finisher's device-tree nodes, including the `poweroff`/`reboot` syscon nodes that point
at it.
"""

from __future__ import annotations

from rvirt.devices.base import Device, DeviceAccessError
from rvirt.errors import MachineExit, MachineReset
from rvirt.fdt import Node, u64

FINISHER_FAIL = 0x3333
FINISHER_PASS = 0x5555
FINISHER_RESET = 0x7777


class SifiveTest(Device):
    """Write `status | code << 16` at offset 0 to stop the machine.

    Every read returns 0 and writes elsewhere in the 4 KiB window are ignored (QEMU logs
    them as guest errors).  Valid access sizes are 2 to 4 bytes, naturally aligned
    (`sifive_test_ops.valid`); other accesses fault.
    """

    name = "sifive_test"

    def __init__(self, size: int = 0x1000) -> None:
        self.size = size

    def _check(self, offset: int, size: int) -> None:
        if not 2 <= size <= 4 or offset & (size - 1) or not 0 <= offset <= self.size - size:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)
        if offset != 0:
            return
        status = value & 0xFFFF
        code = (value >> 16) & 0xFFFF
        if status == FINISHER_FAIL:
            raise MachineExit(code, "sifive_test: FAIL")
        if status == FINISHER_PASS:
            # QEMU 7.2 calls exit(0) and ignores the code bits (8.2+ would use them).
            raise MachineExit(0, "sifive_test: PASS")
        if status == FINISHER_RESET:
            raise MachineReset()
        # Any other status is ignored (QEMU: a LOG_GUEST_ERROR message only).


def fdt_node(base: int, size: int, phandle: int) -> Node:
    """`/soc/test@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_reset` writes it."""
    return Node(f"test@{base:x}", [
        ("phandle", phandle),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", ["sifive,test1", "sifive,test0", "syscon"]),
    ])


def fdt_syscon_nodes(test_phandle: int) -> list[Node]:
    """The `/poweroff` and `/reboot` nodes Linux uses to drive the finisher."""
    return [
        Node("poweroff", [
            ("value", FINISHER_PASS),
            ("offset", 0),
            ("regmap", test_phandle),
            ("compatible", "syscon-poweroff"),
        ]),
        Node("reboot", [
            ("value", FINISHER_RESET),
            ("offset", 0),
            ("regmap", test_phandle),
            ("compatible", "syscon-reboot"),
        ]),
    ]
