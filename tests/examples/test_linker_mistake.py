"""The tutorial's linker mistake: p0 linked without its linker script lands at 0x10000,
outside RAM, so nothing is at 0x8000_0000; the hart executes the zeroed RAM and traps.
rvirt refuses such an ELF with one clear line (QEMU silently drops the segment), and,
given the same image with the segment dropped, traps exactly as QEMU does."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from tests.tooling import free_port, need, run_rvirt

MACHINE = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")


def test_rvirt_names_the_segment_outside_ram(p0_noscript_elf: Path) -> None:
    r = run_rvirt(*MACHINE, "-bios", str(p0_noscript_elf))
    assert r.returncode == 1
    err = r.stderr.decode().strip()
    assert "\n" not in err and "outside RAM" in err, err


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
    """QEMU boots the mislinked ELF (dropping its segment); rvirt boots the same
    situation with -bios none.  Stepped with gdb's hardware step, both show the same
    pc/mcause/mtval/mepc/mstatus sequence: illegal instruction at 0x80000000 (mtval 0),
    then instruction access faults at mtvec = 0."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    results = {}
    original = demo.emulator_args
    for emulator in ("rvirt", "qemu"):
        bios = "none" if emulator == "rvirt" else str(p0_noscript_elf)
        demo.emulator_args = lambda elf, port, bios=bios: [*MACHINE, "-bios", bios, "-S",
                                                           "-gdb", f"tcp::{port}"]
        try:
            status, transcript = demo.run(emulator, p0_noscript_elf, demo.LINKER_MISTAKE,
                                          free_port(), 120)
        finally:
            demo.emulator_args = original
        assert status == 0, transcript
        results[emulator] = _trap_sequence(transcript)
    assert results["rvirt"] == results["qemu"]
    seq = results["rvirt"]
    assert seq[0][:2] == ("0x80000000", "0x0")  # jr t0 reached DRAM
    assert seq[1] == ("0x0", "0x2", "0x0", "0x80000000", "0x1800")  # illegal 0x0000
    assert seq[2][:4] == ("0x0", "0x1", "0x0", "0x0")  # fetch fault at mtvec = 0
