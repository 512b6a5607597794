"""rvirt's built-in debugger (`-debugger`): gdb's commands and answers at an `(rvirt) `
prompt, on the machine's DebugTarget facade and the ELFs' DebugInfo.  No gdb is involved.

On a terminal the prompt has line editing, history and completion (prompt_toolkit), the
guest's UART shares the terminal, Ctrl-C stops the guest and C-a c toggles between the
console and the prompt.  Otherwise commands are read line by line, each echoed after the
prompt, and rvirt exits at the end of its input.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rvirt.debug.frontend.commands import Quit, execute, names
from rvirt.debug.frontend.session import Debugger, Event

if TYPE_CHECKING:
    from rvirt.debug.machine_target import MachineTarget

PROMPT = "(rvirt) "
CTRL_A, CTRL_C = 0x01, 0x03

__all__ = ["Debugger", "PROMPT", "run_debugger"]


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def make_debugger(target: MachineTarget, out: Callable[[str], None] = _write,
                  hints: Any = None) -> Debugger:
    d = Debugger(target, target.debug_infos, out)
    d.hints = hints  # type: ignore[attr-defined]
    _share_terminal(target, d)
    target.enable_history()  # reverse execution needs the history from the start
    return d


def run_debugger(target: MachineTarget, hints: Any = None) -> int:
    """Run the debugger until `quit` or the end of input; rvirt's exit status."""
    d = make_debugger(target, hints=hints)
    d.out(d.describe(d.frame()) + "\n")  # as gdb does on attaching: 0x00001000 in ?? ()
    tty = sys.stdin is not None and not sys.stdin.closed and os.isatty(sys.stdin.fileno())
    if tty:
        return _interactive(d, target)
    return _scripted(d)


def _share_terminal(target: MachineTarget, d: Debugger) -> None:
    """When the guest's output goes to this terminal too, the debugger's answers start
    on a line of their own: after `Hello` without a newline, a stop report would else
    continue the guest's line."""
    from rvirt.board import virt
    machine = target.machine
    if machine.print_out is not virt.stdout_write:
        return  # -serial file: the guest has its own place
    mid_line = [False]
    guest = machine.print_out

    def guest_out(data: bytes) -> None:
        guest(data)
        if data:
            mid_line[0] = not data.endswith(b"\n")

    write = d.out

    def out(text: str) -> None:
        if mid_line[0] and text:
            write("\n")
            mid_line[0] = False
        write(text)

    machine.print_out = guest_out
    d.out = out


def _scripted(d: Debugger) -> int:
    """Commands from a pipe or file: each echoed after the prompt, as a transcript."""
    def on_sigint(signum: int, frame: object) -> None:
        d.interrupted = True

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        for line in _lines(sys.stdin):
            d.out(f"{PROMPT}{line}\n")
            try:
                execute(d, line)
            except Quit:
                return 0
    finally:
        signal.signal(signal.SIGINT, old)
    return 0


def _lines(stream: Any) -> Iterator[str]:
    while True:
        line = stream.readline()
        if not line:
            return
        yield line.rstrip("\r\n")


def _interactive(d: Debugger, target: MachineTarget) -> int:
    """The prompt on a terminal.  While the guest runs, the terminal is the guest's
    console (raw keys to the UART, with QEMU's C-a escapes); Ctrl-C or C-a c stops it."""
    from rvirt.console import Console, ConsoleQuit
    from rvirt.debug.frontend.terminal import Prompt

    prompt = Prompt(d, names())
    state = {"escape": False}
    console = Console(target.console_input)

    def feed(data: bytes) -> None:
        plain = bytearray()
        for b in data:
            if state["escape"]:
                state["escape"] = False
                if b in (ord("c"), ord("C")):
                    d.interrupted = True
                    continue
                plain += bytes([CTRL_A, b])
            elif b == CTRL_A:
                state["escape"] = True
            elif b == CTRL_C:
                d.interrupted = True
            else:
                plain.append(b)
        if plain:
            console.feed(bytes(plain))

    def poll() -> None:
        import select
        try:
            ready, _, _ = select.select([console.fd], [], [], 0)
        except (OSError, ValueError):
            return
        if ready:
            data = os.read(console.fd, 4096)
            if data:
                feed(data)

    d.poll = poll
    last = ""
    try:
        while True:
            line = prompt.read()
            if line is None:  # end of input (C-d)
                d.out("quit\n")
                return 0
            if line == Prompt.CONSOLE:  # C-a c at the prompt: back to the console
                if not d.running:
                    d.out("The program is not being run.\n")
                    continue
                d.interrupted = False
                with console:  # raw first: keys typed after the notice must reach poll()
                    d.out("[the console: keys go to the guest; C-a c returns to the "
                          "prompt]\n")
                    event = d.run()
                d.report(event if event.kind != "interrupt" else Event("step"))
                continue
            if not line.strip():
                line = last  # gdb repeats the last command on an empty line
            last = line
            try:
                with console:
                    execute(d, line)
            except Quit:
                return 0
    except ConsoleQuit:
        return 0
