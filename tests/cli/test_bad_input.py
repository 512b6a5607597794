"""Bad input on the command line: every case is one clear `rvirt: ...` line on stderr, a
non-zero exit status and no traceback (tests.cli.guest.one_error_line), and never a hang.
"""

from __future__ import annotations

import resource
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.guest import (
    ARGS,
    FINISHER_PASS,
    GREETING,
    elf32_layout,
    has_pt_load,
    hello,
    one_error_line,
    print_then_finish,
    program,
)
from tests.tooling import CROSS, ROOT, RVIRT, assemble, need, run_rvirt

pytestmark = pytest.mark.tools


def rvirt_fails(*args: str, timeout: float = 60) -> str:
    """Run rvirt, expecting it to give up with one line; return that line.  A run that
    outlives `timeout` is a hang and fails the test."""
    try:
        r = run_rvirt(*args, timeout=timeout, input=b"")
    except subprocess.TimeoutExpired:
        pytest.fail(f"rvirt {' '.join(args)} hung (still running after {timeout} s)")
    return one_error_line(r)


@pytest.fixture(scope="module")
def hello_elf() -> Path:
    return hello()


# --- the command line itself ----------------------------------------------------------

# (arguments after ARGS; `{hello}` is a good ELF, what the error line must contain)
FLAG_CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "ram-zero": (("-m", "0", "-bios", "{hello}"), "-m 0"),
    "ram-words": (("-m", "lots", "-bios", "{hello}"), "-m lots"),
    "ram-bad-suffix": (("-m", "1X", "-bios", "{hello}"), "-m 1X"),
    "ram-empty": (("-m", "", "-bios", "{hello}"), "-m"),
    "ram-too-large": (("-m", "3G", "-bios", "{hello}"), "too large"),
    "unknown-machine": (("-machine", "sifive_u", "-bios", "{hello}"), "sifive_u"),
    "unknown-machine-M": (("-M", "spike", "-bios", "{hello}"), "spike"),
    "unknown-cpu": (("-cpu", "cortex-a53", "-bios", "{hello}"), "cortex-a53"),
    "unknown-flag": (("-foo", "-bios", "{hello}"), "-foo"),
    "unknown-double-dash-flag": (("-bios", "{hello}", "--frobnicate"), "--frobnicate"),
    "stray-argument": (("-bios", "{hello}", "stray.elf"), "stray.elf"),
    "bios-without-file": (("-bios",), "-bios"),
    "gdb-without-device": (("-bios", "{hello}", "-gdb"), "-gdb"),
    "m-without-size": (("-bios", "{hello}", "-m"), "-m"),
    "gdb-not-tcp": (("-bios", "{hello}", "-gdb", "udp::1234"), "udp::1234"),
    "gdb-port-out-of-range": (("-bios", "{hello}", "-gdb", "tcp::70000"), "tcp::70000"),
    "too-many-harts": (("-bios", "{hello}", "-smp", "9"), "-smp 9"),
    "serial-pty": (("-bios", "{hello}", "-serial", "pty"), "-serial pty"),
    "serial-file-unwritable": (("-bios", "{hello}", "-serial", "file:/nonexistent/u.txt"),
                               "file:/nonexistent/u.txt"),
    "icount-too-large": (("-bios", "{hello}", "-icount", "shift=11"), "-icount"),
}


@pytest.mark.parametrize("case", FLAG_CASES, ids=list(FLAG_CASES))
def test_bad_flag_is_one_line(case: str, hello_elf: Path) -> None:
    extra, says = FLAG_CASES[case]
    args = [a.replace("{hello}", str(hello_elf)) for a in extra]
    line = rvirt_fails(*ARGS, *args)
    assert says in line


