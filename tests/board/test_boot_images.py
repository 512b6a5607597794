"""QEMU 7.2's boot protocol for -kernel, -initrd, -append, -dtb and -L (hw/riscv/boot.c,
virt.c): where each lands and what /chosen says, compared with QEMU's own
`-machine dumpdtb=` and with what QEMU hands a firmware it finds with -L; and what the
built-in firmware changes in the tree it passes on (as OpenSBI, not in dumpdtb's)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rvirt.board.images import DEFAULT_FIRMWARE
from rvirt.board.virt import Board, BoardConfig
from rvirt.fdt import parse_dtb
from tests.board import probe as P
from tests.tooling import CROSS, assemble, need, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

HERE = Path(__file__).parent
APPEND = "console=ttyS0 root=/dev/ram"


@pytest.fixture(scope="module")
def fake_fw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A -L directory whose opensbi-riscv32-generic-fw_dynamic.bin prints its boot
    registers and fw_dynamic_info."""
    elf = assemble(HERE / "fake-fw.S")
    d = tmp_path_factory.mktemp("fw")
    subprocess.run([need(CROSS + "objcopy"), "-O", "binary", str(elf),
                    str(d / DEFAULT_FIRMWARE)], check=True)
    return d


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("img")
    kernel = d / "kernel.bin"
    kernel.write_bytes(b"\x6f\x00\x00\x00" * 1024)  # j . (a raw kernel, 4 KiB)
    initrd = d / "initrd.img"
    initrd.write_bytes(bytes(range(256)) * 5 + b"tail")  # 1284 bytes
    return {"kernel": kernel, "initrd": initrd}


def chosen(blob: bytes) -> dict[str, bytes]:
    root, _ = parse_dtb(blob)
    props = dict(root.child("chosen").props)
    props.pop("rng-seed", None)  # fresh random bytes on each side
    return props


def dump(run, tmp: Path, name: str, *args: str) -> bytes:  # noqa: ANN001
    out = tmp / f"{name}.dtb"
    r = run("-machine", f"virt,dumpdtb={out}", "-cpu", "rv32", "-nographic", *args)
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


def order(blob: bytes) -> list[str]:
    root, _ = parse_dtb(blob)
    return list(root.child("chosen").props)


@pytest.mark.parametrize("ram", ["128M", "256M", "512M"])
def test_initrd_and_append_with_bios_none(ram: str, files: dict[str, Path],
                                          tmp_path: Path) -> None:
    # riscv_load_initrd: at the kernel's entry plus min(RAM / 2, 128 MiB)
    args = ("-m", ram, "-bios", "none", "-kernel", str(files["kernel"]), "-initrd",
            str(files["initrd"]), "-append", APPEND)
    q = dump(run_qemu, tmp_path, "q", *args)
    r = dump(run_rvirt, tmp_path, "r", *args)
    assert chosen(r) == chosen(q)
    assert order(r) == order(q)
    start = 0x80000000 + min(int(ram[:-1]) << 19, 128 << 20)
    assert chosen(r)["linux,initrd-start"] == start.to_bytes(4, "big")
    assert chosen(r)["linux,initrd-end"] == (start + 1284).to_bytes(4, "big")
    assert chosen(r)["bootargs"] == APPEND.encode() + b"\0"


def test_machine_properties_are_the_flags(files: dict[str, Path], tmp_path: Path) -> None:
    flags = dump(run_rvirt, tmp_path, "a", "-bios", "none", "-kernel", str(files["kernel"]),
                 "-initrd", str(files["initrd"]), "-append", APPEND)
    props = dump(run_rvirt, tmp_path, "b", "-M", f"virt,initrd={files['initrd']},"
                 f"append={APPEND.replace(',', ',,')}", "-bios", "none", "-kernel",
                 str(files["kernel"]))
    assert chosen(props) == chosen(flags)


def test_with_firmware_as_qemu_with_opensbi(fake_fw_dir: Path, files: dict[str, Path],
                                            tmp_path: Path) -> None:
    # The kernel after the firmware at 0x80400000, so the initrd at 0x84400000 (128M);
    # QEMU runs the stand-in firmware from -L, rvirt its built-in one.
    args = ("-m", "128M", "-kernel", str(files["kernel"]), "-initrd", str(files["initrd"]),
            "-append", APPEND)
    q = dump(run_qemu, tmp_path, "q", "-L", str(fake_fw_dir), *args)
    r = dump(run_rvirt, tmp_path, "r", *args)
    assert chosen(r) == chosen(q)
    assert chosen(r)["linux,initrd-start"] == (0x84400000).to_bytes(4, "big")
    # dumpdtb is QEMU's tree: the firmware adds its reserved memory only at run time
    root, _ = parse_dtb(r)
    assert "reserved-memory" not in [c.name for c in root.children]


def test_dtb_file_gets_chosen_as_on_qemu(files: dict[str, Path], tmp_path: Path) -> None:
    base = dump(run_qemu, tmp_path, "base", "-m", "128M", "-bios", "none")
    given = tmp_path / "given.dtb"
    given.write_bytes(base)
    args = ("-m", "128M", "-bios", "none", "-kernel", str(files["kernel"]), "-dtb",
            str(given), "-initrd", str(files["initrd"]), "-append", APPEND)
    q = dump(run_qemu, tmp_path, "q", *args)
    r = dump(run_rvirt, tmp_path, "r", *args)
    qt, rt = parse_dtb(q)[0], parse_dtb(r)[0]
    # rng-seed: both put fresh bytes in the file's (qemu_fdt_randomize_seeds)
    assert qt.child("chosen").props.pop("rng-seed") != parse_dtb(base)[0].child(
        "chosen").props["rng-seed"]
    rt.child("chosen").props.pop("rng-seed")
    assert [(p, n.props) for p, n in rt.walk()] == [(p, n.props) for p, n in qt.walk()]
    assert order(r) == order(q)


