"""ELF loading as QEMU 7.2 does it (include/hw/elf_ops.h, hw/core/loader.c): every PT_LOAD
segment is loaded, and the bytes that land where there is no RAM or ROM are dropped.
rvirt says so in one warning line when real content (not only ELF headers) is dropped,
and then boots as QEMU does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.errors import RvirtError
from tests.cli.guest import ARGS, FINISHER_FAIL, GREETING, print_then_finish, program
from tests.tooling import BUILD, CROSS, MARCH, need, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

RAM_150M_END = 0x89600000


def plain_ld(name: str, source: str, *ld_args: str) -> Path:
    """Assemble `source` and link it with GNU ld's own default script (no -T)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    src, obj, elf = (BUILD / f"load_{name}{ext}" for ext in (".S", ".o", ".elf"))
    src.write_text(source)
    subprocess.run([need(CROSS + "gcc"), f"-march={MARCH}", "-mabi=ilp32", "-c", "-o",
                    str(obj), str(src)], check=True, capture_output=True)
    subprocess.run([need(CROSS + "ld"), "-m", "elf32lriscv", *ld_args, "-o", str(elf),
                    str(obj)], check=True, capture_output=True)
    return elf


def machine(elf: Path, notes: list[str], ram: int = 150 << 20) -> Board:
    return Board(BoardConfig(ram_size=ram, bios=str(elf)), console=lambda b: None,
                   notice=notes.append)


def test_ttext_program_runs_silently_as_on_qemu() -> None:
    """`ld -Ttext=0x80000000` makes one LOAD segment from 0x7ffff000: its first page holds
    only the ELF and program headers.  QEMU runs it; rvirt too, with nothing on stderr."""
    source = print_then_finish(FINISHER_FAIL | 7 << 16).replace(".section .text.init",
                                                                ".text")
    elf = plain_ld("ttext", source, "-Ttext=0x80000000")
    header = subprocess.run([need(CROSS + "readelf"), "-lW", str(elf)], check=True,
                            capture_output=True, text=True).stdout
    assert "LOAD           0x000000 0x7ffff000" in header, header
    ours = run_rvirt(*ARGS, "-bios", str(elf), input=b"")
    theirs = run_qemu(*ARGS, "-bios", str(elf))
    assert (ours.returncode, ours.stdout.decode()) == (7, GREETING)
    assert (theirs.returncode, theirs.stdout.decode()) == (7, GREETING)
    assert ours.stderr == b""


@pytest.mark.parametrize("base", [0x90000000, 0x0, 0x895FFFF0],
                         ids=["above-ram", "at-zero", "across-ram-end"])
def test_content_outside_ram_is_dropped_with_one_warning(base: int) -> None:
    elf = program(f"at_{base:08x}", print_then_finish(0x5555), base=base)
    notes: list[str] = []
    m = machine(elf, notes)
    assert len(notes) == 1, notes
    note = notes[0]
    assert note.startswith(f"warning: -bios {elf}: segment ")
    assert ".text" in note and "outside RAM and ROM" in note and "bytes were dropped" in note
    assert "RAM starts at 0x80000000, where the linker script should put the kernel" in note
    if base == 0x895FFFF0:  # the part inside RAM is loaded, the rest is what is named
        assert f"{RAM_150M_END:#010x}-" in note
        data = elf.read_bytes()
        first = m.read_memory(base, RAM_150M_END - base)
        assert first is not None and first in data
    # Then it boots as QEMU does: nothing at 0x80000000, so the ROM's jump lands on
    # zeros: an illegal instruction, then instruction access faults at mtvec = 0.
    assert m.run(max_instructions=100) is None
    assert m.hart.pc == 0 and m.hart.csr["mcause"] == 1


def test_a_running_machine_prints_the_warning_and_goes_on() -> None:
    """The command line: the warning is one line on stderr and the machine keeps running
    (stopped here by the timeout, since it spins on faults forever, as QEMU does)."""
    elf = program("at_90000000", print_then_finish(0x5555), base=0x90000000)
    with pytest.raises(subprocess.TimeoutExpired) as stopped:
        run_rvirt(*ARGS, "-bios", str(elf), timeout=5, input=b"")
    err = (stopped.value.stderr or b"").decode().splitlines()
    assert err[0].startswith("rvirt: warning: ") and len(err) == 3, err
    assert all(line.startswith("rvirt: hint: ") for line in err[1:])  # the hint, once


def test_headers_only_outside_ram_is_silent() -> None:
    notes: list[str] = []
    elf = plain_ld("ttext_quiet", ".text\n.globl _start\n_start: j _start\n",
                   "-Ttext=0x80000000")
    m = machine(elf, notes)
    assert notes == []
    assert m.read_memory(0x80000000, 2) == bytes.fromhex("01a0")  # c.j 0: the code is there


def test_segment_in_the_boot_rom_is_loaded() -> None:
    """A segment in the MROM (above its reset vector) is loaded there, as QEMU does."""
    elf = plain_ld("rom", ".text\n.globl _start\n_start: .word 0x12345678\n",
                   "-Ttext=0x3000")
    notes: list[str] = []
    m = machine(elf, notes)
    assert m.read_memory(0x3000, 4) == bytes.fromhex("78563412")
    assert notes == []


def test_segment_over_the_reset_vector_is_refused() -> None:
    """QEMU 7.2: "Some ROM regions are overlapping" (the segment and mrom.reset)."""
    elf = plain_ld("rom_vec", ".text\n.globl _start\n_start: .word 0x12345678\n",
                   "-Ttext=0x2000")  # the segment starts a page low, at 0x1000
    with pytest.raises(RvirtError, match="overlaps the boot ROM's reset vector"):
        machine(elf, [])
    r = run_qemu(*ARGS, "-bios", str(elf))
    assert r.returncode != 0 and b"overlapping" in r.stderr