def test_gdb_port_in_use_is_one_line(hello_elf: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        line = rvirt_fails(*ARGS, "-bios", str(hello_elf), "-gdb", f"tcp::{port}", timeout=30)
    assert str(port) in line
    assert "in use" in line


# --- the image file ------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such.elf"
    line = rvirt_fails(*ARGS, "-bios", str(missing))
    assert str(missing) in line
    assert "no such file" in line.lower()


def test_missing_kernel_file(tmp_path: Path, hello_elf: Path) -> None:
    missing = tmp_path / "no-such-kernel"
    line = rvirt_fails(*ARGS, "-bios", str(hello_elf), "-kernel", str(missing))
    assert "-kernel" in line
    assert str(missing) in line


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.elf"
    empty.write_bytes(b"")
    line = rvirt_fails(*ARGS, "-bios", str(empty))
    assert str(empty) in line
    assert "empty" in line


def test_directory(tmp_path: Path) -> None:
    line = rvirt_fails(*ARGS, "-bios", str(tmp_path))
    assert "directory" in line


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_endless_device_file_is_refused() -> None:
    """QEMU 7.2 says "could not load firmware '/dev/zero'".  Reading /dev/zero to its end
    never finishes; rvirt runs under a 1 GiB address-space limit so that a loader which
    tries fails quickly instead of eating the host's memory."""
    try:
        r = subprocess.run([*RVIRT, *ARGS, "-bios", "/dev/zero"], cwd=ROOT,
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=60,
                           preexec_fn=_limit_address_space)
    except subprocess.TimeoutExpired:
        pytest.fail("rvirt -bios /dev/zero hung")
    line = one_error_line(r)
    assert "/dev/zero" in line


# Where to cut a good ELF: in the ELF header, in the program headers, in the loadable
# segment's bytes.  (Fewer than 4 bytes has no ELF magic and is a raw image.)
CUTS: dict[str, Callable[[dict[str, int]], int]] = {
    "header-magic-only": lambda lay: 4,
    "header-middle": lambda lay: 30,
    "header-last-byte": lambda lay: 51,
    "first-program-header": lambda lay: lay["phoff"] + 10,
    "last-program-header": lambda lay: lay["phoff"] + (lay["phnum"] - 1) * lay["phentsize"] + 10,
    "segment-first-bytes": lambda lay: lay["seg_offset"] + 2,
    "segment-middle": lambda lay: lay["seg_offset"] + lay["seg_filesz"] // 2,
}


@pytest.mark.parametrize("cut", CUTS, ids=list(CUTS))
def test_truncated_elf(cut: str, tmp_path: Path, hello_elf: Path) -> None:
    data = hello_elf.read_bytes()
    length = CUTS[cut](elf32_layout(data))
    assert 4 <= length < len(data)
    short = tmp_path / f"cut-{length}.elf"
    short.write_bytes(data[:length])
    line = rvirt_fails(*ARGS, "-bios", str(short))
    assert "truncated" in line.lower()
    assert str(short) in line


def test_64_bit_elf(tmp_path: Path) -> None:
    gas = need(CROSS + "as")
    ld = need(CROSS + "ld")
    src = tmp_path / "rv64.S"
    src.write_text(".globl _start\n_start:\n    j _start\n")
    obj, elf = tmp_path / "rv64.o", tmp_path / "rv64.elf"
    subprocess.run([gas, "-march=rv64i", "-o", str(obj), str(src)], check=True,
                   capture_output=True)
    subprocess.run([ld, "-m", "elf64lriscv", "-Ttext=0x80000000", "-o", str(elf), str(obj)],
                   check=True, capture_output=True)
    assert elf.read_bytes()[4] == 2  # ELFCLASS64
    line = rvirt_fails(*ARGS, "-bios", str(elf))
    assert "64-bit" in line


def test_host_executable_is_not_risc_v() -> None:
    """The host's own /bin/true (x86-64 here): the problem to report is the architecture."""
    true = Path(need("true")).resolve()
    data = true.read_bytes()
    if not data.startswith(b"\x7fELF") or int.from_bytes(data[18:20], "little") == 243:
        pytest.skip(f"{true} is not a non-RISC-V ELF on this host")
    line = rvirt_fails(*ARGS, "-bios", str(true))
    assert "not a RISC-V ELF" in line


def test_32_bit_elf_of_another_architecture(tmp_path: Path, hello_elf: Path) -> None:
    data = bytearray(hello_elf.read_bytes())
    data[18:20] = (3).to_bytes(2, "little")  # e_machine = EM_386
    elf = tmp_path / "i386.elf"
    elf.write_bytes(bytes(data))
    line = rvirt_fails(*ARGS, "-bios", str(elf))
    assert "not a RISC-V ELF" in line


def test_elf_without_loadable_segment() -> None:
    elf = program("no_load", "    .globl _start\n_start:\n")
    assert not has_pt_load(elf.read_bytes())
    line = rvirt_fails(*ARGS, "-bios", str(elf))
    assert "no loadable" in line


def test_raw_image_larger_than_ram(tmp_path: Path) -> None:
    image = tmp_path / "big.bin"
    image.write_bytes(b"\x13" * (5 << 20))  # nops, no ELF magic: a raw image
    line = rvirt_fails("-machine", "virt", "-cpu", "rv32", "-m", "4M", "-nographic",
                       "-bios", str(image))
    assert "do not fit" in line


# Segments outside RAM are loaded as QEMU loads them (what lands nowhere is dropped, with
# a warning): tests/cli/test_loading.py.


# --- images and the device tree -------------------------------------------------------
# QEMU 7.2 copies a 1 MiB device-tree blob to ALIGN_DOWN(min(RAM end, 3 GiB) - 1 MiB, 2 MiB)
# (hw/riscv/boot.c riscv_load_fdt).  When that overlaps a loaded segment it refuses to
# start ("Some ROM regions are overlapping"); rvirt must refuse too, not run a program the
# blob has overwritten.

def test_image_under_the_device_tree_small_ram(hello_elf: Path) -> None:
    # -m 2M: the blob goes to 0x80000000, on top of the program.
    line = rvirt_fails("-machine", "virt", "-cpu", "rv32", "-m", "2M", "-nographic",
                       "-bios", str(hello_elf), timeout=20)
    assert "overlap" in line.lower()


def test_segment_under_the_device_tree() -> None:
    # -m 150M: the blob is at 0x89400000-0x894fffff; a data word there would be lost.
    source = print_then_finish(FINISHER_PASS) + "    .section .fdtdata, \"aw\"\n    .word 1\n"
    script = ("OUTPUT_ARCH(riscv)\nENTRY(_start)\nSECTIONS {\n  . = 0x80000000;\n"
              "  .text : { *(.text.init) *(.text .text.*) }\n  .rodata : { *(.rodata) }\n"
              "  . = 0x89400100;\n  .fdtdata : { *(.fdtdata) }\n}\n")
    elf = assemble(source, "cli_fdt_overlap", linker_script=script)
    line = rvirt_fails(*ARGS, "-bios", str(elf), timeout=30)
    assert "overlap" in line.lower()


def test_ram_too_small_for_the_device_tree_still_runs(hello_elf: Path) -> None:
    # -m 4K: the blob's address falls below RAM; QEMU 7.2 loads nothing there and runs the
    # program (a1 points at no device tree).  No traceback, the program's own output.
    r = run_rvirt("-machine", "virt", "-cpu", "rv32", "-m", "4K", "-nographic",
                  "-bios", str(hello_elf), timeout=30, input=b"")
    err = r.stderr.decode(errors="replace")
    assert "Traceback" not in err, err
    assert r.stdout.decode() == GREETING
    assert r.returncode == 0, err
