"""Kernels for the reverse-execution tests, and a forward-only oracle: a fresh machine run
straight to a position, which every reverse move must agree with."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.debug.history import nonzero_pages
from tests.examples.conftest import TARGET, _build
from tests.tooling import BUILD, CROSS, LINKER_SCRIPT, MARCH, ROOT, assemble, need

UART0 = 0x10000000

# Echoes each byte it receives on UART0 and appends it to `buf`, so input changes memory
# too.  `echoed` is the store that echoes: a place to stop at.
ECHO = f"""\
    .section .text.init
    .globl _start, echoed
_start:
    li t0, {UART0:#x}
    la t3, buf
1:  lbu t1, 5(t0)
    andi t1, t1, 1
    beqz t1, 1b
    lbu t2, 0(t0)
    sb t2, 0(t3)
    addi t3, t3, 1
echoed:
    sb t2, 0(t0)
    j 1b
    .bss
    .globl buf
buf: .space 4096
"""


@pytest.fixture(scope="session")
def trap_elf() -> Path:
    """examples/trap: timer interrupts, ecalls from U-mode, then exit."""
    project = ROOT / "examples" / "trap"
    return _build(project / "target" / TARGET / "debug" / "trap", project=project)


@pytest.fixture(scope="session")
def p0_elf() -> Path:
    project = ROOT / "examples" / "p0"
    return _build(project / "target" / TARGET / "debug" / "p0", project=project)


@pytest.fixture(scope="session")
def echo_elf() -> Path:
    return assemble(ECHO, "reverse_echo")


def machine(elf: Path, output: Callable[[bytes], None] | None = None) -> Board:
    """A machine whose runs repeat exactly (fixed rng-seed and RTC)."""
    cfg = BoardConfig(ram_size=150 << 20, bios=str(elf), rng_seed=bytes(32),
                        rtc_epoch_ns=0)
    return Board(cfg, console=output or (lambda data: None))


def fingerprint(m: Board) -> tuple[int, int, tuple[int, ...], str]:
    """Position, pc, x0-x31 and a digest of all of RAM."""
    h = m.hart
    digest = hashlib.sha1()
    for n, data in sorted(nonzero_pages(m.ram).items()):
        digest.update(n.to_bytes(4, "little") + data)
    return m.position, h.pc, tuple(h.x[:32]), digest.hexdigest()


def run_to(m: Board, pos: int) -> None:
    """Run machine m (history off) forward to position pos exactly."""
    m.pos_limit = pos
    try:
        while m.position < pos:
            before = m.position
            stop = m.resume(1 << 40)
            assert stop is None or stop.kind != "exited", (pos, m.position)
            assert m.position > before or not m.hart.waiting, "stuck before the position"
    finally:
        m.pos_limit = None
    assert m.position == pos


def forward_only(elf: Path, checks: Iterable[tuple[int, int, tuple[int, ...], str]],
                 inputs: Iterable[tuple[int, bytes]] = ()) -> None:
    """Every fingerprint must be that of a fresh forward-only run at its position, with
    the console input handed over at the same positions."""
    m = machine(elf)
    todo = sorted([(pos, 0, data) for pos, data in inputs] +
                  [(c[0], 1, c) for c in checks], key=lambda t: (t[0], t[1]))
    for pos, kind, item in todo:
        run_to(m, pos)
        if kind == 0:
            m.uart.receive(item)
        else:
            assert fingerprint(m) == item, f"differs at position {pos}"


@pytest.fixture(scope="session")
def paging_elf() -> Path:
    """examples/paging: Sv32 page tables, U-mode through a mapping."""
    project = ROOT / "examples" / "paging"
    return _build(project / "target" / TARGET / "debug" / "paging", project=project)


# A counting loop whose lines split into several line-table rows, as rustc -C opt-level=0
# lays out `while ticks < 100 { ticks += 1; COUNTER = ticks; }` (overflow and null-pointer
# checks): line 42 (`COUNTER = ticks`) is a statement row, then a non-statement row of
# the same line, its store sits after a line-0 row that a jump enters, and line 41's
# panic call lies between them.  Written with .loc so the rows do not depend on a
# compiler's version.  `entry` returns to _start, which powers off.
SPLIT_ROWS = """\
    .file 1 "split.rs"
    .section .text.init
    .globl _start
    .type _start, @function
_start:
    .loc 1 30 0
    la sp, stack_top
    call entry
    .loc 1 31 0
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
    .size _start, .-_start

    .text
    .globl entry
    .type entry, @function
entry:
    .loc 1 38 0
    addi sp, sp, -16
    li a0, 0
    .loc 1 39 0 prologue_end
    sw a0, 12(sp)
    .loc 1 40 0
    j .Lcond
.Lcond:
    .loc 1 40 0 is_stmt 0
    lw a0, 12(sp)
    li a1, 100
    bltu a0, a1, .Lbody
    j .Lafter
.Lafter:
    .loc 1 44 0 is_stmt 1
    lw a0, 12(sp)
    sw a0, 8(sp)
    .loc 1 45 0
    addi sp, sp, 16
    ret
.Lbody:
    .loc 1 41 0
    lw a1, 12(sp)
    addi a0, a1, 1
    sw a0, 4(sp)
    bltu a0, a1, .Loverflow
    j .Lstore
.Lstore:
    .loc 1 0 0 is_stmt 0
    lw a0, 4(sp)
    .loc 1 41 0 is_stmt 1
    sw a0, 12(sp)
    .loc 1 42 0
    lw a0, 12(sp)
    sw a0, 0(sp)
    .loc 1 42 0 is_stmt 0
    lui a0, %hi(COUNTER)
    addi a0, a0, %lo(COUNTER)
    bnez a0, .Lwrite
    j .Lnull
.Loverflow:
    .loc 1 41 0 is_stmt 1
    call panic
.Lwrite:
    .loc 1 0 0 is_stmt 0
    lw a0, 0(sp)
    .loc 1 42 0 is_stmt 1
    lui a1, %hi(COUNTER)
    sw a0, %lo(COUNTER)(a1)
    .loc 1 40 0
    j .Lcond
.Lnull:
    .loc 1 42 0
    call panic
    .size entry, .-entry

    .globl panic
    .type panic, @function
panic:
    .loc 1 50 0
    j panic
    .size panic, .-panic

    .bss
    .globl COUNTER
COUNTER: .word 0
    .align 4
    .space 4096
stack_top:
"""

# The same loop in C with a call in it (gcc -O0: one row per line, calls to step into,
# over and out of).  `kmain` returns to _start, which powers off.
LOOP_C = """\
volatile unsigned COUNTER;

static unsigned bump(unsigned t)
{
    return t + 1;
}

void kmain(void)
{
    unsigned ticks = 0;
    while (ticks < 100) {
        ticks = bump(ticks);
        COUNTER = ticks;
    }
}

unsigned char stack[4096] __attribute__((aligned(16)));

__asm__(".section .text.init\\n"
        ".globl _start\\n"
        "_start:\\n"
        "    la sp, stack + 4096\\n"
        "    call kmain\\n"
        "    li t0, 0x100000\\n"
        "    li t1, 0x5555\\n"
        "    sw t1, 0(t0)\\n"
        "1:  j 1b\\n"
        ".text\\n");
"""
LOOP_C_COUNTER_LINE = 13


@pytest.fixture(scope="session")
def split_elf() -> Path:
    return assemble(SPLIT_ROWS, "reverse_split_rows")


@pytest.fixture(scope="session")
def loop_c_elf() -> Path:
    """LOOP_C built by riscv64-unknown-elf-gcc -g -O0 (its source beside the ELF, so
    debuggers list it)."""
    gcc = need(CROSS + "gcc")
    BUILD.mkdir(parents=True, exist_ok=True)
    src = BUILD / "reverse_loop.c"
    src.write_text(LOOP_C)
    lds = BUILD / "reverse_loop.ld"
    lds.write_text(LINKER_SCRIPT)
    elf = BUILD / "reverse_loop.elf"
    subprocess.run([gcc, f"-march={MARCH}", "-mabi=ilp32", "-g", "-O0", "-nostdlib",
                    "-ffreestanding", "-T", str(lds), "-o", str(elf), str(src)],
                   check=True, capture_output=True, text=True)
    return elf


def row_starts(elf: Path) -> set[int]:
    """The address of every row of the ELF's line table (objdump's decoded lines)."""
    objdump = need(CROSS + "objdump")
    out = subprocess.run([objdump, "--dwarf=decodedline", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    return {int(m.group(1), 16)
            for m in re.finditer(r"^\S+\s+(?:\d+|-)\s+0x([0-9a-f]+)", out, re.M)}
