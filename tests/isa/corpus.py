"""The instruction test corpus: the self-checking programs in tests/isa/programs/*.S, how
to build them, how to run them, and the few that QEMU 7.2 is known to fail.

A program exits with status 0 when every test in it passed, or with the number of the
first failing test (the header tests/isa/include/test_macros.h explains the protocol).
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests import tooling

PROGRAMS_DIR = Path(__file__).resolve().parent / "programs"
PROGRAMS: list[str] = sorted(p.stem for p in PROGRAMS_DIR.glob("*.S"))

MACHINE_ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")


@dataclass(frozen=True)
class Departure:
    """A program that fails on QEMU 7.2 because QEMU contradicts the ratified spec."""

    exit_status: int  # the first failing test on QEMU 7.2
    why: str


# Programs whose tests check the spec where QEMU 7.2 does something else
# (shared/ref/virt-rv32.md section 9; docs/differences.md).  Every other program exits 0
# on QEMU 7.2.
QEMU_7_2_DEPARTURES: dict[str, Departure] = {
    "rv32a_misaligned_amo": Departure(
        1, "misaligned AMO: QEMU 7.2 raises cause 4 (load address misaligned), "
           "the spec says 6 (store/AMO address misaligned)"),
    "priv_mepc_align": Departure(
        1, "mepc bit 0: QEMU 7.2 keeps it as written, the spec hardwires it to 0"),
}


def source(name: str) -> Path:
    return PROGRAMS_DIR / f"{name}.S"


@functools.cache
def build(name: str) -> Path:
    """Assemble and link program `name` (once per session); return the ELF."""
    try:
        return tooling.assemble(source(name), f"isa_{name}")
    except subprocess.CalledProcessError as e:
        raise AssertionError(f"{name}.S does not assemble:\n{e.stderr}") from None


def describe_exit(status: int, stdout: bytes, stderr: bytes) -> str:
    """A failure message: which test failed and what the program printed."""
    text = stdout.decode("latin-1", "replace").strip()
    err = stderr.decode("latin-1", "replace").strip()
    lines = [f"exit status {status}"
             + (f" = test number {status} failed" if 0 < status < 255 else "")]
    if text:
        lines.append(f"UART output: {text}")
    if err:
        lines.append("stderr: " + err[-2000:])
    return "\n".join(lines)
