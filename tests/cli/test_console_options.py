"""QEMU 7.2's console, monitor, network and semihosting options on rvirt's command line:
-chardev stdio,id=ID[,mux=on][,signal=on|off], -serial chardev:ID, -mon chardev=ID,
-monitor none|stdio, -net none, -nic none, -semihosting, -semihosting-config.  An
accepted line runs its kernel to the end; a refused one is one line and status 1.  On a
terminal: C-a c reaches the monitor's `(qemu) ` prompt, no mux means no C-a keys, and
signal=on makes Ctrl-C stop the emulator (chardev/char-stdio.c, char-mux.c).
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import termios
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.guest import (
    ECHO,
    FINISHER_PASS,
    GREETING,
    SPIN,
    hello,
    one_error_line,
    print_then_finish,
    program,
)
from tests.cli.pty_terminal import Terminal
from tests.tooling import ROOT, RVIRT, run_rvirt

pytestmark = pytest.mark.tools

CTRL_A = b"\x01"
# FreeRTOS's documented line for its RISC-V QEMU demo (-smp 4 aside: rvirt has one hart)
FREERTOS = ("-machine", "virt", "-net", "none", "-chardev", "stdio,id=con,mux=on",
            "-serial", "chardev:con", "-mon", "chardev=con,mode=readline", "-bios", "none",
            "-smp", "1", "--kernel")
MUXED = ("-chardev", "stdio,id=c,mux=on", "-serial", "chardev:c")

ACCEPTED: dict[str, tuple[str, ...]] = {
    "net-none": ("-net", "none"),
    "nic-none": ("-nic", "none"),
    "monitor-none": ("-monitor", "none"),
    "monitor-stdio": ("-monitor", "stdio"),
    "serial-stdio": ("-serial", "stdio"),
    "serial-mon-stdio": ("-serial", "mon:stdio"),
    "serial-chardev": ("-chardev", "stdio,id=c", "-serial", "chardev:c"),
    "chardev-signal-off": ("-chardev", "stdio,id=c,signal=off", "-serial", "chardev:c"),
    "mon-on-mux": (*MUXED, "-mon", "chardev=c,mode=readline"),
    "mon-bare-id": (*MUXED, "-mon", "c"),
    "semihosting": ("-semihosting",),
    "semihosting-config": ("-semihosting-config", "enable=on,target=auto,userspace=on"),
    "semihosting-chardev": (*MUXED, "-semihosting-config", "on,target=native,chardev=c"),
    "semihosting-off": ("-semihosting-config", "enable=off"),
}


@pytest.fixture(scope="module")
def hello_elf() -> Path:
    return hello()


def test_freertos_line_runs(hello_elf: Path) -> None:
    r = run_rvirt(*FREERTOS, str(hello_elf), input=b"")
    assert r.stderr == b""
    assert r.stdout.decode() == GREETING
    assert r.returncode == 0


@pytest.mark.parametrize("case", ACCEPTED, ids=list(ACCEPTED))
def test_accepted_options_run_to_the_end(case: str, hello_elf: Path) -> None:
    r = run_rvirt("-machine", "virt", "-nographic", *ACCEPTED[case], "-bios", str(hello_elf),
                  input=b"")
    assert r.stderr == b""
    assert r.stdout.decode() == GREETING
    assert r.returncode == 0


# (options, what the one line must say)
REFUSED: dict[str, tuple[tuple[str, ...], str]] = {
    "chardev-socket": (("-chardev", "socket,id=c"), "'socket'"),
    "chardev-no-id": (("-chardev", "stdio"), "no id specified"),
    "chardev-bad-key": (("-chardev", "stdio,id=c,bogus=1"), "Invalid parameter 'bogus'"),
    "chardev-bad-mux": (("-chardev", "stdio,id=c,mux=maybe"), "'mux' expects 'on' or 'off'"),
    "chardev-logfile": (("-chardev", "stdio,id=c,logfile=x"), "log"),
    "two-stdio-chardevs": (("-chardev", "stdio,id=c", "-chardev", "stdio,id=d"),
                           "cannot use stdio by multiple character devices"),
    "serial-unknown-chardev": (("-serial", "chardev:foo"),
                               "could not connect serial device to character backend"),
    "serial-pty": (("-serial", "pty"), "-serial pty"),
    "mon-unknown-chardev": (("-mon", "chardev=zz"), 'chardev "zz" not found'),
    "mon-control": ((*MUXED, "-mon", "chardev=c,mode=control"), "mode=control"),
    "mon-bad-mode": ((*MUXED, "-mon", "chardev=c,mode=foo"),
                     "Parameter 'mode' does not accept value 'foo'"),
    "mon-without-mux": (("-chardev", "stdio,id=c", "-serial", "chardev:c", "-mon",
                         "chardev=c"), "Device 'c' is in use"),
    "mon-beside-serial": (("-chardev", "stdio,id=c", "-mon", "chardev=c"),
                          "cannot use stdio by multiple character devices"),
    "monitor-vc": (("-monitor", "vc"), "-monitor vc"),
    "monitor-and-serial-stdio": (("-serial", "stdio", "-monitor", "stdio"),
                                 "cannot use stdio by multiple character devices"),
    "net-user": (("-net", "user"), "-net user"),
    "nic-user": (("-nic", "user"), "-nic user"),
    "semihosting-bad-enable": (("-semihosting-config", "enable=maybe"),
                               "'enable' expects 'on' or 'off'"),
    "semihosting-bad-key": (("-semihosting-config", "foo=1"), "Invalid parameter 'foo'"),
    "semihosting-gdb": (("-semihosting-config", "enable=on,target=gdb"), "target=gdb"),
    "semihosting-bad-target": (("-semihosting-config", "target=nowhere"), "target=nowhere"),
    "semihosting-unknown-chardev": (("-semihosting-config", "enable=on,chardev=zz"),
                                    "semihosting chardev 'zz' not found"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_refused_options_are_one_line(case: str, hello_elf: Path) -> None:
    options, says = REFUSED[case]
    r = run_rvirt("-machine", "virt", *options, "-bios", str(hello_elf), input=b"")
    assert says in one_error_line(r)
    assert r.returncode == 1


# --- semihosting's console -----------------------------------------------------------

def semihosting_hello() -> Path:
    """SYS_WRITE0 "hi", then SYS_EXIT_EXTENDED with code 3."""
    return program("semihosting_hello", """\
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
semi:
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
    ret
    .data
