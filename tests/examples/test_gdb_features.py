"""gdb-multiarch features beyond the tutorial's session, on rvirt and on QEMU with the same
script: a write watchpoint stops before the store (gdb shows old and new values), a
hardware breakpoint, hardware stepping (`set osabi none`), `monitor info registers`, and
Ctrl-C (the 0x03 byte) interrupting a running guest."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.tooling import RVIRT, first_port_taken, gdb_stub, need, run_demo

WATCH_SESSION = [
    "target remote localhost:{port}",
    "set language c",
    "watch *(int *)&'p0::TICKS'",
    "continue",
    "delete",
    "hbreak p0::entry",
    "monitor system_reset",
    "continue",
    "set osabi none",
    "stepi",
    "stepi",
    "p $pc",
    "kill",
]


def _run(demo: ModuleType, emulator: str, elf: Path, session: list[str]) -> str:
    need("gdb-multiarch")
    if emulator == "qemu":
        need("qemu-system-riscv32")
    status, transcript = run_demo(demo, emulator, elf, session)
    assert status == 0, transcript
    return transcript


@pytest.mark.parametrize("emulator", ["rvirt", "qemu"])
def test_watchpoint_and_hbreak(demo: ModuleType, p0_elf: Path, emulator: str) -> None:
    t = _run(demo, emulator, p0_elf, WATCH_SESSION)
    assert "Hardware watchpoint 1: *(int *)&'p0::TICKS'" in t
    assert re.search(r"Old value = 0\nNew value = 1\n", t), t
    assert "Hardware assisted breakpoint 2 at 0x800000" in t
    assert re.search(r"Breakpoint 2, p0::entry \(\) at src/main.rs:\d+", t), t


def test_watch_session_same_as_qemu(demo: ModuleType, p0_elf: Path) -> None:
    session = list(WATCH_SESSION)
    session.insert(session.index("continue") + 1, "p $pc")

    def body(t: str) -> str:
        return re.sub(r"localhost:\d+", "localhost:PORT", t.split("\n--- ", 1)[0])

    assert body(_run(demo, "rvirt", p0_elf, session)) == body(
        _run(demo, "qemu", p0_elf, session))


# Every byte value, so gdb escapes '#', '$', '}' and '*' in X packets; 6 KiB, so `restore`
# needs more than one full-size packet (PacketSize is 4 KiB).
WRITTEN = bytes(range(256)) * 24
BYTES_AT = 0x80100000  # RAM far past p0, which is not run in this session


def _write_session(src: Path, dump: Path, wire: Path) -> list[str]:
    # `{`/`}` are doubled: demo.run fills in {port} with str.format.
    return [
        f"set remotelogfile {wire}",  # every byte on the wire, out of the transcript
        "target remote localhost:{port}",
        f"set {{{{unsigned char[4]}}}}{BYTES_AT:#x} = {{{{0x23, 0x24, 0x7d, 0x2a}}}}",
        f"restore {src} binary {BYTES_AT + 0x100:#x}",
        f"x/4xb {BYTES_AT:#x}",
        f"dump binary memory {dump} {BYTES_AT + 0x100:#x} {BYTES_AT + 0x100 + len(WRITTEN):#x}",
        "kill",
    ]


@pytest.mark.parametrize("emulator", ["rvirt", "qemu"])
def test_gdb_writes_memory(demo: ModuleType, p0_elf: Path, emulator: str,
                           tmp_path: Path) -> None:
    """gdb's memory writes land the same on both machines.  docs/differences.md, "`X`
    (binary memory write)": rvirt answers gdb's X probe, so gdb writes with X (the four
    special bytes escaped); QEMU 7.2 does not, so gdb writes with M."""
    src, dump, wire = tmp_path / "bytes.bin", tmp_path / "dump.bin", tmp_path / "wire.log"
    src.write_bytes(WRITTEN)
    t = _run(demo, emulator, p0_elf, _write_session(src, dump, wire))
    assert re.search(rf"{BYTES_AT:#x}:\s+0x23\s+0x24\s+0x7d\s+0x2a\n", t), t
    assert dump.read_bytes() == WRITTEN
    # gdb's log of the wire: unprintable bytes as \xNN, 0x0a as \n.  Inside a packet a
    # '$' is always escaped, so "$X"/"$M" only ever starts a packet.
    log = wire.read_text(errors="replace")
    assert f"$X{BYTES_AT:x},0:#" in log  # gdb's probe, on both
    if emulator == "rvirt":
        # '#' '$' '}' '*' each as '}' and the byte XOR 0x20: 0x03 0x04 0x5d 0x0a
        assert f"$X{BYTES_AT:x},4:}}\\x03}}\\x04}}]}}\\n#" in log, log[:2000]
        assert "$M" not in log
        # restore wrote with X too, in more than one packet
        assert len(re.findall(r"\$X8010[0-9a-f]{4},[0-9a-f]{3,}:", log)) >= 2, log[:2000]
    else:
        assert f"$M{BYTES_AT:x},4:23247d2a#" in log, log[:2000]


def test_monitor_commands(demo: ModuleType, p0_elf: Path) -> None:
    t = _run(demo, "rvirt", p0_elf, ["target remote localhost:{port}", "monitor help",
                                      "monitor info registers", "kill"])
    assert "info registers" in t
    assert re.search(r"pc\s+00001000", t), t
    assert re.search(r"x2/sp\s+00000000", t), t


def test_ctrl_c_interrupts_a_running_guest(p0_elf: Path) -> None:
    """gdb sends 0x03 while the guest loops; the stub answers T02 and gdb shows SIGINT."""
    import time

    with gdb_stub([*RVIRT, "-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic",
                   "-bios", str(p0_elf), "-S"]) as (_, c):
        c.handshake()
        c.resume("vCont;c:p1.-1")
        time.sleep(0.3)  # let it run; not an assertion on time
        reply = c.interrupt()
        assert reply.startswith(b"T02"), reply
        regs = c.read_registers()
        assert 0x80000000 <= regs[32] < 0x80001000  # stopped inside the kernel's loop


def test_a_session_moves_to_another_port_when_its_port_was_taken(demo: ModuleType,
                                                                  p0_elf: Path) -> None:
    """run_demo starts the emulator again on another port when the first was taken
    before the emulator could bind it (rvirt exits with "Failed to find an available
    port"), and the session then runs as usual."""
    need("gdb-multiarch")
    with first_port_taken() as chosen:
        status, t = run_demo(demo, "rvirt", p0_elf,
                             ["target remote localhost:{port}", "p/x $pc", "kill"])
    assert status == 0, t
    assert len(chosen) == 2 and f"(gdb) target remote localhost:{chosen[1]}\n" in t
    assert "$1 = 0x1000" in t
