"""gdb sees -smp 2's harts as threads, as QEMU 7.2's stub shows its CPUs: `info threads`
(ids hart + 1, "CPU#n [running]"), `thread 2`, `info registers pc` and `stepi` on thread
2, `thread apply all bt`, and a breakpoint only hart 1 reaches ("Thread 2 hit
Breakpoint 1").  QEMU runs its harts in parallel, so where hart 0 is after a step of hart
1 differs from run to run there: the session looks at thread 2 then.  Packet by packet:
Hg, g, qfThreadInfo/qsThreadInfo, qThreadExtraInfo, T, vCont;s:N stepping hart N alone."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.debug.gdbstub import GdbSession
from rvirt.debug.machine_target import MachineTarget
from rvirt.debug.rsp import hex_encode
from tests.tooling import PORT_TAKEN, ROOT, RVIRT, PortTaken, assemble, need, on_a_free_port

pytestmark = pytest.mark.tools

# Hart 0 spins in spin0; only hart 1 reaches hart1_here.
PROBE = """\
    .section .text.init
    .globl _start, spin0, hart1_here
_start:
    csrr a0, mhartid
    bnez a0, other
    li t0, 0
spin0:
    addi t0, t0, 1
    j spin0
other:
    li t1, 0x55
hart1_here:
    addi t1, t1, 1
    j hart1_here
