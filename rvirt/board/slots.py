"""The virt board's slots: one row per device window, in the shape of QEMU 7.2's
`virt_memmap[]` joined with the `create_fdt_*` call that describes it
(hw/riscv/virt.c).  The wiring (`Board`) and the device tree
(`rvirt.board.devicetree`) both read this one table, so they cannot disagree: a device
is added by adding a row.

Rows are in the order QEMU creates their device-tree nodes (clint, plic, virtio 0..7,
test, uart0, rtc); libfdt puts each new node first, so /soc lists them the other way
round.  `SLOTS` is the board of `-machine virt` (aclint=off); `ACLINT_SLOTS` that of
`-machine virt,aclint=on`, where the same MSWI and MTIMER are described as ACLINT parts
and an SSWI joins them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.cpu import csr as C
from rvirt.devices import (
    aclint_sswi,
    clint,
    goldfish_rtc,
    plic,
    sifive_test,
    uart16550,
    virtio_mmio,
)
from rvirt.devices.base import Device, IrqLine
from rvirt.fdt import Node

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.cpu.hart import Hart

class Phandles:
    """Phandles as QEMU 7.2 hands them out (create_fdt_socket_cpus goes from the last
    hart down to hart 0, each cpu then its interrupt controller; then the PLIC and the
    test device): with one hart cpu 1, its controller 2, PLIC 3, test 4.  (Plain classes
    here, not dataclasses: every start-up builds the slot table and paid for their
    generated methods.)"""

    __slots__ = ("harts",)

    def __init__(self, harts: int) -> None:
        self.harts = harts

    def cpu(self, hart: int) -> int:
        return 2 * (self.harts - 1 - hart) + 1

    def intc(self, hart: int) -> int:
        return self.cpu(hart) + 1

    @property
    def intcs(self) -> list[int]:
        """Every hart's interrupt controller, in hart order."""
        return [self.intc(i) for i in range(self.harts)]

    @property
    def plic(self) -> int:
        return 2 * self.harts + 1

    @property
    def test(self) -> int:
        return 2 * self.harts + 2


class Slot:
    """One row of the board: a device's attribute, window, maker and device-tree node."""

    __slots__ = ("attr", "region", "make", "node")

    def __init__(self, attr: str, region: MM.Region, make: Callable[[Board], Device],
                 node: Callable[[MM.Region, Phandles], Node | tuple[Node, ...]]) -> None:
        self.attr = attr  # the board's attribute for the device; "virtio" slots make a list
        self.region = region  # the window (and PLIC source, if the device interrupts)
        self.make = make  # the device, wired to the board's clocks and lines
        # its node under /soc, or its nodes in the order QEMU creates them
        self.node = node

    def __repr__(self) -> str:
        return f"Slot({self.attr!r}, {self.region!r})"


def _mip_lines(m: Board, bit: int) -> list[IrqLine]:
    """One line per hart, into its mip bit."""
    def line(h: Hart) -> IrqLine:
        def changed(level: bool) -> None:
            h.set_irq(bit, level)
            m.wake_line(h)
        return IrqLine(changed)
    return [line(h) for h in m.harts]


def _ssip_setters(m: Board) -> list[Callable[[], None]]:
    """One per hart: set its mip.SSIP, as QEMU's IRQ_S_SOFT input does
    (riscv_cpu_update_mip), then let the loop look at its interrupts."""
    def setter(h: Hart) -> Callable[[], None]:
        def set_ssip() -> None:
            h.write_mip(C.SSIP, C.SSIP)
            h.end_batch()
            m.wake_line(h)
        return set_ssip
    return [setter(h) for h in m.harts]


def _irq(region: MM.Region) -> int:
    assert region.irq is not None, f"{region.name} has no interrupt line"
    return region.irq


def _clint(m: Board) -> clint.Clint:
    return clint.Clint(m.mtime, _mip_lines(m, C.MSIP), _mip_lines(m, C.MTIP))


SLOTS: tuple[Slot, ...] = (
    Slot("clint", MM.CLINT, _clint, lambda r, ph: clint.fdt_node(r.base, r.size, ph.intcs)),
    Slot("plic", MM.PLIC,
         lambda m: plic.Plic(MM.PLIC_NUM_SOURCES, _mip_lines(m, C.MEIP),
                             _mip_lines(m, C.SEIP)),
         lambda r, ph: plic.fdt_node(r.base, r.size, ph.plic, ph.intcs,
                                     ndev=MM.PLIC_NUM_SOURCES)),
    *(Slot("virtio", region,
           lambda m: virtio_mmio.VirtioMmio(m.dma, legacy=m.config.virtio_legacy, warn=m.notice),
           lambda r, ph: virtio_mmio.fdt_node(r.base, r.size, _irq(r), ph.plic))
      for region in MM.VIRTIO),
    Slot("test", MM.TEST, lambda m: sifive_test.SifiveTest(),
         lambda r, ph: sifive_test.fdt_node(r.base, r.size, ph.test)),
    Slot("uart", MM.UART0, lambda m: uart16550.Uart16550(m.console_out, clock_ns=m.virtual_ns),
         lambda r, ph: uart16550.fdt_node(r.base, r.size, _irq(r), ph.plic)),
    Slot("rtc", MM.RTC,
         lambda m: goldfish_rtc.GoldfishRtc(lambda: m.host_epoch_ns + m.virtual_ns()),
         lambda r, ph: goldfish_rtc.fdt_node(r.base, r.size, _irq(r), ph.plic)),
)

# aclint=on (QEMU 7.2 virt_machine_init with have_aclint and no IMSIC): the MSWI and the
# MTIMER where the CLINT is, then the SSWI; the rest of the board is the same.
ACLINT_SLOTS: tuple[Slot, ...] = (
    Slot("clint", MM.CLINT, _clint,
         lambda r, ph: clint.aclint_fdt_nodes(r.base, r.size, ph.intcs)),
    Slot("sswi", MM.ACLINT_SSWI, lambda m: aclint_sswi.Sswi(_ssip_setters(m)),
         lambda r, ph: aclint_sswi.fdt_node(r.base, r.size, ph.intcs)),
    *SLOTS[1:],
)
