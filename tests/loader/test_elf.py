"""rvirt's ELF reader (rvirt.loader.elf) against pyelftools: the same segments, sections,
symbols and entry on real kernels, and one `RvirtError` line, never another exception, on
damaged files."""

from __future__ import annotations

import functools
import io
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvirt.errors import RvirtError
from rvirt.loader.elf import Image, load
from tests.cli.guest import ARGS, elf32_layout, hello, one_error_line, program
from tests.tooling import run_rvirt

pytestmark = pytest.mark.tools

RAW_ADDR = 0x80000000


@functools.cache
def hello_bytes() -> bytes:
    return hello().read_bytes()


def reference(path: Path) -> dict[str, object]:
    """What the loader read with pyelftools before it had its own reader."""
    from elftools.elf.elffile import ELFFile

    data = path.read_bytes()
    elf = ELFFile(io.BytesIO(data))
    segments = [(seg["p_paddr"], data[seg["p_offset"]:seg["p_offset"] + seg["p_filesz"]],
                 seg["p_memsz"], index, seg["p_vaddr"], seg["p_offset"])
                for index, seg in enumerate(elf.iter_segments())
                if seg["p_type"] == "PT_LOAD" and seg["p_memsz"]]
    sections = [(sec.name, sec["sh_addr"], sec["sh_size"]) for sec in elf.iter_sections()
                if sec["sh_flags"] & 0x2 and sec["sh_type"] != "SHT_NULL"]
    symbols: dict[str, int] = {}
    sizes: dict[str, int] = {}
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None and hasattr(symtab, "iter_symbols"):
        for sym in symtab.iter_symbols():
            if sym.name and sym["st_shndx"] != "SHN_UNDEF":
                symbols.setdefault(sym.name, sym["st_value"])
                sizes.setdefault(sym.name, sym["st_size"])
    h = elf.header
    return {"entry": h["e_entry"], "segments": segments, "sections": sections,
            "symbols": symbols, "sizes": sizes,
            "header_end": max(h["e_ehsize"], h["e_phoff"] + h["e_phnum"] * h["e_phentsize"])}


def ours(image: Image) -> dict[str, object]:
    return {"entry": image.entry,
            "segments": [(s.addr, s.data, s.memsz, s.index, s.vaddr, s.offset)
                         for s in image.segments],
            "sections": [(s.name, s.addr, s.size) for s in image.sections],
            "symbols": image.symbols, "sizes": image.symbol_sizes,
            "header_end": image.header_end}


def assert_same_as_pyelftools(path: Path) -> Image:
    image = load(str(path), RAW_ADDR)
    assert not image.raw
    assert ours(image) == reference(path)
    return image


def test_assembled_program() -> None:
    image = assert_same_as_pyelftools(hello())
    assert image.entry == 0x80000000 and "_start" in image.symbols


def test_program_linked_without_script(tmp_path: Path) -> None:
    """Plain `ld -Ttext`: one segment starting a page low, at the headers."""
    elf = program("loader_ttext", "    .globl _start\n_start:\n    j _start\n"
                  "    .data\nword: .word 1\n    .bss\nzeros: .space 64\n")
    assert_same_as_pyelftools(elf)


@pytest.mark.parametrize("name", ["hello", "trap", "paging"])
def test_example_kernel(name: str, example_elf: Callable[[str], Path]) -> None:
    image = assert_same_as_pyelftools(example_elf(name))
    assert image.symbols  # Rust kernels: thousands of symbols, mangled names included


def test_p0(p0_elf: Path) -> None:
    image = assert_same_as_pyelftools(p0_elf)
    assert image.symbols["_start"] == image.entry == 0x80000000


def test_p0_without_linker_script(p0_noscript_elf: Path) -> None:
    assert_same_as_pyelftools(p0_noscript_elf)


def test_stripped(tmp_path: Path) -> None:
    """No section headers at all (e_shoff 0, as `strip`-like tools or a hand-made file
    may leave): segments and entry only."""
    data = bytearray(hello_bytes())
    struct.pack_into("<I", data, 0x20, 0)  # e_shoff
    struct.pack_into("<HH", data, 0x30, 0, 0)  # e_shnum, e_shstrndx
    elf = tmp_path / "no-sections.elf"
    elf.write_bytes(bytes(data))
    image = assert_same_as_pyelftools(elf)
    assert image.sections == [] and image.symbols == {}


