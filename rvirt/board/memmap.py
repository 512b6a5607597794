"""The virt board's physical memory map: one table drives both the bus and the device tree.

Values from QEMU 7.2 `hw/riscv/virt.c` (`virt_memmap[]`) and what `info mtree` shows QEMU
actually decodes (shared/ref/virt-rv32.md section 1).  `size` is the window named in the
memory map and in the device tree; `decode` is how many bytes the bus really answers (the
UART decodes 8 bytes of its 0x100 window, so 0x10000008 faults as on QEMU).
"""

from __future__ import annotations

import re

from rvirt.errors import RvirtError


class Region:
    """A window of the memory map.  A value (equal and hashed by its fields) written out
    by hand: a dataclass's generated methods cost every start-up more than it uses."""

    __slots__ = ("name", "base", "size", "decode", "irq")

    def __init__(self, name: str, base: int, size: int, decode: int,
                 irq: int | None = None) -> None:
        self.name = name
        self.base = base
        self.size = size
        self.decode = decode  # bytes actually mapped on the bus, from `base`
        self.irq = irq  # PLIC source number, if the device interrupts

    def _key(self) -> tuple[str, int, int, int, int | None]:
        return (self.name, self.base, self.size, self.decode, self.irq)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Region) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"Region({self.name!r}, {self.base:#x}, {self.size:#x}, {self.decode:#x}, "
                f"irq={self.irq})")


MROM = Region("mrom", 0x0000_1000, 0xF000, 0xF000)
TEST = Region("test", 0x0010_0000, 0x1000, 0x1000)
RTC = Region("rtc", 0x0010_1000, 0x1000, 0x24, irq=11)
CLINT = Region("clint", 0x0200_0000, 0x10000, 0xC000)
# Only with -machine virt,aclint=on (VIRT_ACLINT_SSWI): the supervisor software interrupts.
ACLINT_SSWI = Region("aclint_sswi", 0x02F0_0000, 0x4000, 0x4000)
PLIC = Region("plic", 0x0C00_0000, 0x60_0000, 0x60_0000)
UART0 = Region("uart0", 0x1000_0000, 0x100, 8, irq=10)
VIRTIO = tuple(
    Region(f"virtio{i}", 0x1000_1000 + i * 0x1000, 0x1000, 0x200, irq=1 + i) for i in range(8)
)
DRAM_BASE = 0x8000_0000

# The FDT placement rule caps the DTB below 3 GiB so 32-bit kernels can reach it
# (QEMU 7.2 hw/riscv/boot.c riscv_load_fdt).
FDT_MAX_ADDR = 0xC000_0000
# QEMU 7.2 sizes the tree before packing it: the 1 MiB buffer is what is placed.
FDT_BUFFER_SIZE = 0x10_0000
FDT_ALIGN = 0x20_0000

PLIC_NUM_SOURCES = 96  # riscv,ndev; valid source IDs 1..95
TIMEBASE_FREQ = 10_000_000  # CLINT mtime ticks per second (10 MHz)
UART_CLOCK = 3_686_400


def fdt_address(ram_size: int, fdt_size: int = FDT_BUFFER_SIZE) -> int:
    """Where QEMU 7.2 places the DTB for a given RAM size (virt-rv32.md section 2.3);
    fdt_size is its generated tree's buffer, or a -dtb file's size plus 10000."""
    dram_end = DRAM_BASE + ram_size
    top = min(dram_end, FDT_MAX_ADDR)
    return (top - fdt_size) & ~(FDT_ALIGN - 1)


_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)([kKmMgGtTbB]?)$")
_SUFFIX = {"": 1 << 20, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """QEMU's -m: `[size=]N[suffix][,slots=..,maxmem=..]`, MiB when no suffix is given."""
    value = text.split(",", 1)[0]
    if value.startswith("size="):
        value = value[5:]
    m = _SIZE_RE.match(value)
    if not m:
        raise RvirtError(f"-m {text}: invalid RAM size (examples: 150M, 1G, 256)")
    size = int(float(m.group(1)) * _SUFFIX[m.group(2).lower()])
    if size <= 0:
        raise RvirtError(f"-m {text}: RAM size must be larger than 0")
    if size & 0xFFF:
        size = (size + 0xFFF) & ~0xFFF  # QEMU rounds RAM up to a page
    return size
