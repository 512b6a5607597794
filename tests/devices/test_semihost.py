"""Semihosting's edges, on the board directly: when an ebreak is a semihosting call and
when it stays a breakpoint (riscv-semihosting spec; QEMU 7.2 trans_ebreak and
semihosting_enabled), and the working-directory confinement of file names.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from tests.tooling import ROOT, RVIRT, assemble, gdb_stub, need

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


@pytest.mark.parametrize("length", [0, 3])
def test_a_length_not_at_the_nul_is_einval(length: int, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """QEMU 7.2 wants the NUL right after `length` bytes (a length of 0 included)."""
    (tmp_path / "NAME").write_text("for the guest\n")
    monkeypatch.chdir(tmp_path)
    elf = program(f"einval_{length}", OPEN.format(length=length))
    b = board(elf, semihosting=True)
    assert b.hart.x[8] == 0xFFFFFFFF
    assert b.hart.x[10] == 22  # EINVAL


# --- debuggers: a served call is no breakpoint stop ----------------------------------

HELLO = """\
    .section .text.init
    .globl _start
    .option norvc
_start:
    li a0, 0x04
    la a1, msg
    call semi
    la a1, blk
    li a0, 0x20
    call semi
1:  j 1b
    .globl semi
semi:
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
    ret
    .data
msg: .asciz "hi\\n"
    .balign 4
blk: .word 0x20026, 3
"""


@pytest.fixture(scope="module")
def hello_elf() -> Path:
    return assemble(HELLO, "semihost_hello")


def symbol(elf: Path, name: str) -> int:
    from rvirt.loader.elf import load
    return load(str(elf), 0x80000000, "-bios").symbols[name]


@pytest.mark.parametrize("emulator", ["qemu", "rvirt"])
def test_gdb_steps_over_a_call_and_sees_the_exit(emulator: str, hello_elf: Path) -> None:
    """Over the stub, as on QEMU: a step over the ebreak lands after it (no trap, no
    stop of its own), and the guest's SYS_EXIT_EXTENDED is gdb's `W03`."""
    command = [need("qemu-system-riscv32")] if emulator == "qemu" else RVIRT
    semi = symbol(hello_elf, "semi")
    with gdb_stub([*command, "-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic",
                   "-semihosting", "-S", "-bios", str(hello_elf)]) as (_, c):
        c.handshake()
        assert c.insert_breakpoint(semi) == b"OK"
        c.resume()
        assert c.wait_stop().startswith(b"T05")
        assert c.pc() == semi
        c.step()
        assert c.pc() == semi + 4  # the ebreak
        c.step()
        assert c.pc() == semi + 8  # served: on to the srai
        assert c.read_register(10) == 0xDEADBEEF  # SYS_WRITE0's "corrupted" a0
        assert c.remove_breakpoint(semi) == b"OK"
        c.resume()
        assert c.wait_stop() == b"W03"


def test_the_debugger_continues_through_calls(hello_elf: Path) -> None:
    r = subprocess.run([*RVIRT, "-machine", "virt", "-semihosting", "-bios", str(hello_elf),
                        "-debugger"], cwd=ROOT, capture_output=True, timeout=120,
                       input=b"break semi\ncontinue\nstepi\nstepi\ndelete\ncontinue\n")
    out = r.stdout.decode()
    assert "Breakpoint 1, " in out
    assert "SIGTRAP" not in out
    assert f"{symbol(hello_elf, 'semi') + 8:#010x} in semi ()" in out
    assert "exited with code 03" in out
    assert r.stderr.decode() == "hi\n"


# --- reverse execution: a replay gets the recorded answers ---------------------------

FILE_CALLS = """\
    la s1, blk
    la t0, fname
    sw t0, 0(s1)
    li t0, 4              # "w"
    sw t0, 4(s1)
    li t0, 5
    sw t0, 8(s1)
    li a0, 0x01
    mv a1, s1
""" + SEQUENCE + """\
    mv s2, a0             # the handle
    sw s2, 0(s1)
    la t0, text
    sw t0, 4(s1)
    li t0, 3
    sw t0, 8(s1)
    li a0, 0x05
    mv a1, s1
""" + SEQUENCE + """\
    mv s3, a0             # bytes not written
    li a0, 0x0c           # SYS_FLEN
    mv a1, s1
""" + SEQUENCE + """\
    mv s4, a0
    j done
    .data
fname: .asciz "f.txt"
text: .ascii "abc"
    .section .text.init
"""


def test_reverse_and_forward_again_replays_the_answers(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """Back to the start and forward through the calls again (gdb's reverse-continue,
    then continue): the guest gets the same answers, and the host's side (the file, the
    handles) is not done twice."""
    from rvirt.debug.machine_target import MachineTarget
    monkeypatch.chdir(tmp_path)
    elf = program("replay", FILE_CALLS)
    b = Board(BoardConfig(bios=str(elf), semihosting=True))
    t = MachineTarget(b)
    t.enable_history()
    done = b.symbols["done"]
    t.add_breakpoint(done)
    assert t.resume(100_000).kind == "breakpoint"  # type: ignore[union-attr]
    first = [b.hart.x[r] for r in (18, 19, 20)]
    assert first == [1, 0, 3]
    t.remove_breakpoint(done)
    assert t.reverse_continue().kind == "history-start"
    assert b.hart.x[18] == 0
    (tmp_path / "f.txt").write_text("changed on the host meanwhile")
    t.add_breakpoint(done)
    assert t.resume(100_000).kind == "breakpoint"  # type: ignore[union-attr]
    assert [b.hart.x[r] for r in (18, 19, 20)] == first
    assert b.semihost is not None and list(b.semihost.files) == [1]
    assert (tmp_path / "f.txt").read_text() == "changed on the host meanwhile"


@pytest.mark.parametrize("reason", [0x20026, 0x20023], ids=["application-exit", "other"])
def test_sys_exit_takes_the_reason_itself_on_rv32(reason: int) -> None:
    """rv32's SYS_EXIT has no parameter block: a1 is the reason; ApplicationExit exits 0,
    anything else 1 (QEMU 7.2 compares the status with its exit code)."""
    elf = assemble(f"""\
    .section .text.init
    .globl _start
    .option norvc
_start:
    li a0, 0x18
    li a1, {reason:#x}
{SEQUENCE}
1:  j 1b
""", f"semihost_exit_{reason:x}")
    args = ["-machine", "virt", "-nographic", "-bios", "none", "-semihosting", "-kernel",
            str(elf)]
    q = subprocess.run([need("qemu-system-riscv32"), *args], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    r = subprocess.run([*RVIRT, *args], cwd=ROOT, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert q.returncode == (0 if reason == 0x20026 else 1)
    assert r.returncode == q.returncode
    assert r.stderr == b""


def test_an_unknown_call_stops_in_one_line() -> None:
    """QEMU 7.2 aborts on an operation it does not know; rvirt says so and exits 1."""
    elf = assemble(f"""\
    .section .text.init
    .globl _start
    .option norvc
_start:
    li a0, 0x99
{SEQUENCE}
1:  j 1b
""", "semihost_unknown")
    r = subprocess.run([*RVIRT, "-machine", "virt", "-nographic", "-bios", "none",
                        "-semihosting", "-kernel", str(elf)], cwd=ROOT, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert r.stderr.decode() == "rvirt: semihosting: unsupported call 0x99: stopping\n"
    assert r.returncode == 1
