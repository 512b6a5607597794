"""Boot the p0 kernel paused, drive gdb-multiarch through the tutorial's session, and print
the transcript: the boot ROM at 0x1000, `jr t0` to 0x8000_0000, `_start`, then `entry`.

    python scripts/demo.py                      # on rvirt (what `make demo` runs)
    python scripts/demo.py --emulator qemu      # the same session on qemu-system-riscv32
    python scripts/demo.py --session linker-mistake --elf <p0 built without the script>

The emulator is started with `-S -gdb tcp::PORT` on a free port and is always stopped
again, by its pid, when the session ends.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
P0_ELF = ROOT / "examples/p0/target/riscv32imac-unknown-none-elf/debug/p0"
MACHINE = ["-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic"]

# The tutorial's gdb session, one command per entry. Errors (e.g. "Cannot access memory")
# are part of the lesson: with -batch and -ex, gdb reports them and goes on.
TUTORIAL = [
    "target remote localhost:{port}",
    "x/6i $pc",          # the boot ROM
    "si", "si", "si", "si", "si",  # up to `jr t0`
    "p/x $t0",           # where the ROM jumps: 0x80000000
    "break _start",
    "continue",
    "info registers pc sp",
    "p $sp",
    "x 0x90000000",      # past the end of RAM
    "x 0x0",             # nothing is mapped at 0
    "step",              # out of the naked _start, into entry's first source line
    "info registers pc sp",
    "next", "next", "next", "next",
    "p ticks",
    "next", "next",
    "p TICKS",
    "kill",
]

# p0 linked without its linker script: nothing is loaded at 0x80000000. Hardware stepping
# (osabi none), because gdb's software single-step would wait forever at 0x80000002.
LINKER_MISTAKE = [
    "set osabi none",
    "target remote localhost:{port}",
    "si", "si", "si", "si", "si",
    "info registers pc t0",
    "x/2xh 0x80000000",
    "si",
    "info registers pc mcause mtval mepc mstatus",
    "si",
    "info registers pc mcause mtval mepc mstatus",
    "si",
    "info registers pc mcause mtval mepc mstatus",
    "si",
    "info registers pc mcause mtval mepc mstatus",
    "x/2i _start",
    "kill",
]

# The tutorial's own lesson with that kernel (`cargo run -- -S`, then gdb): walk the ROM,
# see where `jr t0` goes, and find `unimp` there.
NO_LINKER_SCRIPT = [
    "target remote localhost:{port}",
    "x/6i $pc",
    "si", "si", "si", "si", "si",
    "p/x $t0",
    "x/10i $t0",
    "si",
    "x/4xw $pc",
    "p/x $sp",
    "kill",
]

SESSIONS = {"tutorial": TUTORIAL, "linker-mistake": LINKER_MISTAKE,
            "no-linker-script": NO_LINKER_SCRIPT}


def fail(message: str) -> int:
    print(f"demo: {message}", file=sys.stderr)
    return 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """True when something listens on TCP `port`, looked up without connecting: a gdb
    stub serves one connection, and a probe could use it up."""
    want = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[1].endswith(want) and fields[3] == "0A":
                return True
    return False


# How each emulator is started, and how it is shown to the reader.
PROGRAMS = {"rvirt": [sys.executable, "-m", "rvirt"], "qemu": ["qemu-system-riscv32"]}
SHOWN = {"rvirt": "rvirt", "qemu": "qemu-system-riscv32"}


def emulator_args(elf: Path, port: int) -> list[str]:
    return [*MACHINE, "-bios", str(elf), "-S", "-gdb", f"tcp::{port}"]


def gdb_command(elf: Path, commands: list[str]) -> list[str]:
    """gdb-multiarch in batch mode; each command is echoed first, so the output reads like
    an interactive session."""
    argv = ["gdb-multiarch", "-nx", "-batch", "-ex", "set pagination off",
            "-ex", "set confirm off", "-ex", "set remotetimeout 10", "-ex", f"file {elf}"]
    for command in commands:
        argv += ["-ex", f"echo (gdb) {command}\\n", "-ex", command]
    return argv


def run(emulator: str, elf: Path, session: list[str], port: int, timeout: float) -> tuple[int, str]:
    """Run one session; return gdb's exit status and the transcript."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([*PROGRAMS[emulator], *emulator_args(elf, port)], cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not listening(port):
                if proc.poll() is not None:
                    log.seek(0)
                    output = log.read().decode(errors="replace").strip()
                    return 1, f"{emulator} exited with status {proc.returncode}: {output}"
                if time.monotonic() > deadline:
                    return 1, f"{emulator} is not listening on port {port} after 30 s"
                time.sleep(0.05)
            commands = [c.format(port=port) for c in session]
            try:
                gdb = subprocess.run(gdb_command(elf, commands), cwd=ROOT, text=True,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired as timed_out:
                out = timed_out.stdout or ""
                if isinstance(out, bytes):
                    out = out.decode(errors="replace")
                return 1, out + f"\ndemo: gdb did not finish within {timeout:.0f} s"
            transcript = gdb.stdout
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        log.seek(0)
        output = log.read().decode(errors="replace").strip()
        if output:
            transcript += f"--- {emulator} printed:\n{output}\n"
        return gdb.returncode, transcript


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulator", choices=("rvirt", "qemu"), default="rvirt")
    parser.add_argument("--session", choices=sorted(SESSIONS), default="tutorial")
    parser.add_argument("--elf", type=Path, default=P0_ELF)
    parser.add_argument("--port", type=int, default=0, help="gdb port (default: a free one)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for gdb")
    parser.add_argument("--transcript", type=Path, help="also write the transcript here")
    args = parser.parse_args(argv)

    for tool in ("gdb-multiarch", *(["qemu-system-riscv32"] if args.emulator == "qemu" else [])):
        if shutil.which(tool) is None:
            return fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")
    if not args.elf.is_file():
        return fail(f"{args.elf} does not exist: build it first with `make p0`")
    # Relative to the repository, so transcripts do not depend on where it is checked out.
    elf = Path(os.path.relpath(args.elf.resolve(), ROOT))
    port = args.port or free_port()
    print(f"$ {' '.join([SHOWN[args.emulator], *emulator_args(elf, port)])} &", flush=True)
    print(f"$ gdb-multiarch {elf}", flush=True)
    status, transcript = run(args.emulator, elf, SESSIONS[args.session], port, args.timeout)
    print(transcript, end="" if transcript.endswith("\n") else "\n", flush=True)
    if args.transcript:
        args.transcript.write_text(transcript)
    return status


if __name__ == "__main__":
    sys.exit(main())
