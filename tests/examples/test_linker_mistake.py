"""The tutorial's linker mistake: p0 linked without its linker script lands at 0x10000,
outside RAM, so nothing is at 0x8000_0000; the hart executes the zeroed RAM and traps.
QEMU drops the segments silently and boots; rvirt boots the same way after one warning
line, and the tutorial's gdb session gives the same answers on both."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tests.tooling import need, run_demo


def _answers(transcript: str) -> tuple[list[str], list[str]]:
    """gdb's lines (the port and the emulator's own output left out), and what the
    emulator printed."""
    gdb, _, printed = transcript.partition("--- ")
    lines = [line for line in gdb.splitlines() if not line.startswith("(gdb) target remote")]
    return lines, printed.splitlines()[1:]


def test_tutorial_session_equals_qemu(demo: ModuleType, p0_noscript_elf: Path) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    answers = {}
    for emulator in ("rvirt", "qemu"):
        status, transcript = run_demo(demo, emulator, p0_noscript_elf, demo.NO_LINKER_SCRIPT)
        assert status == 0, transcript
        answers[emulator] = _answers(transcript)
    assert answers["rvirt"][0] == answers["qemu"][0]
    lines = answers["rvirt"][0]
    assert "$1 = 0x80000000" in lines and "$2 = 0x0" in lines
    assert "   0x80000000:\tunimp" in lines
    assert "0x80000000:\t0x00000000\t0x00000000\t0x00000000\t0x00000000" in lines
    warning = [line for line in answers["rvirt"][1] if "warning" in line]
    assert len(warning) == 1, answers["rvirt"][1]
    assert warning[0].startswith("rvirt: warning: -bios ")
    assert "segment 1 (.text .rodata, 0x00010000-0x00010238)" in warning[0]
    assert "where the linker script should put the kernel" in warning[0]
    assert not any("warning" in line for line in answers["qemu"][1])  # QEMU says nothing


def _trap_sequence(transcript: str) -> list[tuple[str, ...]]:
    """(pc, mcause, mtval, mepc, mstatus) values after each si, from `info registers`."""
    rows, cur = [], {}
    for line in transcript.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("pc", "mcause", "mtval", "mepc", "mstatus"):
            cur[parts[0]] = parts[1]
            if parts[0] == "mstatus":
                rows.append(tuple(cur[k] for k in ("pc", "mcause", "mtval", "mepc",
                                                   "mstatus")))
                cur = {}
    return rows


def test_zeroed_ram_traps_like_qemu(demo: ModuleType, p0_noscript_elf: Path) -> None:
    """Both boot the mislinked ELF, dropping its segments.  Stepped with gdb's hardware
    step, both show the same pc/mcause/mtval/mepc/mstatus sequence: illegal instruction
    at 0x80000000 (mtval 0), then instruction access faults at mtvec = 0."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    results = {}
    for emulator in ("rvirt", "qemu"):
        status, transcript = run_demo(demo, emulator, p0_noscript_elf, demo.LINKER_MISTAKE)
        assert status == 0, transcript
        results[emulator] = _trap_sequence(transcript)
    assert results["rvirt"] == results["qemu"]
    seq = results["rvirt"]
    assert seq[0][:2] == ("0x80000000", "0x0")  # jr t0 reached DRAM
    assert seq[1] == ("0x0", "0x2", "0x0", "0x80000000", "0x1800")  # illegal 0x0000
    assert seq[2][:4] == ("0x0", "0x1", "0x0", "0x0")  # fetch fault at mtvec = 0
