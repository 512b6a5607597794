"""Interactive UART input on a real terminal (a pty): keys typed on the -nographic
console reach the guest through the UART's receive interrupt, PLIC source 10 and mip.MEIE.

The guest is a tiny "shell": it enables the UART's RX-data interrupt (IER bit 0), gives
PLIC source 10 priority 1, enables it for the M-mode context (threshold 0), sets mie.MEIE
and mstatus.MIE, and waits in wfi.  Its interrupt handler claims the source, echoes every
received byte in upper case, and completes; `q` powers the machine off with status 0.
The same guest runs on rvirt and on QEMU 7.2 the same way.  Every wait is bounded; the
emulator is killed in `finally`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.cli.pty_terminal import Terminal
from tests.tooling import RVIRT, assemble, need

pytestmark = pytest.mark.tools

ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")

SHELL = """
    .equ UART0, 0x10000000
    .equ PLIC_PRIORITY_10, 0x0c000028
    .equ PLIC_ENABLE_M, 0x0c002000
    .equ PLIC_THRESHOLD_M, 0x0c200000
    .equ PLIC_CLAIM_M, 0x0c200004
    .equ FINISHER, 0x100000

    .section .text.init
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    li s0, UART0
    li t0, 1
    sb t0, 1(s0)               # IER: RX data available
    li t1, PLIC_PRIORITY_10
    sw t0, 0(t1)               # source 10 (UART0) priority 1
    li t1, PLIC_ENABLE_M
    li t0, 1 << 10
    sw t0, 0(t1)               # enabled for hart 0's M-mode context
    li t1, PLIC_THRESHOLD_M
    sw zero, 0(t1)             # threshold 0: priority 1 gets through
    la a1, ready
    call puts
    li t0, 1 << 11
    csrs mie, t0               # MEIE
    csrsi mstatus, 8           # MIE
idle:
    wfi
    j idle

# a1 = NUL-terminated string
puts:
    lbu a0, 0(a1)
    beqz a0, 2f
1:  lbu t0, 5(s0)              # LSR.THRE
    andi t0, t0, 0x20
    beqz t0, 1b
    sb a0, 0(s0)
    addi a1, a1, 1
    j puts
2:  ret

    .balign 4
trap:
    li t1, PLIC_CLAIM_M
    lw t2, 0(t1)               # claim: 10
next:
    lbu t0, 5(s0)              # LSR.DR: a byte waits
    andi t0, t0, 1
    beqz t0, done
    lbu a0, 0(s0)              # RBR
    li t3, 'q'
    beq a0, t3, quit
    li t3, 'a'
    blt a0, t3, echo
    li t3, 'z'
    bgt a0, t3, echo
    addi a0, a0, 'A' - 'a'
echo:
    lbu t0, 5(s0)
    andi t0, t0, 0x20
    beqz t0, echo
    sb a0, 0(s0)
    j next
done:
    sw t2, 0(t1)               # complete
    mret
quit:
    la a1, bye
    call puts
    li t0, FINISHER
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

    .section .rodata
ready: .asciz "shell ready\\r\\n"
bye:   .asciz "\\r\\nbye\\r\\n"
"""


TRANSCRIPT = b"shell ready\r\r\nHELLO WORLD, 42!\r\r\nbye\r\r\n"


def shell_session(argv: Sequence[str]) -> bytes:
    """Type `hello`, see `HELLO`; type `q`, see the goodbye and status 0."""
    term = Terminal(argv)
    try:
        term.wait_for_raw_mode()
        term.expect(b"shell ready")
        os.write(term.master, b"hello")
        term.expect(b"HELLO")
        os.write(term.master, b" world, 42!")
        term.expect(b" WORLD, 42!")
        assert term.proc.poll() is None  # still running: only `q` ends it
        os.write(term.master, b"q")
        term.expect(b"bye")
        assert term.wait_exit() == 0
        return term.output
    finally:
        term.close()


def shell_elf() -> Path:
    return assemble(SHELL, "cli_uart_shell")


def test_typed_keys_interrupt_the_guest_on_rvirt() -> None:
    out = shell_session([*RVIRT, *ARGS, "-bios", str(shell_elf())])
    # The terminal does not echo the keys; output processing stays on as on QEMU, so the
    # guest's "\r\n" arrives as "\r\r\n".
    assert out == TRANSCRIPT


def test_typed_keys_interrupt_the_guest_on_qemu_alike() -> None:
    qemu = need("qemu-system-riscv32")
    elf = shell_elf()
    on_qemu = shell_session([qemu, *ARGS, "-bios", str(elf)])
    on_rvirt = shell_session([*RVIRT, *ARGS, "-bios", str(elf)])
    assert on_qemu == TRANSCRIPT
    assert on_rvirt == on_qemu