def test_bad_dtb_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dtb"
    bad.write_bytes(b"not a tree")
    r = run_rvirt("-M", "virt", "-bios", "none", "-dtb", str(bad))
    assert r.returncode == 1 and r.stderr.decode().count("\n") == 1
    assert "-dtb" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


@pytest.mark.parametrize("flag", ["-initrd", "-append"])
def test_initrd_and_append_need_a_kernel(flag: str, files: dict[str, Path]) -> None:
    r = run_rvirt("-M", "virt", "-bios", "none", flag, str(files["initrd"]))
    assert (r.returncode, r.stderr.decode()) == (
        1, f"rvirt: {flag} only allowed with -kernel option\n")  # QEMU's words


def test_firmware_from_L_as_qemu_loads_it(fake_fw_dir: Path, files: dict[str, Path]) -> None:
    # Raw at 0x80000000 from the ROM: a0 = hart, a1 = DTB, fw_dynamic_info at a2 with
    # the kernel's address after the firmware, next mode S
    args = ("-M", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-L", str(fake_fw_dir),
            "-kernel", str(files["kernel"]))
    q = run_qemu(*args)
    r = run_rvirt(*args)
    want = "fake-opensbi 00000000 89400000 4942534f 00000002 80400000 00000001\n"
    assert q.stdout.decode() == want
    assert (r.returncode, r.stdout.decode()) == (0, want)


def test_firmware_patches_the_tree_it_passes_on() -> None:
    # OpenSBI's fdt_fixups: /reserved-memory with the firmware's region (no-map), and
    # the PLIC's M-mode contexts (interrupts-extended 11) disabled
    m = Board(BoardConfig(ram_size=150 << 20, kernel=str(P.build()), rng_seed=bytes(32)),
              console=lambda b: None)
    assert m.run(2_000_000) == 0
    o = m.fdt_addr - 0x80000000
    root, _ = parse_dtb(bytes(m.ram[o:o + 0x10000]))
    resv = root.children[0]
    assert resv.name == "reserved-memory"
    assert resv.props == {"ranges": b"", "#size-cells": (2).to_bytes(4, "big"),
                          "#address-cells": (2).to_bytes(4, "big")}
    assert [(n.name, n.props) for n in resv.children] == [
        ("mmode_resv0@80000000", {"no-map": b"", "reg": bytes.fromhex(
            "00000000 80000000 00000000 00040000")})]
    plic = root.find("/soc/plic@c000000")
    cells = plic.props["interrupts-extended"]
    assert cells == bytes.fromhex("00000002 ffffffff 00000002 00000009")
    # the untouched tree, as dumpdtb writes it
    assert parse_dtb(m.dtb)[0].find("/soc/plic@c000000").props["interrupts-extended"] == \
        bytes.fromhex("00000002 0000000b 00000002 00000009")


def test_no_kernel_stops_the_hart_with_a_line() -> None:
    out: list[bytes] = []
    m = Board(BoardConfig(ram_size=64 << 20), console=out.append)
    assert m.run(1_000_000) is None and m.idle
    assert b"".join(out).decode() == (
        "rvirt SBI firmware v0.1, SBI v2.0\r\n"
        "rvirt SBI firmware: no S-mode kernel to start (give -kernel FILE); hart 0 "
        "stopped\r\n")


def test_bios_name_is_looked_for_in_L(fake_fw_dir: Path, files: dict[str, Path]) -> None:
    # qemu_find_file: a -bios that is not a path is looked for in the -L directories
    args = ("-M", "virt", "-m", "150M", "-nographic", "-L", str(fake_fw_dir), "-bios",
            DEFAULT_FIRMWARE, "-kernel", str(files["kernel"]))
    q, r = run_qemu(*args), run_rvirt(*args)
    assert q.stdout.startswith(b"fake-opensbi 00000000 89400000")
    assert (r.returncode, r.stdout) == (0, q.stdout)


def test_L_without_the_firmware_runs_the_built_in_one(tmp_path: Path) -> None:
    out: list[bytes] = []
    m = Board(BoardConfig(ram_size=64 << 20, data_dirs=(str(tmp_path),)), console=out.append)
    m.run(100_000)
    assert m.firmware is not None
    assert b"".join(out).startswith(b"rvirt SBI firmware v0.1, SBI v2.0\r\n")


ENTRY_INSIDE = """\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {
  . = 0x80400000;
  .rodata : { *(.rodata) }
  .text : { *(.text) }
}
"""


def test_fw_dynamic_info_gets_the_kernels_lowest_address(fake_fw_dir: Path) -> None:
    # QEMU 7.2's riscv_load_kernel returns the ELF's lowest load address, not e_entry:
    # that is what the firmware is told to start
    elf = assemble(".section .rodata\n.space 0x100\n.text\n.globl _start\n_start: j _start\n",
                   "entry-inside", linker_script=ENTRY_INSIDE)
    args = ("-M", "virt", "-m", "150M", "-nographic", "-L", str(fake_fw_dir), "-kernel",
            str(elf))
    q, r = run_qemu(*args), run_rvirt(*args)
    assert q.stdout.decode().split()[5] == "80400000"  # (e_entry is 0x80400100)
    assert (r.returncode, r.stdout) == (0, q.stdout)
