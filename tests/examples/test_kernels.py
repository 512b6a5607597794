"""The tutorial's next kernels (examples/hello, trap, paging) on rvirt and on QEMU 7.2:
the same command line, the same console output line for line, the same exit status."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tooling import run_qemu, run_rvirt

pytestmark = pytest.mark.tools

ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
TIMEOUT = 300  # seconds; each kernel finishes in well under a second on QEMU

# Each expected line is a regular expression matched against the whole line.
EXPECTED = {
    "hello": [
        r"Hello from Rust on the RISC-V virt machine!",
        r"running on hart 0 in machine mode",
        r"panic at src/main\.rs:\d+: on purpose, the answer is 42",
    ],
    "trap": [
        r"trap: M-mode handler installed, waiting for 3 timer interrupts",
        r"timer interrupt 1 \(mcause = 0x80000007\)",
        r"timer interrupt 2 \(mcause = 0x80000007\)",
        r"timer interrupt 3 \(mcause = 0x80000007\)",
        r"dropping to U-mode",
        r"ecall from U-mode \(mcause = 8\): write, 18 bytes",
        r"hello from U-mode",
        r"ecall from U-mode \(mcause = 8\): exit\(0\)",
    ],
    "paging": [
        r"paging: kernel running in S-mode",
        r"Sv32 on: kernel identity-mapped with 4 MiB megapages",
        r"entering the user program at 0x00400000",
        r"ecall from U-mode: write\(0x004000[0-9a-f]{2}, 32\)",
        r"hello from U-mode at 0x00400000",
        r"load page fault: scause = 13, stval = 0x00800000, sepc = 0x004000[0-9a-f]{2}",
        r"the user program touched unmapped memory; stopping the machine",
    ],
}


def console_lines(r: subprocess.CompletedProcess[bytes]) -> list[str]:
    return r.stdout.decode("utf-8", "replace").splitlines()


def check(name: str, r: subprocess.CompletedProcess[bytes]) -> list[str]:
    lines = console_lines(r)
    detail = f"stdout={r.stdout!r} stderr={r.stderr!r}"
    assert r.returncode == 0, detail
    assert len(lines) == len(EXPECTED[name]), detail
    for line, pattern in zip(lines, EXPECTED[name], strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}; {detail}"
    return lines


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_kernel_on_rvirt(name: str, example_elf: Callable[[str], Path]) -> None:
    elf = example_elf(name)
    check(name, run_rvirt(*ARGS, "-bios", str(elf), timeout=TIMEOUT))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_kernel_on_qemu_matches_rvirt(name: str, example_elf: Callable[[str], Path]) -> None:
    elf = example_elf(name)
    qemu = check(name, run_qemu(*ARGS, "-bios", str(elf), timeout=TIMEOUT))
    rvirt = check(name, run_rvirt(*ARGS, "-bios", str(elf), timeout=TIMEOUT))
    assert rvirt == qemu  # addresses included: both ran the same ELF the same way
