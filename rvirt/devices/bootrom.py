"""The boot ROM at 0x1000: QEMU's reset vector plus fw_dynamic_info, and a ROM device.

`reset_vector` builds the same bytes as QEMU 7.2 `hw/riscv/boot.c`
`riscv_setup_rom_reset_vec` + `riscv_rom_copy_firmware_info` (ref virt-rv32.md 2.1):
six instructions that load a0 = mhartid, a1 = the FDT address, a2 = &fw_dynamic_info
and jump to the start address, then the two addresses, then OpenSBI's
`struct fw_dynamic_info` (`include/hw/riscv/boot_opensbi.h`).
"""

from __future__ import annotations

import struct

from rvirt.devices.base import Device, DeviceAccessError

FW_DYNAMIC_INFO_MAGIC = 0x4942534F  # "OSBI"
FW_DYNAMIC_INFO_VERSION = 2
FW_DYNAMIC_INFO_NEXT_MODE_S = 1

_AUIPC_T0 = 0x00000297  # auipc t0, 0           -> t0 = 0x1000
_ADDI_A2 = 0x02828613  # addi  a2, t0, 40       -> a2 = &fw_dynamic_info
_CSRR_A0_MHARTID = 0xF1402573  # csrr a0, mhartid
_LW_A1 = 0x0202A583  # lw a1, 32(t0)              -> FDT address (rv64: ld, below)
_LW_T0 = 0x0182A283  # lw t0, 24(t0)              -> start address
_LD_A1 = 0x0202B583
_LD_T0 = 0x0182B283
_JR_T0 = 0x00028067  # jr t0


def reset_vector(start_addr: int, fdt_addr: int, next_addr: int = 0, xlen: int = 32) -> bytes:
    """The ROM image QEMU places at 0x1000 (40 bytes of code/data, then fw_dynamic_info).

    `next_addr` is what fw_dynamic_info hands the next stage (0 without -kernel).  On
    rv32 the upper halves of the two addresses are 0 and each fw_dynamic_info field is
    a 4-byte `target_long`; on rv64 they are 8 bytes.
    """
    if xlen not in (32, 64):
        raise ValueError(f"xlen must be 32 or 64, not {xlen}")
    if xlen == 32:
        load_a1, load_t0 = _LW_A1, _LW_T0
        start_hi = fdt_hi = 0
        start_addr &= 0xFFFF_FFFF
        fdt_addr &= 0xFFFF_FFFF
    else:
        load_a1, load_t0 = _LD_A1, _LD_T0
        start_hi, fdt_hi = start_addr >> 32, fdt_addr >> 32
    code = struct.pack("<10I", _AUIPC_T0, _ADDI_A2, _CSRR_A0_MHARTID, load_a1, load_t0,
                       _JR_T0, start_addr & 0xFFFF_FFFF, start_hi & 0xFFFF_FFFF,
                       fdt_addr & 0xFFFF_FFFF, fdt_hi & 0xFFFF_FFFF)
    field = "<6I" if xlen == 32 else "<6Q"
    info = struct.pack(field, FW_DYNAMIC_INFO_MAGIC, FW_DYNAMIC_INFO_VERSION, next_addr,
                       FW_DYNAMIC_INFO_NEXT_MODE_S, 0, 0)  # options, boot_hart
    return code + info


class Rom(Device):
    """Read-only memory: `contents` at the start of a `size`-byte window, zeros after.

    Reads of any size return little-endian values; guest writes are silently dropped,
    as QEMU does for a ROM region.  `data` is the backing buffer, for a bus fast path.
    """

    name = "rom"

    def __init__(self, contents: bytes, size: int | None = None, name: str = "mrom") -> None:
        self.size = len(contents) if size is None else size
        if len(contents) > self.size:
            raise ValueError(f"{name}: {len(contents)} bytes do not fit in {self.size:#x}")
        self.name = name
        self.data = bytearray(self.size)
        self.load(contents)

    def load(self, contents: bytes) -> None:
        """Replace the contents (a board re-installs its ROM images on reset)."""
        if len(contents) > self.size:
            raise ValueError(f"{self.name}: {len(contents)} bytes do not fit")
        self.data[:] = bytes(self.size)
        self.data[:len(contents)] = contents

    def read(self, offset: int, size: int) -> int:
        if offset < 0 or offset + size > self.size:
            raise DeviceAccessError(f"{self.name}: read at {offset:#x}")
        return int.from_bytes(self.data[offset:offset + size], "little")

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < 0 or offset + size > self.size:
            raise DeviceAccessError(f"{self.name}: write at {offset:#x}")
        # A store to ROM is dropped without a fault.
