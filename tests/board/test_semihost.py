"""Semihosting's edges, on the board directly: when an ebreak is a semihosting call and
when it stays a breakpoint (riscv-semihosting spec; QEMU 7.2 trans_ebreak and
semihosting_enabled), and the working-directory confinement of file names.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from tests.tooling import assemble

pytestmark = pytest.mark.tools

SEQUENCE = """\
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
"""


def program(name: str, body: str) -> Path:
    """`body` at 0x80000000 (uncompressed), then a spin at `done`; the trap vector is
    `trapped`, which spins too."""
    return assemble(f"""\
    .section .text.init
    .globl _start
    .option norvc
_start:
    la t0, trapped
    csrw mtvec, t0
{body}
done: j done
    .balign 4
trapped: j trapped
    .data
    .balign 4
blk: .word 0, 0, 0, 0
name: .asciz "NAME"
""", f"semihost_{name}")


def board(elf: Path, **config: object) -> Board:
    b = Board(BoardConfig(bios=str(elf), **config))  # type: ignore[arg-type]
    b.run(10_000)
    return b


def at(b: Board, label: str) -> int:
    return b.symbols[label]


def test_the_sequence_is_a_call() -> None:
    elf = program("call", "    li a0, 0x31\n" + SEQUENCE)  # SYS_TICKFREQ
    b = board(elf, semihosting=True)
    assert b.hart.pc == at(b, "done")
    assert b.hart.x[10] == 1_000_000_000
    assert b.hart.csr["mcause"] == 0  # no trap was taken


def test_without_semihosting_the_ebreak_traps() -> None:
    elf = program("off", "    li a0, 0x31\n" + SEQUENCE)
    b = board(elf)
    assert b.hart.pc == at(b, "trapped")
    assert b.hart.csr["mcause"] == 3
    assert b.hart.x[10] == 0x31


def test_a_lone_ebreak_still_traps() -> None:
    elf = program("lone", "    li a0, 0x31\n    nop\n    ebreak\n    nop\n")
    b = board(elf, semihosting=True)
    assert b.hart.pc == at(b, "trapped")
    assert b.hart.csr["mcause"] == 3


def test_a_sequence_across_pages_traps() -> None:
    """The spec wants the three in one page; here the ebreak starts a page."""
    elf = program("pages", "    li a0, 0x31\n    j 1f\n    .balign 4096\n    .skip 4092\n"
                  "1:\n" + SEQUENCE)
    b = board(elf, semihosting=True)
    assert b.hart.csr["mcause"] == 3
    assert b.hart.csr["mepc"] & 0xFFF == 0


USER_MODE = """\
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x0f           # TOR, RWX: U-mode may run (and QEMU 7.2's mret needs a PMP)
    csrw pmpcfg0, t0
    la t0, 1f
    csrw mepc, t0
    li t0, 0x1800
    csrc mstatus, t0      # MPP = U
    mret
1:  li a0, 0x31
""" + SEQUENCE + "    j done\n"


def test_from_user_mode_only_with_userspace_on() -> None:
    elf = program("user", USER_MODE)
    refused = board(elf, semihosting=True)
    assert refused.hart.csr["mcause"] == 3  # semihosting_enabled(is_user) is false
    served = board(elf, semihosting=True, semihosting_userspace=True)
    assert served.hart.x[10] == 1_000_000_000
    assert served.hart.csr["mcause"] == 0


def test_a_call_is_not_seen_as_a_trap() -> None:
    """Trap observers (-d int, hints, the debugger's stops) never see a served call."""
    elf = program("unseen", "    li a0, 0x31\n" + SEQUENCE)
    b = Board(BoardConfig(bios=str(elf), semihosting=True))
    seen: list[int] = []
    b.hart.trap_hooks.append(lambda h, cause, tval, irq: seen.append(cause))
    b.run(10_000)
    assert seen == []
    assert b.semihost is not None and b.semihost.calls == 1


OPEN = """\
    la t0, blk
    la t1, name
    sw t1, 0(t0)
    sw zero, 4(t0)        # mode "r"
    li t1, {length}
    sw t1, 8(t0)
    li a0, 0x01
    mv a1, t0
""" + SEQUENCE + """\
    mv s0, a0
    li a0, 0x13           # SYS_ERRNO
""" + SEQUENCE


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.txt", "a/../../outside.txt",
                                  "link/outside.txt"])
def test_names_outside_the_working_directory_fail(name: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "outside.txt").write_text("not for the guest\n")
    cwd = tmp_path / "cwd"
    (cwd / "a").mkdir(parents=True)
    (cwd / "link").symlink_to(tmp_path)
    monkeypatch.chdir(cwd)
    elf = program(f"open_{len(name)}", OPEN.format(length=len(name)))
    b = Board(BoardConfig(bios=str(elf), semihosting=True))
    assert b.write_memory(b.symbols["name"], name.encode() + b"\0")
    b.run(10_000)
    assert b.hart.x[8] == 0xFFFFFFFF  # s0: the open failed
    assert b.hart.x[10] == 13  # EACCES


def test_a_name_inside_opens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "NAME").write_text("for the guest\n")
    monkeypatch.chdir(tmp_path)
    elf = program("inside", OPEN.format(length=4))
    b = board(elf, semihosting=True)
    assert b.hart.x[8] == 1  # the first handle
    os.close(b.semihost.files.pop(1))  # type: ignore[union-attr, arg-type]