# --- damaged files ----------------------------------------------------------------------

def load_fails(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "bad.elf"
    path.write_bytes(data)
    with pytest.raises(RvirtError) as e:
        load(str(path), RAW_ADDR)
    message = str(e.value)
    assert "\n" not in message and str(path) in message
    return message


def test_every_cut_is_one_line(tmp_path: Path) -> None:
    """A good ELF cut anywhere from its 4th byte on: the headers, the segment, the
    sections, the symbol table and the string tables all end up past the end."""
    data = hello_bytes()
    for length in range(4, len(data), 7):
        message = load_fails(data[:length], tmp_path)
        assert "truncated" in message, (length, message)


def _patched(data: bytes, offset: int, fmt: str, *values: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


def _symtab_header(data: bytes) -> int:
    """File offset of the .symtab section's header."""
    shoff = elf32_layout(data)["shoff"]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    for i in range(shnum):
        if struct.unpack_from("<I", data, shoff + i * shentsize + 4)[0] == 2:  # SHT_SYMTAB
            return shoff + i * shentsize
    raise AssertionError("no symbol table")


DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "phoff-past-end": (lambda d: _patched(d, 0x1C, "<I", len(d) + 100), "truncated"),
    "phnum-huge": (lambda d: _patched(d, 0x2C, "<H", 0xFFF0), "truncated"),
    "phentsize-small": (lambda d: _patched(d, 0x2A, "<H", 8), "program header size"),
    "shoff-past-end": (lambda d: _patched(d, 0x20, "<I", len(d) - 8), "section headers"),
    "shentsize-small": (lambda d: _patched(d, 0x2E, "<H", 4), "section header size"),
    "shstrndx-out-of-range": (lambda d: _patched(d, 0x32, "<H", 999), "section name table"),
    "symtab-entsize-zero": (lambda d: _patched(d, _symtab_header(d) + 36, "<I", 0),
                            "entry size"),
    "symtab-past-end": (lambda d: _patched(d, _symtab_header(d) + 16, "<I", len(d)),
                        "symbol table"),
    "symtab-bad-link": (lambda d: _patched(d, _symtab_header(d) + 24, "<I", 500),
                        "string table"),
}


@pytest.mark.parametrize("case", DAMAGE, ids=list(DAMAGE))
def test_damaged_tables(case: str, tmp_path: Path) -> None:
    damage, words = DAMAGE[case]
    message = load_fails(damage(hello_bytes()), tmp_path)
    assert words in message and "ELF" in message


def test_damaged_section_headers_on_the_command_line(tmp_path: Path) -> None:
    elf = tmp_path / "bad-sections.elf"
    elf.write_bytes(DAMAGE["shoff-past-end"][0](hello_bytes()))
    line = one_error_line(run_rvirt(*ARGS, "-bios", str(elf), timeout=30, input=b""))
    assert str(elf) in line and "malformed or truncated ELF" in line


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_header_damage_never_raises_anything_else(tmp_path: Path,
                                                         data: st.DataObject) -> None:
    """Bytes overwritten in the ELF header, the program headers or the section headers:
    the file loads or gives an RvirtError, never another exception."""
    good = hello_bytes()
    lay = elf32_layout(good)
    region = data.draw(st.sampled_from([(0, 52), (lay["phoff"], lay["phnum"] * 32),
                                        (lay["shoff"], len(good) - lay["shoff"])]))
    at = data.draw(st.integers(region[0], region[0] + region[1] - 1))
    value = data.draw(st.binary(min_size=1, max_size=4))
    bad = bytearray(good)
    bad[at:at + len(value)] = value
    path = tmp_path / "fuzzed.elf"
    path.write_bytes(bytes(bad[:len(good)]))
    try:
        load(str(path), RAW_ADDR)
    except RvirtError as e:
        assert "\n" not in str(e)
