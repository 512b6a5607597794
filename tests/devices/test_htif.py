"""HTIF: small assembled guests that talk to the host through `tohost`/`fromhost` as
riscv-tests and Spike's syscall proxy do (pass, fail n, putchar, SYS_write), a guest
whose two halves arrive in either order, and ELFs without the mailboxes, which must run
exactly as before.  Plus the device alone, without a CPU."""

from __future__ import annotations

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.devices.htif import Htif
from rvirt.errors import MachineExit
from tests.tooling import assemble, run_rvirt

BUDGET = 200_000  # instructions; every guest here finishes in a few hundred

MAILBOXES = """
    .data
    .balign 64
    .globl tohost
tohost: .dword 0
    .balign 64
    .globl fromhost
fromhost: .dword 0
"""

# riscv-tests' RVTEST_PASS/FAIL path: the low word, then 0 to the high word, forever.
WRITE_TOHOST = """
    .section .text.init
    .globl _start
_start:
    li gp, {value}
write_tohost:
    la t5, tohost
    sw gp, 0(t5)
    sw zero, 4(t5)
    j write_tohost
""" + MAILBOXES

# device 1, cmd 1 (putchar) for each byte; the low word first in one half of the message
# and the high word first in the other, so a half-written command would show.
PUTCHAR = """
    .section .text.init
    .globl _start
_start:
    la s0, message
    la s1, tohost
    la s2, fromhost
    li s3, 0x01010000          # device 1, cmd 1 in the high word
    li s4, 0                   # which half goes first: alternates per byte
next:
    lbu a0, 0(s0)
    beqz a0, done
    beqz s4, low_first
    sw s3, 4(s1)
    sw a0, 0(s1)
    j written
low_first:
    sw a0, 0(s1)
    sw s3, 4(s1)
written:
    lw t0, 0(s1)               # the host has taken it: tohost reads 0 again
    bnez t0, fail
    lw t0, 0(s2)               # and answered 0x100 | byte in fromhost
    ori t1, a0, 0x100
    bne t0, t1, fail
    sw zero, 0(s2)             # empty fromhost for the next answer
    sw zero, 4(s2)
    xori s4, s4, 1
    addi s0, s0, 1
    j next
done:
    li t0, 1
    sw t0, 0(s1)
    sw zero, 4(s1)
1:  j 1b
fail:
    li t0, (9 << 1) | 1
    sw t0, 0(s1)
    sw zero, 4(s1)
2:  j 2b
    .section .rodata
message: .asciz "Putchar!\\n"
""" + MAILBOXES

# benchmarks/common/syscalls.c printstr: magic_mem = {64, 1, buf, len}, tohost = &magic_mem,
# spin until fromhost != 0, clear it.  Then check the results the host left.
SYS_WRITE = """
    .section .text.init
    .globl _start
_start:
    la s0, magic
    la s1, tohost
    la s2, fromhost
    sw s0, 0(s1)
    sw zero, 4(s1)
wait:
    lw t0, 0(s2)
    beqz t0, wait
    sw zero, 0(s2)
    sw zero, 4(s2)
    li t1, 1                   # the response is 1
    bne t0, t1, fail
    lw t0, 0(s0)               # magic_mem[0] = the syscall's result: the length
    lw t1, 24(s0)
    bne t0, t1, fail
    lw t0, 4(s0)
    bnez t0, fail
    li t0, 1
    sw t0, 0(s1)
    sw zero, 4(s1)
1:  j 1b
fail:
    li t0, (5 << 1) | 1
    sw t0, 0(s1)
    sw zero, 4(s1)
2:  j 2b
    .section .rodata
msg: .ascii "written by the host\\n"
msg_end:
    .data
    .balign 8
magic:
    .dword 64, 1, msg, msg_end - msg, 0, 0, 0, 0
""" + MAILBOXES

# No mailboxes (or only one): words named like them are plain memory, and the guest
# leaves through the SiFive test finisher as any other program.
NO_HTIF = """
    .section .text.init
    .globl _start
_start:
    la t5, {label}
    li t0, 1
    sw t0, 0(t5)
    sw zero, 4(t5)
    lw t1, 0(t5)               # still 1: nobody took it
    li t2, 0x100000
    li t3, (7 << 16) | 0x3333  # finisher FAIL with code 7
    beq t0, t1, 1f
    li t3, (8 << 16) | 0x3333
1:  sw t3, 0(t2)
2:  j 2b
    .data
    .balign 64
    .globl {label}
{label}: .dword 0
"""


# S-mode with Sv32 on writes tohost through a second mapping of RAM (VA 0xc000_0000 ->
# PA 0x8000_0000): the HTIF must see the store at its physical address.
THROUGH_PAGING = """
    .section .text.init
    .globl _start
_start:
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    la t1, root
    li t0, 0x200000cf          # megapage -> 0x8000_0000, V R W X A D
    li t2, 0x200 * 4
    add t2, t1, t2
    sw t0, 0(t2)               # VA 0x8000_0000 (identity: the code keeps running)
    li t2, 0x300 * 4
    add t2, t1, t2
    sw t0, 0(t2)               # VA 0xc000_0000 (the alias)
    srli t1, t1, 12
    li t0, 1 << 31
    or t0, t0, t1
    csrw satp, t0
    sfence.vma
    li t0, 1 << 11             # MPP = S
    csrs mstatus, t0
    la t0, supervisor
    csrw mepc, t0
    mret
supervisor:
    la t5, tohost
    li t6, 0x40000000
    add t5, t5, t6             # tohost's alias at 0xc...
    li gp, (4 << 1) | 1
    sw gp, 0(t5)
    sw zero, 4(t5)
1:  j 1b
    .data
    .balign 4096
root: .fill 1024, 4, 0
""" + MAILBOXES


