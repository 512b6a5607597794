"""What start-up imports: a kernel that exits at once must not load what only some
options or events use (llvmlite, pyelftools, prompt_toolkit, the debugger, the built-in
firmware, ...).  Each costs every run milliseconds; tests/bench times them, this only says which
modules were loaded (`python -X importtime` lists every import on stderr)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.guest import ARGS, FINISHER, FINISHER_PASS, program
from tests.tooling import ROOT

pytestmark = pytest.mark.tools

# Never loaded by a plain run: a module here, or any module inside it.
NOT_AT_START_UP = (
    "llvmlite",  # rvirt.exec.native imports it on its thread when a block gets hot
    "elftools",  # DWARF and line info only (rvirt.debug.dwarf); the loader reads ELF itself
    "prompt_toolkit",  # the built-in debugger's prompt
    "rvirt.api",
    "rvirt.debug",  # gdb stub, debugger, DWARF; the console monitor's at its first command
    "rvirt.diag.log",  # -d, and the hints once one is given
    "rvirt.diag.profile",
    "rvirt.isa.disasm",
    "rvirt.firmware",  # the built-in SBI firmware: only without -bios FILE
    "rvirt.devices.virtio_blk",
    "rvirt.devices.virtio_rng",
    "rvirt.devices.block_image",
    "rvirt.tools",
    "hashlib",  # virtio-rng's
    "pathlib",
    "json",
    "argparse",
)


# The first instructions write the test finisher (as bench/workloads/exit.S).
EXIT_AT_ONCE = f"""\
    .section .text.init
    .globl _start
_start:
    li t0, {FINISHER:#x}
    li t1, {FINISHER_PASS:#x}
    sw t1, 0(t0)
1:  j 1b
"""


def imported_modules(*args: str) -> set[str]:
    """The modules `python -m rvirt ARGS` imports; the run must exit 0."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "rvirt", *args],
                       capture_output=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=60)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0, err[-2000:]
    # "import time:  self [us] | cumulative | imported package", then one line a module
    return {line.rsplit("|", 1)[1].strip() for line in err.splitlines()
            if line.startswith("import time:") and line.count("|") == 2} - {"imported package"}


def loaded(modules: set[str], name: str) -> list[str]:
    return sorted(m for m in modules if m == name or m.startswith(name + "."))


def test_a_kernel_that_exits_at_once_imports_only_what_it_uses() -> None:
    elf = program("startup_exit", EXIT_AT_ONCE)
    modules = imported_modules(*ARGS, "-bios", str(elf))
    assert "rvirt.board.virt" in modules and "rvirt.loader.elf" in modules  # it did run
    unwanted = {name: loaded(modules, name) for name in NOT_AT_START_UP}
    assert not {k: v for k, v in unwanted.items() if v}


def test_the_debugger_modules_are_there_when_asked_for() -> None:
    """The check above sees imports at all: -debugger (commands from stdin, here
    none) loads the debugger's modules."""
    elf = program("startup_exit", EXIT_AT_ONCE)
    modules = imported_modules(*ARGS, "-bios", str(elf), "-debugger")
    assert loaded(modules, "rvirt.debug.frontend")
