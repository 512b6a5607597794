"""Helpers shared by the tests: finding the real tools, assembling guest programs, running
rvirt and QEMU as subprocesses, and starting their gdb stubs on free ports (again on
another port when one was taken before the emulator could bind it).

Tools the suite needs (binutils, QEMU, gdb-multiarch, dtc, Rust) are installed by
`make test`.  When one is missing the test is skipped locally, but fails loudly in CI
(CI=true), so a missing install step can never turn into a silently green run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn, TypeVar

import pytest

from tests.debug.gdbstub.rspclient import RspClient

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "tests" / "_build"  # where tests put the programs they build
CROSS = "riscv64-unknown-elf-"
MARCH = "rv32imac_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs"
RVIRT = [sys.executable, "-m", "rvirt"]
T = TypeVar("T")


def missing(message: str) -> NoReturn:
    """Something `make test` provides is not there: skip the test, or fail in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def need(tool: str) -> str:
    """Path of `tool`; skip the test without it, or fail when running in CI."""
    path = shutil.which(tool)
    if path is None:
        missing(f"{tool} is not installed (make test installs it)")
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


# What QEMU 7.2 (util/qemu-sockets.c, inet_listen_saddr) and rvirt print when
# `-gdb tcp::PORT` cannot bind its port.
PORT_TAKEN = "Failed to find an available port"
PORT_TRIES = 3


class NoGdbStub(Exception):
    """The emulator ended before its gdb stub took a connection; the message says what it
    printed."""


class PortTaken(NoGdbStub):
    """The emulator could not bind the port free_port chose: it was taken in between."""


def on_a_free_port(attempt: Callable[[int], T], tries: int = PORT_TRIES) -> T:
    """`attempt(port)` on a port free_port just chose, and again on a new one while it
    raises PortTaken.  free_port's port is free when it returns, not necessarily when the
    emulator binds it: another process (a connection's ephemeral port, say) can take it
    in between, and then QEMU and rvirt exit with PORT_TAKEN."""
    for n in range(tries):
        try:
            return attempt(free_port())
        except PortTaken:
            if n == tries - 1:
                raise
    raise AssertionError("tries must be at least 1")


@contextlib.contextmanager
def first_port_taken() -> Iterator[list[int]]:
    """For tests of the retry: the first port free_port hands out is bound by this process
    (not listening, so an emulator's bind fails and a client's connect is refused); the
    ones after it are really free.  Yields the ports handed out, in order."""
    real_free_port = free_port
    chosen: list[int] = []
    with socket.socket() as busy, pytest.MonkeyPatch.context() as patch:
        busy.bind(("127.0.0.1", 0))

        def next_port() -> int:
            chosen.append(real_free_port() if chosen else busy.getsockname()[1])
            return chosen[-1]

        patch.setattr(sys.modules[__name__], "free_port", next_port)
        yield chosen


def _start_stub(command: Sequence[str], port: int
                ) -> tuple[subprocess.Popen[bytes], RspClient]:
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*command, "-gdb", f"tcp:127.0.0.1:{port}"], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
        try:
            return proc, RspClient.connect(port, alive=lambda: proc.poll() is None)
        except OSError as exc:
            proc.kill()
            proc.wait()
            err.seek(0)
            printed = err.read().decode(errors="replace").strip()
            kind = PortTaken if PORT_TAKEN in printed else NoGdbStub
            raise kind(f"{command[0]}: no gdb stub on port {port} ({exc}); "
                       f"it printed: {printed!r}") from None


@contextlib.contextmanager
def gdb_stub(command: Sequence[str]) -> Iterator[tuple[subprocess.Popen[bytes], RspClient]]:
    """Start `command -gdb tcp:127.0.0.1:PORT` (an emulator's command line) on a free port,
    another one if that was taken, and yield it with a connected client.  The process is
    killed at the end; its output is not kept (a failure to start is raised with it)."""
    proc, client = on_a_free_port(lambda port: _start_stub(command, port))
    try:
        yield proc, client
    finally:
        client.close()
        proc.kill()
        proc.wait()


def run_demo(demo: ModuleType, emulator: str, elf: Path, session: list[str],
             timeout: float = 120) -> tuple[int, str]:
    """`demo.run` (scripts/demo.py: an emulator with -S and a gdb-multiarch session) on a
    free port, another one if the emulator found that one taken.  Returns gdb's exit
    status and the transcript."""
    def attempt(port: int) -> tuple[int, str]:
        status, transcript = demo.run(emulator, elf, session, port, timeout)
        if status != 0 and PORT_TAKEN in transcript:
            raise PortTaken(transcript)
        return status, transcript
    return on_a_free_port(attempt)


def run_rvirt(*args: str, timeout: float = 60, input: bytes | None = None
              ) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m rvirt ARGS` to completion and return the finished process."""
    return subprocess.run([*RVIRT, *args], capture_output=True, timeout=timeout, input=input,
                          cwd=ROOT)


def run_qemu(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    qemu = need("qemu-system-riscv32")
    return subprocess.run([qemu, *args], capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