def boot(source: str, name: str) -> tuple[Board, bytearray]:
    elf = assemble(source, name)
    out = bytearray()
    machine = Board(BoardConfig(ram_size=16 << 20, bios=str(elf)), console=out.extend)
    return machine, out


pytestmark = pytest.mark.tools


def test_tohost_1_is_a_pass() -> None:
    m, out = boot(WRITE_TOHOST.format(value=1), "htif_pass")
    assert m.htif is not None
    assert m.run(BUDGET) == 0
    assert out == b""


@pytest.mark.parametrize("n", [1, 3, 42])
def test_odd_tohost_is_test_n_failing(n: int) -> None:
    m, _ = boot(WRITE_TOHOST.format(value=n << 1 | 1), f"htif_fail_{n}")
    assert m.run(BUDGET) == n


def test_putchar_in_either_word_order() -> None:
    m, out = boot(PUTCHAR, "htif_putchar")
    assert m.run(BUDGET) == 0
    assert out == b"Putchar!\n"


def test_stores_through_sv32_reach_the_mailbox_by_physical_address() -> None:
    m, _ = boot(THROUGH_PAGING, "htif_paging")
    assert m.run(BUDGET) == 4


def test_sys_write_through_magic_mem() -> None:
    m, out = boot(SYS_WRITE, "htif_sys_write")
    assert m.run(BUDGET) == 0
    assert out == b"written by the host\n"


@pytest.mark.parametrize("label", ["mailbox", "tohost"])
def test_without_both_symbols_nothing_changes(label: str) -> None:
    m, out = boot(NO_HTIF.format(label=label), f"htif_none_{label}")
    assert m.htif is None
    assert m.run(BUDGET) == 7  # the store stayed in memory; the finisher ended the run
    assert out == b""


def test_exit_survives_a_system_reset_of_the_guest_state() -> None:
    """After a reset the images are loaded again and the mailboxes work as at power-on."""
    m, _ = boot(WRITE_TOHOST.format(value=3 << 1 | 1), "htif_reset")
    assert m.run(BUDGET) == 3
    m.reset()
    assert m.run(BUDGET) == 3


def test_the_process_exits_with_the_guests_status() -> None:
    """From the command line: the putchar output on stdout, then riscv-tests' "test 3
    failed" as exit status 3, as Spike reports it."""
    putchar = assemble(PUTCHAR, "htif_putchar_cli")
    r = run_rvirt("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic",
                  "-bios", str(putchar))
    assert (r.returncode, r.stdout) == (0, b"Putchar!\n"), r.stderr
    fail = assemble(WRITE_TOHOST.format(value=3 << 1 | 1), "htif_fail_cli")
    r = run_rvirt("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic",
                  "-bios", str(fail))
    assert (r.returncode, r.stdout) == (3, b""), r.stderr


# --- the device alone -----------------------------------------------------------------
class Memory:
    def __init__(self) -> None:
        self.data = bytearray(0x1000)
        self.printed = bytearray()

    def peek(self, addr: int, n: int) -> bytes | None:
        return bytes(self.data[addr:addr + n]) if addr + n <= len(self.data) else None

    def poke(self, addr: int, data: bytes) -> bool:
        self.data[addr:addr + len(data)] = data
        return True

    def store(self, htif: Htif, addr: int, value: int, size: int) -> None:
        self.data[addr:addr + size] = value.to_bytes(size, "little")
        htif.stored(addr, size)


def device() -> tuple[Htif, Memory]:
    mem = Memory()
    return Htif(0x100, 0x140, mem.peek, mem.poke, mem.printed.extend), mem


def test_a_half_written_command_is_not_taken() -> None:
    htif, mem = device()
    mem.store(htif, 0x100, ord("A"), 4)  # odd: as a whole value it would mean "exit 32"
    assert mem.peek(0x100, 8) == ord("A").to_bytes(8, "little")
    mem.store(htif, 0x104, 0x01010000, 4)
    assert mem.printed == b"A"
    assert mem.peek(0x100, 8) == bytes(8)
    assert int.from_bytes(mem.peek(0x140, 8) or b"", "little") == 0x0101_0000_0000_0141


def test_responses_wait_for_an_empty_fromhost() -> None:
    htif, mem = device()
    for ch in b"ab":
        mem.store(htif, 0x100, ch, 4)
        mem.store(htif, 0x104, 0x01010000, 4)
    assert int.from_bytes(mem.peek(0x140, 8) or b"", "little") & 0xFFFF == 0x161
    mem.store(htif, 0x140, 0, 8)  # the guest empties it: the next answer arrives
    assert int.from_bytes(mem.peek(0x140, 8) or b"", "little") & 0xFFFF == 0x162


def test_a_64_bit_exit_store_and_an_unknown_syscall() -> None:
    htif, mem = device()
    mem.poke(0x200, (93).to_bytes(8, "little"))  # SYS_exit is not proxied: -ENOSYS
    mem.store(htif, 0x100, 0x200, 8)
    assert int.from_bytes(mem.peek(0x200, 8) or b"", "little") == (1 << 64) - 38
    assert int.from_bytes(mem.peek(0x140, 8) or b"", "little") == 1
    with pytest.raises(MachineExit) as e:
        mem.store(htif, 0x100, 5 << 1 | 1, 8)
    assert e.value.status == 5
