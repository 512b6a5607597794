"""Guest programs and checks shared by the command-line tests.

Programs are assembled with the real toolchain (tests.tooling.assemble) under names that
start with `cli_`, so they never collide with other tests' builds in tests/_build.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from tests.tooling import LINKER_SCRIPT, assemble

# The tutorial's command line, minus -bios.
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
UART0 = 0x10000000
FINISHER = 0x100000
FINISHER_FAIL = 0x3333
FINISHER_PASS = 0x5555
FINISHER_RESET = 0x7777
DRAM_BASE = 0x80000000
GREETING = "hello from the command-line tests\n"


def print_then_finish(value: int, message: str = GREETING) -> str:
    """Source of a program that prints `message` on UART0, then writes `value` to the
    SiFive test finisher (and spins, should the write not stop the machine)."""
    text = message.encode().hex()
    data = ", ".join(f"0x{text[i:i + 2]}" for i in range(0, len(text), 2))
    return f"""\
    .section .text.init
    .globl _start
_start:
    li t0, {UART0:#x}
    la a0, msg
1:  lbu t1, 0(a0)
    beqz t1, 2f
    sb t1, 0(t0)
    addi a0, a0, 1
    j 1b
2:  li t0, {FINISHER:#x}
    li t1, {value:#x}
    sw t1, 0(t0)
3:  j 3b
    .section .rodata
msg: .byte {data}, 0
"""


SPIN = """\
    .section .text.init
    .globl _start
_start:
    j _start
"""

# Echo every byte typed on the console back to it (LSR.DR polled, then RBR to THR).
ECHO = f"""\
    .section .text.init
    .globl _start
_start:
    li t0, {UART0:#x}
1:  lbu t1, 5(t0)
    andi t1, t1, 1
    beqz t1, 1b
    lbu t2, 0(t0)
    sb t2, 0(t0)
    j 1b
"""


def linked_at(base: int) -> str:
    """tests.tooling's linker script with everything placed from `base`."""
    script = LINKER_SCRIPT.replace(f". = {DRAM_BASE:#x};", f". = {base:#x};")
    assert script != LINKER_SCRIPT or base == DRAM_BASE
    return script


def program(name: str, source: str, base: int = DRAM_BASE) -> Path:
    return assemble(source, f"cli_{name}", linker_script=linked_at(base))


def hello() -> Path:
    return program("hello", print_then_finish(FINISHER_PASS))


def objcopy_binary(elf: Path, objcopy: str) -> Path:
    out = elf.with_suffix(".bin")
    subprocess.run([objcopy, "-O", "binary", str(elf), str(out)], check=True,
                   capture_output=True)
    return out


def elf32_layout(data: bytes) -> dict[str, int]:
    """Offsets of an ELF32's program headers, first PT_LOAD segment and section headers."""
    assert data[:4] == b"\x7fELF" and data[4] == 1, "not an ELF32"
    phoff, shoff = struct.unpack_from("<II", data, 0x1C)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
    for i in range(phnum):
        p_type, p_offset, _, _, p_filesz = struct.unpack_from("<5I", data, phoff + i * phentsize)
        if p_type == 1 and p_filesz:
            return {"phoff": phoff, "phentsize": phentsize, "phnum": phnum,
                    "seg_offset": p_offset, "seg_filesz": p_filesz, "shoff": shoff}
    raise AssertionError("the ELF has no PT_LOAD segment with file contents")


def has_pt_load(data: bytes) -> bool:
    phoff = struct.unpack_from("<I", data, 0x1C)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
    return any(struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1
               for i in range(phnum))


def one_error_line(r: subprocess.CompletedProcess[bytes]) -> str:
    """The single `rvirt: ...` line a failed run must print; asserts the failure shape:
    a non-zero status, no traceback, exactly one non-empty line on stderr."""
    err = r.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert r.returncode != 0, f"exit status 0 with {lines[0]!r}"
    assert lines[0].startswith("rvirt: "), lines[0]
    return lines[0]
