"""`rvirt memmap KERNEL.elf [-m SIZE] [-o FILE.svg]`: the example kernels and hand-made
ELFs placed on the board's memory map, the warnings for what will not boot (checked
against what QEMU and rvirt then do), the SVG picture, and bad input as one line."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.guest import ARGS, elf32_layout, one_error_line
from tests.examples import conftest as kernels
from tests.tooling import BUILD, CROSS, MARCH, need, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

# the example kernels' fixtures (built by make examples, or here when missing)
p0_elf = kernels.p0_elf
p0_noscript_elf = kernels.p0_noscript_elf
example_elf = kernels.example_elf

SVG = "{http://www.w3.org/2000/svg}"


def memmap(*args: str) -> tuple[str, str]:
    """Run `rvirt memmap ARGS`, which must succeed; its stdout and stderr."""
    r = run_rvirt("memmap", *args)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode == 0, err
    assert "Traceback" not in err
    return out, err


def warnings(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("warning: ")]


def linked(name: str, source: str, script: str, *ld_args: str) -> Path:
    """Assemble `source` and link it with `script` (and ld's own options)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    src, obj, lds, elf = (BUILD / f"memmap_{name}{ext}" for ext in (".S", ".o", ".ld", ".elf"))
    src.write_text(source)
    lds.write_text(script)
    subprocess.run([need(CROSS + "gcc"), f"-march={MARCH}", "-mabi=ilp32", "-c", "-o",
                    str(obj), str(src)], check=True, capture_output=True)
    subprocess.run([need(CROSS + "ld"), "-m", "elf32lriscv", "-T", str(lds), *ld_args,
                    "-o", str(elf), str(obj)], check=True, capture_output=True)
    return elf


PROGRAM = """\
    .section .text.init
    .globl _start
_start:
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
    .data
    .word 1, 2, 3, 4
"""

# Two PT_LOAD segments whose memory overlaps: .data is placed 8 bytes into .text.
OVERLAPPING = """\
OUTPUT_ARCH(riscv)
ENTRY(_start)
PHDRS { text PT_LOAD; data PT_LOAD; }
SECTIONS {
  .text 0x80000000 : { *(.text.init) *(.text .text.*) } :text
  .data 0x80000008 : { *(.data) } :data
}
"""


@pytest.fixture(scope="module")
def overlapping_elf() -> Path:
    return linked("overlap", PROGRAM, OVERLAPPING, "--no-check-sections")


# --- the example kernels ----------------------------------------------------------------

def test_p0_is_placed_in_ram_without_warnings(p0_elf: Path) -> None:
    out, err = memmap(str(p0_elf))
    assert err == ""
    assert warnings(out) == []
    assert "no warnings" in out
    lines = out.splitlines()

    def row(text: str) -> str:
        found = [line for line in lines if text in line]
        assert found, f"{text!r} not in\n{out}"
        return found[0]

    assert row("ram ").startswith("0x80000000-0x87ffffff") and "128 MiB" in row("ram ")
    assert row("segment 1").strip().startswith("0x80000000-0x8001019f") and "[RWX]" in row(
        "segment 1")
    for name in (".text", ".rodata", ".bss", ".stack", "mrom", "uart0", "clint", "plic",
                 "test", "rtc", "virtio", "device tree"):
        row(name)
    assert row("<- entry point").split() == ["0x80000000", "<-", "entry", "point", "(_start)"]
    assert row("<- _stack_top").strip().startswith("0x800101a0")
    assert row("__global_pointer$").strip().startswith("0x80000990")
    assert "_bss_start" in out and "_bss_end" in out
    # sections sit inside their segment, which sits inside RAM: indented one step more
    indent = {n: len(row(n)) - len(row(n).lstrip()) for n in ("ram ", "segment 1", ".text")}
    assert indent["ram "] < indent["segment 1"] < indent[".text"]


@pytest.mark.parametrize("name", ["hello", "trap", "paging"])
def test_the_other_kernels_have_no_warnings(name: str,
                                            example_elf: Callable[[str], Path]) -> None:
    out, _ = memmap(str(example_elf(name)))
    assert warnings(out) == []
    assert "<- entry point (_start)" in out


def test_p0_without_linker_script_is_flagged(p0_noscript_elf: Path) -> None:
    out, _ = memmap(str(p0_noscript_elf))
    found = warnings(out)
    content = [w for w in found if "segment 1's content" in w]
    assert content and "0x00010000-" in content[0] and ".text" in content[0] \
        and ".rodata" in content[0] and "outside RAM and ROM" in content[0]
    assert "linker script" in content[0]
    bss = [w for w in found if "segment 2's bss" in w]
    assert bss and ".bss" in bss[0]
    entry = [w for w in found if "entry point" in w]
    assert entry and "0x000100b4 (_start)" in entry[0] and "0x80000000" in entry[0]
    assert any("nothing of the kernel is loaded at 0x80000000" in w for w in found)
    assert "unmapped" in out and "[!]" in out


def test_overlapping_segments_are_flagged_as_qemu_refuses_them(overlapping_elf: Path) -> None:
    out, _ = memmap(str(overlapping_elf))
    found = [w for w in warnings(out) if "overlap" in w]
    assert len(found) == 1, out
    assert "segments 1 and 2 overlap at 0x80000008-0x8000000f" in found[0]
    assert ".text" in found[0] and ".data" in found[0]
    r = run_qemu(*ARGS, "-bios", str(overlapping_elf))
    assert r.returncode != 0 and b"overlapping" in r.stderr


def test_headers_only_outside_ram_is_a_note(tmp_path: Path) -> None:
    """`ld -Ttext=0x80000000` starts its one segment a page low, at the ELF headers: they
    fall outside RAM and are dropped, which is harmless (the machine says nothing)."""
    src, obj, elf = tmp_path / "t.S", tmp_path / "t.o", tmp_path / "t.elf"
    src.write_text(".text\n.globl _start\n_start: j _start\n")
    subprocess.run([need(CROSS + "as"), "-march=rv32i", "-o", str(obj), str(src)],
                   check=True, capture_output=True)
    subprocess.run([need(CROSS + "ld"), "-m", "elf32lriscv", "-Ttext=0x80000000", "-o",
                    str(elf), str(obj)], check=True, capture_output=True)
    out, _ = memmap(str(elf))
    assert warnings(out) == []
    notes = [line for line in out.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "ELF headers" in notes[0] and "0x7ffff000-" in notes[0]


def test_ram_size_moves_the_end_of_ram_and_the_device_tree(p0_elf: Path) -> None:
    out, _ = memmap(str(p0_elf), "-m", "64K")
    past = [w for w in warnings(out) if "bss" in w]
    assert past and ".stack" in past[0] and "RAM ends at 0x8000ffff" in past[0] and "-m" in past[0]
    out, _ = memmap(str(p0_elf), "-m", "1M")
    found = [w for w in warnings(out) if "device tree" in w]
    assert found and "refuse to start" in found[0]
    # and so the machine does
    line = one_error_line(run_rvirt(*ARGS[:4], "-m", "1M", "-nographic", "-bios", str(p0_elf)))
    assert "device tree" in line
    out, _ = memmap(str(p0_elf), "-m", "256M")
    assert "0x80000000-0x8fffffff" in out and warnings(out) == []


# --- the picture -------------------------------------------------------------------------

def titles(svg: Path) -> list[str]:
    root = ET.parse(svg).getroot()
    assert root.tag == SVG + "svg"
    return [t.text or "" for t in root.iter(SVG + "title")]


def test_svg_of_p0(p0_elf: Path, tmp_path: Path) -> None:
    svg = tmp_path / "p0.svg"
    out, _ = memmap(str(p0_elf), "-o", str(svg))
    assert f"picture: {svg}" in out
    hover = titles(svg)
    assert any(t.startswith("segment 1: 0x80000000-0x8001019f") for t in hover), hover
    for name in (".text", ".rodata", ".bss", ".stack", "ram", "mrom", "uart0", "device tree",
                 "_stack_top"):
        assert any(t.startswith(name) for t in hover), name
    root = ET.parse(svg).getroot()
    # every box has its hover title
    for group in root.iter(SVG + "g"):
        if group.find(SVG + "rect") is not None:
            assert group.find(SVG + "title") is not None
    assert not [t for t in root.iter(SVG + "text") if t.get("class") == "warn"]


def test_svg_flags_in_red(p0_noscript_elf: Path, tmp_path: Path) -> None:
    svg = tmp_path / "noscript.svg"
    memmap(str(p0_noscript_elf), "-o", str(svg))
    root = ET.parse(svg).getroot()
    red = [t.text or "" for t in root.iter(SVG + "text") if t.get("class") == "warn"]
    assert any(t.startswith("warning: segment 1's content") for t in red), red
    flagged = [g.find(SVG + "title").text for g in root.iter(SVG + "g")  # type: ignore[union-attr]
               if (r := g.find(SVG + "rect")) is not None and "flagged" in r.get("class", "")]
    assert any(t.startswith("segment 1") for t in flagged)


def test_svg_of_overlapping_segments(overlapping_elf: Path, tmp_path: Path) -> None:
    svg = tmp_path / "overlap.svg"
    memmap(str(overlapping_elf), "-o", str(svg))
    hover = titles(svg)
    assert any(t.startswith("segment 1: 0x80000000-0x8000000f") for t in hover)
    assert any(t.startswith("segment 2: 0x80000008-0x80000017") for t in hover)


# --- bad input -------------------------------------------------------------------------

def fails(*args: str) -> str:
    r = run_rvirt("memmap", *args)
    line = one_error_line(r)
    assert r.returncode == 1 and r.stdout == b""
    assert line.startswith("rvirt: memmap: "), line
    return line


def test_missing_file(tmp_path: Path) -> None:
    line = fails(str(tmp_path / "no-such.elf"))
    assert "no-such.elf" in line and "no such file" in line


@pytest.mark.parametrize(("content", "says"), [(b"", "empty"),
                                               (b"just some text\n", "not an ELF"),
                                               (b"\x7fELF\x01\x01", "truncated")],
                         ids=["empty", "text", "magic-only"])
def test_not_an_elf(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "kernel"
    path.write_bytes(content)
    assert says in fails(str(path))


def test_directory(tmp_path: Path) -> None:
    assert "directory" in fails(str(tmp_path))


def test_64_bit_elf(tmp_path: Path) -> None:
    src, obj, elf = tmp_path / "rv64.S", tmp_path / "rv64.o", tmp_path / "rv64.elf"
    src.write_text(".globl _start\n_start:\n    j _start\n")
    subprocess.run([need(CROSS + "as"), "-march=rv64i", "-o", str(obj), str(src)],
                   check=True, capture_output=True)
    subprocess.run([need(CROSS + "ld"), "-m", "elf64lriscv", "-Ttext=0x80000000", "-o",
                    str(elf), str(obj)], check=True, capture_output=True)
    assert "64-bit" in fails(str(elf))


def test_other_architecture(tmp_path: Path, p0_elf: Path) -> None:
    data = bytearray(p0_elf.read_bytes())
    data[18:20] = (3).to_bytes(2, "little")  # e_machine = EM_386
    elf = tmp_path / "i386.elf"
    elf.write_bytes(bytes(data))
    assert "not a RISC-V ELF" in fails(str(elf))


@pytest.mark.parametrize("where", ["header", "program-headers", "segment", "sections"])
def test_truncated(where: str, tmp_path: Path, p0_elf: Path) -> None:
    data = p0_elf.read_bytes()
    lay = elf32_layout(data)
    cut = {"header": 30, "program-headers": lay["phoff"] + 10,
           "segment": lay["seg_offset"] + 2, "sections": lay["shoff"] + 20}[where]
    short = tmp_path / f"cut-{where}"
    short.write_bytes(data[:cut])
    line = fails(str(short))
    assert "truncated" in line and str(short) in line


FLAG_CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "no-kernel": ((), "no kernel given"),
    "unknown-flag": (("{p0}", "-x"), "unknown option '-x'"),
    "unknown-long-flag": (("--frobnicate", "{p0}"), "--frobnicate"),
    "two-kernels": (("{p0}", "{p0}"), "one kernel at a time"),
    "m-without-size": (("{p0}", "-m"), "-m: requires an argument"),
    "m-words": (("{p0}", "-m", "lots"), "-m lots"),
    "m-zero": (("{p0}", "-m", "0"), "-m 0"),
    "m-too-large": (("{p0}", "-m", "3G"), "too large"),
    "o-without-file": (("{p0}", "-o"), "-o: requires an argument"),
    "o-not-svg": (("{p0}", "-o", "map.png"), "map.png"),
    "o-unwritable": (("{p0}", "-o", "/nonexistent-dir/map.svg"), "/nonexistent-dir/map.svg"),
}


@pytest.mark.parametrize("case", FLAG_CASES, ids=list(FLAG_CASES))
def test_bad_command_line(case: str, p0_elf: Path) -> None:
    args, says = FLAG_CASES[case]
    assert says in fails(*(a.replace("{p0}", str(p0_elf)) for a in args))


def test_help() -> None:
    out, _ = memmap("--help")
    assert out.startswith("usage: rvirt memmap KERNEL.elf")
    r = run_rvirt("--help")
    assert r.returncode == 0 and b"rvirt memmap KERNEL.elf" in r.stdout