"""
MACHINE = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-smp", "2")
SESSION = ["info threads", "thread apply all bt", "thread 2", "info registers pc", "stepi",
           "info registers pc", "thread apply 2 bt", "break hart1_here", "continue",
           "thread", "info registers pc", "thread 1"]


@pytest.fixture(scope="module")
def elf() -> Path:
    return assemble(PROBE, "smp-threads")


def gdb_transcript(emulator: list[str], elf: Path) -> str:
    gdb = need("gdb-multiarch")

    def attempt(port: int) -> str:
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([*emulator, *MACHINE, "-bios", str(elf), "-S", "-gdb",
                                     f"tcp::{port}"], cwd=ROOT, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)
            try:
                args = [gdb, "-nx", "-batch", "-ex", "set confirm off", "-ex",
                        "set pagination off", "-ex", f"file {elf}", "-ex",
                        f"target remote 127.0.0.1:{port}"]
                for command in SESSION:
                    args += ["-ex", f"echo (gdb) {command}\\n", "-ex", command]
                for _ in range(600):  # until the stub listens (or the emulator ended)
                    if proc.poll() is not None:
                        break
                    probe = subprocess.run(["ss", "-ltn", f"sport = :{port}"],
                                           capture_output=True, text=True)
                    if f":{port}" in probe.stdout:
                        break
                    time.sleep(0.1)
                done = subprocess.run(args, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, timeout=120)
            finally:
                proc.kill()
                proc.wait()
            err.seek(0)
            if PORT_TAKEN in err.read().decode(errors="replace"):
                raise PortTaken(str(port))
        # where hart 0 is when hart 1 stops, as `thread 1` shows it: QEMU's harts run in
        # parallel, so on a busy host its hart 0 may still be in the boot ROM or _start
        return re.sub(r"(?<=\[Switching to thread 1 \(Thread 1\.1\)\]\n#0  )\S+ in \S+ \(\)",
                      "(pc) in spin0 ()", done.stdout)
    return on_a_free_port(attempt)


def test_gdb_sees_the_harts_as_qemus_threads(elf: Path) -> None:
    qemu = gdb_transcript([need("qemu-system-riscv32")], elf)
    ours = gdb_transcript(RVIRT, elf)
    assert "Thread 1.2 (CPU#1 [running]) 0x00001000 in ?? ()" in qemu
    assert "Thread 2 hit Breakpoint 1, 0x80000012 in hart1_here ()" in qemu
    assert "pc             0x1004\t0x1004" in qemu
    assert ours == qemu


def machine_target(elf: Path) -> MachineTarget:
    cfg = BoardConfig(ram_size=150 << 20, bios=str(elf), rng_seed=bytes(32),
                      rtc_epoch_ns=0, harts=2)
    return MachineTarget(Board(cfg, console=lambda data: None))


def reply(s: GdbSession, packet: str) -> bytes:
    out = s.handle(packet.encode())
    return out.replies[0] if out.replies else b""


def test_thread_packets_name_harts(elf: Path) -> None:
    t = machine_target(elf)
    s = GdbSession(t)
    reply(s, "qSupported:multiprocess+")
    assert [reply(s, p) for p in ("qfThreadInfo", "qsThreadInfo", "qsThreadInfo")] == [
        b"mp01.01", b"mp01.02", b"l"]
    assert reply(s, "qThreadExtraInfo,p1.2") == hex_encode(b"CPU#1 [running]")
    assert reply(s, "qThreadExtraInfo,p1.3") == b"E22"
    assert reply(s, "Tp1.2") == b"OK" and reply(s, "Tp1.3") == b"E22"
    t.machine.harts[1].x[5] = 0x1234
    assert reply(s, "Hgp1.2") == b"OK"
    assert reply(s, "p5") == b"34120000"
    assert reply(s, "Hgp1.0") == b"OK" and t.hart == 1  # "any" changes nothing
    assert reply(s, "Hgp1.1") == b"OK"
    assert reply(s, "p5") == b"00000000"
    # vCont;s:2 steps hart 1 alone, and the stop names it
    out = s.handle(b"vCont;s:p1.2;c:p1.-1")
    assert out.action == "step"
    stop = t.step()
    assert (t.machine.harts[0].pc, t.machine.harts[1].pc) == (0x1000, 0x1004)
    assert s.stop_reply(stop) == b"T05thread:p01.02;"
    assert reply(s, "qC") == b"QCp01.02"


def test_a_breakpoint_stop_names_the_hart_that_met_it(elf: Path) -> None:
    t = machine_target(elf)
    s = GdbSession(t)
    here = t.machine.symbols["hart1_here"]
    t.add_breakpoint(here)
    stop = t.resume(1 << 20)
    assert stop is not None and stop.kind == "breakpoint"
    assert t.hart == 1 and t.read_register(32) == here
    assert s.stop_reply(stop) == b"T05thread:02;"


def test_builtin_debugger_on_smp_reads_as_gdb_on_qemu(elf: Path) -> None:
    """`rvirt -smp 2 -debugger` runs gdb's whole session (threads, stepping hart 2, a
    breakpoint only hart 1 reaches: "Thread 2 hit Breakpoint 1") and prints what gdb
    printed on QEMU, but for what gdb leaves out in batch mode ("Continuing.", which it
    prints at a terminal) and its closing "detached"."""
    qemu = gdb_transcript([need("qemu-system-riscv32")], elf)
    done = subprocess.run([*RVIRT, *MACHINE, "-bios", str(elf), "-debugger"], cwd=ROOT,
                          input="\n".join(SESSION) + "\n", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    ours = done.stdout.replace("(rvirt) ", "(gdb) ").replace("Continuing.\n", "")
    ours = re.sub(r"(?<=\[Switching to thread 1 \(Thread 1\.1\)\]\n#0  )\S+ in \S+ \(\)",
                  "(pc) in spin0 ()", ours)
    expected = qemu.removesuffix("[Inferior 1 (process 1) detached]\n")
    assert "Thread 2 hit Breakpoint 1, 0x80000012 in hart1_here ()" in expected
    assert ours.startswith(expected), (ours, expected)
    assert "Backtrace stopped" not in ours  # gdb says nothing at the ROM's frames


def test_a_stop_in_another_thread_switches_to_it(elf: Path) -> None:
    """gdb's normal_stop: thread 1 selected, the breakpoint hit by hart 1 (thread 2)."""
    session = ["break hart1_here", "continue", "thread", "thread 1", "continue", "thread"]
    done = subprocess.run([*RVIRT, *MACHINE, "-bios", str(elf), "-debugger"], cwd=ROOT,
                          input="\n".join(session) + "\n", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first = out.index("(rvirt) continue\n")
    second = out.index("(rvirt) continue\n", first + 1)
    assert "[Switching to Thread 1.2]\n\nThread 2 hit Breakpoint 1, " in out[first:second]
    assert out[second:].count("[Switching to Thread 1.2]") == 1
    assert out.rstrip().endswith("[Current thread is 2 (Thread 1.2)]")
