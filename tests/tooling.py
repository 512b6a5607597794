"""Helpers shared by the tests: finding the real tools, assembling guest programs, running
rvirt and QEMU as subprocesses, and picking free ports.

Tools the suite needs (binutils, QEMU, gdb-multiarch, dtc, Rust) are installed by
`make test`.  When one is missing the test is skipped locally, but fails loudly in CI
(CI=true), so a missing install step can never turn into a silently green run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "tests" / "_build"
CROSS = "riscv64-unknown-elf-"
MARCH = "rv32imac_zicsr_zifencei"
RVIRT = [sys.executable, "-m", "rvirt"]


def need(tool: str) -> str:
    """Path of `tool`; skip the test without it, or fail when running in CI."""
    path = shutil.which(tool)
    if path is None:
        msg = f"{tool} is not installed (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


LINKER_SCRIPT = """\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.init) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.* .sdata .sdata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.*) }
  . = ALIGN(16);
  _end = .;
}
"""


def assemble(source: str | Path, name: str | None = None, *, linker_script: str | None = None,
             extra_as: tuple[str, ...] = ()) -> Path:
    """Assemble and link an rv32 program (text or .S path) at 0x80000000; return the ELF.

    `.S` files go through the C preprocessor (riscv64-unknown-elf-gcc -E) so programs can
    share macros from tests/isa/include.
    """
    BUILD.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        name = name or source.stem
        text = source.read_text()
    else:
        assert name is not None, "inline sources need a name"
        text = source
    src = BUILD / f"{name}.S"
    src.write_text(text)
    obj = BUILD / f"{name}.o"
    elf = BUILD / f"{name}.elf"
    lds = BUILD / f"{name}.ld"
    lds.write_text(linker_script or LINKER_SCRIPT)
    gcc = need(CROSS + "gcc")
    ld = need(CROSS + "ld")
    include = ROOT / "tests" / "isa" / "include"
    subprocess.run([gcc, f"-march={MARCH}", "-mabi=ilp32", "-c", "-nostdlib",
                    "-I", str(include), *extra_as, "-o", str(obj), str(src)],
                   check=True, capture_output=True, text=True)
    subprocess.run([ld, "-m", "elf32lriscv", "-T", str(lds), "-o", str(elf), str(obj)],
                   check=True, capture_output=True, text=True)
    return elf


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_rvirt(*args: str, timeout: float = 60, input: bytes | None = None
              ) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m rvirt ARGS` to completion and return the finished process."""
    return subprocess.run([*RVIRT, *args], capture_output=True, timeout=timeout, input=input,
                          cwd=ROOT)


def run_qemu(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    qemu = need("qemu-system-riscv32")
    return subprocess.run([qemu, *args], capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
