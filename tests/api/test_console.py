"""The console: what the guest printed, and bytes typed to it, which reach the guest's
UART as keys do on the command line (polled, and by the receive interrupt)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import rvirt

pytestmark = pytest.mark.tools


def test_hello_prints_and_exits(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("hello")) as m:
        assert m.console.output == b""
        r = m.run(timeout=120)
        assert (r.reason, r.exit_code) == ("exit", 0)
        lines = m.console.text.splitlines()
        assert lines[0] == "Hello from Rust on the RISC-V virt machine!"
        assert lines[1] == "running on hart 0 in machine mode"
        assert lines[2].endswith("on purpose, the answer is 42")


def test_polled_echo(echo_elf: Path) -> None:
    with rvirt.Machine(bios=echo_elf) as m:
        assert m.run(max_instructions=10_000).reason == "limit"
        assert m.console.output == b""  # nothing typed, nothing echoed
        m.console.send("héllo\n")
        r = m.run(until=lambda mm: mm.console.output.endswith(b"\n"), max_instructions=100_000)
        assert r.reason == "until"
        assert m.console.text == "héllo\n"


def test_receive_interrupt_wakes_the_hart(shell_elf: Path) -> None:
    """The shell waits in wfi: with nothing typed nothing can wake it (reason "idle");
    typed bytes raise the UART's receive interrupt through the PLIC, and the handler
    echoes them."""
    with rvirt.Machine(bios=shell_elf) as m:
        r = m.run(timeout=60)
        assert r.reason == "idle" and m.console.output == b"shell ready\r\n"
        m.console.send(b"hello, world")
        r = m.run(timeout=60)
        assert r.reason == "idle" and r.instructions > 0
        assert m.console.output == b"shell ready\r\nHELLO, WORLD"
        assert m.csr("mcause") == 0x8000_000B  # the last trap: machine external interrupt
        m.console.send(b"q")
        r = m.run(timeout=60)
        assert (r.reason, r.exit_code) == ("exit", 0)
        assert m.console.output.endswith(b"\r\nbye\r\n")


def test_more_than_the_fifo_holds(shell_elf: Path) -> None:
    """Input beyond the 16-byte receive FIFO waits outside the UART, as on the command
    line, and reaches the guest as it makes room."""
    text = b"abcdefghijklmnoprstuvwxyz" * 4  # no q: q quits
    with rvirt.Machine(bios=shell_elf) as m:
        m.run(timeout=60)
        m.console.send(text)
        m.run(timeout=60)
        assert m.console.output == b"shell ready\r\n" + text.upper()
