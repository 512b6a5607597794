"""Good runs of the command line: the exit status comes from the guest (SiFive test
finisher), raw images are loaded at 0x80000000 with a notice, and --help lists the flags.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time

import pytest

from tests.cli.guest import (
    ARGS,
    FINISHER_FAIL,
    FINISHER_PASS,
    FINISHER_RESET,
    GREETING,
    hello,
    objcopy_binary,
    print_then_finish,
    program,
)
from tests.tooling import CROSS, ROOT, RVIRT, need, run_rvirt

pytestmark = pytest.mark.tools


def test_pass_exits_zero() -> None:
    r = run_rvirt(*ARGS, "-bios", str(hello()), input=b"")
    assert r.stdout.decode() == GREETING
    assert r.stderr == b""
    assert r.returncode == 0


@pytest.mark.parametrize("status", [1, 3, 42, 255])
def test_fail_exits_with_the_guests_code(status: int) -> None:
    elf = program(f"fail_{status}", print_then_finish((status << 16) | FINISHER_FAIL))
    r = run_rvirt(*ARGS, "-bios", str(elf), input=b"")
    assert r.stdout.decode() == GREETING
    assert r.stderr == b""
    assert r.returncode == status


def test_reset_with_no_reboot_exits_zero() -> None:
    elf = program("reset", print_then_finish(FINISHER_RESET))
    r = run_rvirt(*ARGS, "-no-reboot", "-bios", str(elf), input=b"")
    assert r.stdout.decode() == GREETING  # printed once: no second boot
    assert r.stderr == b""
    assert r.returncode == 0


def test_reset_without_no_reboot_boots_again() -> None:
    """Without -no-reboot the reset restarts the machine at the ROM, so the program prints
    again and again; read until it has booted three times, then stop it."""
    elf = program("reset", print_then_finish(FINISHER_RESET))
    p = subprocess.Popen([*RVIRT, *ARGS, "-bios", str(elf)], cwd=ROOT,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    out = b""
    try:
        deadline = time.monotonic() + 60
        assert p.stdout is not None
        while out.count(GREETING.encode()) < 3 and time.monotonic() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 1)
            if ready:
                chunk = p.stdout.read1(4096)  # type: ignore[attr-defined]
                if not chunk:
                    break
                out += chunk
        assert p.poll() is None, f"rvirt exited ({p.returncode}) instead of rebooting"
    finally:
        p.kill()
        p.wait(timeout=30)
    assert out.startswith((GREETING * 3).encode()), out


def test_raw_image_is_loaded_at_dram_base() -> None:
    raw = objcopy_binary(hello(), need(CROSS + "objcopy"))
    assert not raw.read_bytes().startswith(b"\x7fELF")
    r = run_rvirt(*ARGS, "-bios", str(raw), input=b"")
    assert r.stdout.decode() == GREETING
    assert r.returncode == 0
    err = r.stderr.decode()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "raw" in lines[0] and "0x80000000" in lines[0] and str(raw) in lines[0]


FLAGS = ("-machine", "-cpu", "-m", "-smp", "-bios", "-kernel", "-append", "-initrd", "-dtb",
         "-L", "-s", "-S", "-gdb",
         "-nographic", "-serial", "-display", "-no-reboot")


@pytest.mark.parametrize("spelling", ["--help", "-help", "-h"])
def test_help_lists_the_flags(spelling: str) -> None:
    r = run_rvirt(spelling, input=b"")
    assert r.returncode == 0
    assert r.stderr == b""
    text = r.stdout.decode()
    listed = {word for line in text.splitlines() for word in line.split()}
    missing = [f for f in FLAGS if f not in listed]
    assert not missing, f"--help does not list {missing}:\n{text}"


def test_help_wins_over_bad_flags() -> None:
    # QEMU stops at -help wherever it is; nothing after it is looked at.
    r = run_rvirt("-h", "-foo", "-m", "lots", input=b"")
    assert r.returncode == 0
    assert b"-bios" in r.stdout


def test_version() -> None:
    r = run_rvirt("-version", input=b"")
    assert r.returncode == 0
    assert r.stdout.decode().startswith("rvirt ")


def test_kernel_alone_goes_after_the_firmware() -> None:
    # -kernel without -bios is -bios default, as QEMU: the firmware owns 0x80000000, so a
    # kernel linked there is refused in one line (QEMU: "rom: requested regions
    # overlap"), and runs with -bios none.
    r = run_rvirt(*ARGS, "-kernel", str(hello()), input=b"")
    line = r.stderr.decode()
    assert r.returncode == 1 and line.count("\n") == 1
    assert "overlaps the firmware at 0x80000000-0x8003ffff" in line and "-bios none" in line
    r = run_rvirt(*ARGS, "-bios", "none", "-kernel", str(hello()), input=b"")
    assert r.stdout.decode() == GREETING
    assert r.returncode == 0


# Loops hot enough for the block tiers (100k entries of a 3-iteration inner loop), then
# the finisher's pass.
HOT_LOOP = f"""\
    .section .text.init
    .globl _start
_start:
    li t0, 100000
1:  li t1, 3
2:  addi t1, t1, -1
    bnez t1, 2b
    addi t0, t0, -1
    bnez t0, 1b
    li t0, 0x100000
    li t1, {FINISHER_PASS:#x}
    sw t1, 0(t0)
3:  j 3b
"""


@pytest.mark.parametrize("accel", ["native", "tcg", "interp"])
def test_rvirt_stats_appends_what_translation_did(accel: str, tmp_path) -> None:  # noqa: ANN001
    stats = tmp_path / "stats.jsonl"
    stats.write_text('{"earlier": 1}\n')
    elf = program("hot_loop", HOT_LOOP)
    r = subprocess.run([*RVIRT, *ARGS, "-accel", accel, "-bios", str(elf)],
                       capture_output=True, timeout=60, input=b"", cwd=ROOT,
                       env={**os.environ, "RVIRT_STATS": str(stats)})
    assert r.returncode == 0, r.stderr
    lines = stats.read_text().splitlines()
    assert lines[0] == '{"earlier": 1}'  # appended, not overwritten
    got = json.loads(lines[1])
    assert got["accel"] == accel
    if accel == "interp":
        assert "blocks" not in got  # nothing translated
    else:
        assert got["blocks"] >= 1
    if accel == "native":
        # the hot blocks are given to the compiler thread, each finished compile timed
        # (the run may end before the thread finishes)
        assert got["asked"] >= 1
        assert got["native"] <= got["asked"]
        assert len(got["compile_ms"]) == got["native"]
        assert all(ms > 0 for ms in got["compile_ms"])
    else:
        assert "native" not in got and "asked" not in got


def test_rvirt_stats_unwritable_is_one_line(tmp_path) -> None:  # noqa: ANN001
    r = subprocess.run([*RVIRT, *ARGS, "-bios", str(hello())], capture_output=True,
                       timeout=60, input=b"", cwd=ROOT,
                       env={**os.environ, "RVIRT_STATS": str(tmp_path / "no" / "such")})
    assert r.stdout.decode() == GREETING
    assert r.stderr.decode().startswith("rvirt: RVIRT_STATS ")
    assert r.stderr.decode().count("\n") == 1
    assert r.returncode == 0