msg: .asciz "hi\\n"
    .balign 4
blk: .word 0x20026, 3
""")


def test_semihosting_console_is_stderr_without_a_chardev() -> None:
    """QEMU 7.2 prints SYS_WRITE0 on its stderr when no chardev= is named."""
    r = run_rvirt("-machine", "virt", "-nographic", "-semihosting", "-bios",
                  str(semihosting_hello()), input=b"")
    assert (r.stdout, r.stderr, r.returncode) == (b"", b"hi\n", 3)


def test_semihosting_console_on_the_chardev() -> None:
    r = run_rvirt(*FREERTOS[:-1], "-semihosting-config", "enable=on,chardev=con",
                  "--kernel", str(semihosting_hello()), input=b"")
    assert (r.stdout, r.stderr, r.returncode) == (b"hi\n", b"", 3)


# --- on a terminal -------------------------------------------------------------------

def on_terminal(*options: str, elf: Path | None = None) -> Terminal:
    kernel = elf or program("spin", SPIN)
    term = Terminal([*RVIRT, "-machine", "virt", *options, "-bios", str(kernel)])
    term.wait_for_raw_mode()
    return term


@pytest.mark.parametrize("options", [("-nographic",), FREERTOS[:-3]],
                         ids=["nographic", "freertos"])
def test_ctrl_a_c_reaches_the_monitor(options: tuple[str, ...]) -> None:
    term = on_terminal(*options)
    try:
        term.type(CTRL_A + b"c")
        term.expect(b"monitor - type 'help' for more information\r\r\n(qemu) ")  # as QEMU
        term.type(b"info registers\r")
        term.expect(b" pc       ")
        term.type(b"help\r")
        term.expect(b"quit")
        term.type(b"quit\r")
        assert term.wait_exit() == 0
        assert b"Traceback" not in term.output
    finally:
        term.close()


def test_ctrl_a_c_twice_is_back_at_the_guest() -> None:
    term = on_terminal("-nographic", elf=program("echo", ECHO))
    try:
        term.type(CTRL_A + b"c")
        term.expect(b"(qemu) ")
        term.type(CTRL_A + b"c")
        term.type(b"abc")
        term.expect(b"abc")  # the guest's echo
        term.type(CTRL_A + b"x")
        assert term.wait_exit() == 0
    finally:
        term.close()


def test_without_mux_ctrl_a_belongs_to_the_guest() -> None:
    """-serial stdio has no mux: C-a x is two keys for the guest (it echoes them)."""
    term = on_terminal("-serial", "stdio", elf=program("echo", ECHO))
    try:
        term.type(CTRL_A + b"x")
        term.expect(b"\x01x")
        assert term.proc.poll() is None
    finally:
        term.close()


def _controlling_terminal() -> None:
    """In the child, after setsid: its pty (stdin) becomes its controlling terminal, so
    the terminal's Ctrl-C sends it SIGINT, as a shell's terminal would."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _controlling_terminal_sigint_ignored() -> None:
    """As a shell's background job starts: SIGINT ignored, inherited across exec."""
    _controlling_terminal()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("child_setup", [_controlling_terminal,
                                         _controlling_terminal_sigint_ignored])
def test_signal_on_ctrl_c_stops_the_emulator(child_setup: Callable[[], None]) -> None:
    """A stdio chardev's default signal=on: Ctrl-C is the terminal's SIGINT, and stops
    the emulator even when it inherited SIGINT ignored (QEMU installs its own handler)."""
    term = Terminal.__new__(Terminal)
    master, slave = os.openpty()
    term.master, term.output = master, b""
    try:
        term.proc = subprocess.Popen(
            [*RVIRT, "-machine", "virt", *MUXED, "-bios", str(program("spin", SPIN))],
            cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=child_setup)
    finally:
        os.close(slave)
    try:
        term.wait_for_raw_mode()
        assert term.lflag() & termios.ISIG
        term.type(b"\x03")
        term.expect(b"terminating on signal 2")
        assert term.wait_exit() == 0
    finally:
        term.close()


def test_signal_off_ctrl_c_reaches_the_guest() -> None:
    term = on_terminal("-chardev", "stdio,id=c,mux=on,signal=off", "-serial", "chardev:c",
                       elf=program("echo", ECHO))
    try:
        term.type(b"\x03")
        term.expect(b"\x03")
        assert term.proc.poll() is None
    finally:
        term.close()


def test_monitor_cont_starts_a_cpu_held_by_dash_s() -> None:
    """QEMU's -S without gdb: the CPU waits for the monitor's `cont`."""
    term = on_terminal("-nographic", "-S", elf=program("hello_s", print_then_finish(
        FINISHER_PASS)))
    try:
        term.type(CTRL_A + b"c")
        term.expect(b"(qemu) ")
        assert GREETING.encode() not in term.output
        term.type(b"cont\r")
        term.expect(GREETING.encode().replace(b"\n", b"\r\n"))
        assert term.wait_exit() == 0
    finally:
        term.close()
