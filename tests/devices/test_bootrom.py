"""Boot ROM: QEMU's reset vector bytes and the read-only ROM device."""

from __future__ import annotations

import struct

import pytest

from rvirt.board.memmap import MROM, fdt_address
from rvirt.devices.base import DeviceAccessError
from rvirt.devices.bootrom import Rom, reset_vector

# gdb `m1000,40` against qemu-system-riscv32 7.2 -m 150M (ref virt-rv32.md 2.1).
QEMU_150M = bytes.fromhex(
    "9702000013868202732540f183a5020283a2820167800200000000800000000000004089"
    "000000004f5342490200000000000000010000000000000000000000")


def test_rv32_reset_vector_matches_qemu_byte_for_byte() -> None:
    fdt = fdt_address(150 * 1024 * 1024)
    assert fdt == 0x89400000
    assert reset_vector(0x80000000, fdt) == QEMU_150M


def test_next_addr_lands_in_fw_dynamic_info() -> None:
    rom = reset_vector(0x80000000, 0x87E00000, next_addr=0x80200000)
    magic, version, next_addr, next_mode, options, hart = struct.unpack_from("<6I", rom, 40)
    assert (magic, version, next_addr, next_mode, options, hart) == (
        0x4942534F, 2, 0x80200000, 1, 0, 0)
    assert struct.unpack_from("<I", rom, 32)[0] == 0x87E00000


def test_rv64_uses_ld_and_eight_byte_fields() -> None:
    rom = reset_vector(0x8000_0000, 0x1_BFE0_0000, next_addr=0x8020_0000, xlen=64)
    assert len(rom) == 40 + 6 * 8
    words = struct.unpack_from("<6I", rom, 0)
    assert words[3] == 0x0202B583 and words[4] == 0x0182B283
    assert struct.unpack_from("<QQ", rom, 24) == (0x8000_0000, 0x1_BFE0_0000)
    assert struct.unpack_from("<6Q", rom, 40) == (0x4942534F, 2, 0x8020_0000, 1, 0, 0)


def test_bad_xlen() -> None:
    with pytest.raises(ValueError):
        reset_vector(0, 0, xlen=128)


def test_rom_reads_little_endian_any_size() -> None:
    rom = Rom(QEMU_150M, MROM.size)
    assert rom.read(0, 4) == 0x00000297
    assert rom.read(0, 1) == 0x97
    assert rom.read(2, 2) == 0x0000
    assert rom.read(0x18, 8) == 0x80000000
    assert rom.read(1, 4) == 0x13000002  # unaligned reads are fine in ROM
    assert rom.read(0x40, 4) == 0 and rom.read(MROM.size - 8, 8) == 0


def test_rom_ignores_writes() -> None:
    rom = Rom(QEMU_150M, MROM.size)
    rom.write(0, 4, 0xDEADBEEF)
    rom.write(0x100, 8, 0xFFFF_FFFF_FFFF_FFFF)
    assert rom.read(0, 4) == 0x00000297 and rom.read(0x100, 8) == 0
    rom.reset()
    assert bytes(rom.data[:64]) == QEMU_150M


def test_rom_window_is_bounded() -> None:
    rom = Rom(b"\x01\x02", 0x10)
    assert len(rom.data) == 0x10
    with pytest.raises(DeviceAccessError):
        rom.read(0x0E, 4)
    with pytest.raises(DeviceAccessError):
        rom.write(0x10, 1, 0)
    with pytest.raises(ValueError):
        Rom(bytes(0x20), 0x10)


def test_rom_load_replaces_contents() -> None:
    rom = Rom(b"\xff" * 8, 0x10)
    rom.load(b"\x11")
    assert rom.read(0, 8) == 0x11
