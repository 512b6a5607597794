"""read() and write(): through the MMU as the hart sees memory now, or physical."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import rvirt

pytestmark = pytest.mark.tools

DRAM = 0x8000_0000


def sv32_translate(m: rvirt.Machine, va: int) -> int:
    """The physical address of `va`, walking the page table by hand (privileged spec
    4.3.2) with physical reads: a check independent of rvirt's MMU."""
    table = (m.csr("satp") & 0x3F_FFFF) << 12
    for level in (1, 0):
        vpn = (va >> (12 + 10 * level)) & 0x3FF
        pte = int.from_bytes(m.read(table + 4 * vpn, 4, physical=True), "little")
        assert pte & 1, f"{va:#x} is not mapped"
        if pte & 0b1010:  # R or X: a leaf
            ppn = pte >> 10
            if level:
                return (ppn >> 10) << 22 | va & 0x3F_FFFF
            return ppn << 12 | va & 0xFFF
        table = (pte >> 10) << 12
    raise AssertionError("no leaf")


def test_physical_write_changes_what_the_guest_prints(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("hello")) as m:
        image = m.read(DRAM, 0x10000, physical=True)
        at = DRAM + image.index(b"Hello from Rust")
        m.write(at, b"Howdy", physical=True)
        assert m.read(at, 5) == m.read(at, 5, physical=True) == b"Howdy"
        m.run(timeout=120)
        assert m.console.text.startswith("Howdy from Rust")


def test_writing_code_is_fetched_afresh(kernel: Callable[[str], Path]) -> None:
    """Patch p0's loop (already run, so translated) to spin on one jump: the loop's store
    no longer happens."""
    with rvirt.Machine(bios=kernel("p0")) as m:
        ticks = m.symbols["p0::TICKS"]
        m.run(max_instructions=200_000)
        count = int.from_bytes(m.read(ticks, 4), "little")
        assert count > 1000
        m.write(m.pc & ~1, (0x0000006F).to_bytes(4, "little"))  # jal x0, 0: j .
        m.run(until=m.pc & ~1)  # wherever the loop was, it reaches the patched place
        m.run(max_instructions=50_000)
        assert m.pc == m.pc & ~1
        before = m.read(ticks, 4)
        m.run(max_instructions=50_000)
        assert m.read(ticks, 4) == before


def test_virtual_reads_and_writes_under_sv32(kernel: Callable[[str], Path]) -> None:
    user = 0x0040_0000
    with rvirt.Machine(bios=kernel("paging")) as m:
        assert m.run(until=user).reason == "until"
        assert m.priv == "U" and m.csr("satp") >> 31
        pa = sv32_translate(m, user)
        assert pa != user
        assert m.read(user, 32) == m.read(pa, 32, physical=True)
        m.write(user + 0x100, b"\xde\xad\xbe\xef")
        assert m.read(pa + 0x100, 4, physical=True) == b"\xde\xad\xbe\xef"
        m.write(pa + 0x104, b"\x01\x02", physical=True)
        assert m.read(user + 0x104, 2) == b"\x01\x02"
        with pytest.raises(rvirt.AccessError) as e:
            m.read(0x0080_0000, 4)  # the unmapped page the user program touches later
        assert "0x00800000" in str(e.value)


def test_no_memory_there(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0"), memory="16M") as m:
        for addr in (0x0, 0x1000_0000, DRAM + (16 << 20)):  # nothing, the UART, past RAM
            with pytest.raises(rvirt.AccessError):
                m.read(addr, 4, physical=True)
            with pytest.raises(rvirt.AccessError):
                m.write(addr, b"\0", physical=True)
        assert m.read(0x1000, 4) == bytes.fromhex("97020000")  # the ROM: auipc t0, 0
