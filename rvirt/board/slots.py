"""The virt board's slots: one row per device window, in the shape of QEMU 7.2's
`virt_memmap[]` joined with the `create_fdt_*` call that describes it
(hw/riscv/virt.c).  The wiring (`Board`) and the device tree
(`rvirt.board.devicetree`) both read this one table, so they cannot disagree: a device
is added by adding a row.

Rows are in the order QEMU creates their device-tree nodes (clint, plic, virtio 0..7,
test, uart0, rtc); libfdt puts each new node first, so /soc lists them the other way
round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.cpu import csr as C
from rvirt.devices import clint, goldfish_rtc, plic, sifive_test, uart16550, virtio_mmio
from rvirt.devices.base import Device, IrqLine
from rvirt.fdt import Node

if TYPE_CHECKING:
    from rvirt.board.virt import Board

# Phandles as QEMU 7.2 hands them out for one hart: cpu, its interrupt controller,
# the PLIC, the test device.
PHANDLE_CPU = 1
PHANDLE_CPU_INTC = 2
PHANDLE_PLIC = 3
PHANDLE_TEST = 4


@dataclass(frozen=True)
class Slot:
    attr: str  # the board's attribute for the device; "virtio" slots make a list
    region: MM.Region  # the window (and PLIC source, if the device interrupts)
    make: Callable[[Board], Device]  # the device, wired to the board's clocks and lines
    node: Callable[[MM.Region], Node]  # its node under /soc


def _mip_line(m: Board, bit: int) -> IrqLine:
    h = m.hart
    return IrqLine(lambda level: h.set_irq(bit, level))


def _irq(region: MM.Region) -> int:
    assert region.irq is not None, f"{region.name} has no interrupt line"
    return region.irq


SLOTS: tuple[Slot, ...] = (
    Slot("clint", MM.CLINT,
         lambda m: clint.Clint(m.mtime, _mip_line(m, C.MSIP), _mip_line(m, C.MTIP)),
         lambda r: clint.fdt_node(r.base, r.size, PHANDLE_CPU_INTC)),
    Slot("plic", MM.PLIC,
         lambda m: plic.Plic(MM.PLIC_NUM_SOURCES, _mip_line(m, C.MEIP), _mip_line(m, C.SEIP)),
         lambda r: plic.fdt_node(r.base, r.size, PHANDLE_PLIC, PHANDLE_CPU_INTC,
                                 ndev=MM.PLIC_NUM_SOURCES)),
    *(Slot("virtio", region,
           lambda m: virtio_mmio.VirtioMmio(m.dma, legacy=m.config.virtio_legacy, warn=m.notice),
           lambda r: virtio_mmio.fdt_node(r.base, r.size, _irq(r), PHANDLE_PLIC))
      for region in MM.VIRTIO),
    Slot("test", MM.TEST, lambda m: sifive_test.SifiveTest(),
         lambda r: sifive_test.fdt_node(r.base, r.size, PHANDLE_TEST)),
    Slot("uart", MM.UART0, lambda m: uart16550.Uart16550(m.console_out, clock_ns=m.virtual_ns),
         lambda r: uart16550.fdt_node(r.base, r.size, _irq(r), PHANDLE_PLIC)),
    Slot("rtc", MM.RTC,
         lambda m: goldfish_rtc.GoldfishRtc(lambda: m.host_epoch_ns + m.virtual_ns()),
         lambda r: goldfish_rtc.fdt_node(r.base, r.size, _irq(r), PHANDLE_PLIC)),
)
