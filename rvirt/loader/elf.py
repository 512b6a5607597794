"""Image loading with QEMU's semantics (hw/riscv/boot.c, include/hw/elf_ops.h):
an ELF's PT_LOAD segments go to their physical addresses (p_paddr), the bss part of each
(memsz - filesz) is zero; a file without the ELF magic is a raw image.  Every problem is
an `RvirtError` with one clear line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from rvirt.errors import RvirtError

EM_RISCV = 243
SHF_ALLOC = 0x2
ELF_MAGIC = b"\x7fELF"


@dataclass
class Segment:
    addr: int  # physical (p_paddr): where the loader puts it
    data: bytes  # the file part (p_filesz bytes); the rest of memsz is zero
    memsz: int
    index: int = 0  # program header number, as `readelf -l` counts
    vaddr: int = 0  # p_vaddr, which the section headers' addresses use
    offset: int = 0  # p_offset in the file


@dataclass
class Section:
    """An allocated section (SHF_ALLOC), to say what a segment holds."""

    name: str
    addr: int  # virtual address
    size: int


@dataclass
class Image:
    path: str
    segments: list[Segment]
    raw: bool = False
    entry: int = 0
    symbols: dict[str, int] = field(default_factory=dict)
    symbol_sizes: dict[str, int] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    header_end: int = 0  # file bytes taken by the ELF header and the program headers

    def content_in(self, seg: Segment, lo: int, hi: int) -> list[str]:
        """Names of what segment `seg` holds at physical [lo, hi): its sections there,
        or, for an ELF without section headers, "data" when file bytes past the ELF and
        program headers (or bss) lie there.  Empty when only headers and padding do:
        plain `ld -Ttext=0x80000000` starts its one segment a page low, at the headers."""
        vlo, vhi = lo - seg.addr + seg.vaddr, hi - seg.addr + seg.vaddr
        if self.sections:
            return [s.name for s in self.sections
                    if s.size and s.addr < vhi and vlo < s.addr + s.size]
        file_lo = lo - seg.addr + seg.offset  # the file offset at lo
        data_hi = seg.addr + len(seg.data)
        has_bss = hi > data_hi
        has_data = lo < data_hi and seg.offset + (min(hi, data_hi) - seg.addr) > max(
            file_lo, self.header_end)
        return ["data"] if has_data or has_bss else []

    @property
    def lowest(self) -> int:
        return min(s.addr for s in self.segments)


def read_image(path: str, what: str = "file") -> bytes:
    p = Path(path)
    if p.exists() and not p.is_dir() and not p.is_file():
        # a device or a pipe (/dev/zero would be read forever)
        raise RvirtError(f"{what} '{path}': not a regular file")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise RvirtError(f"{what} '{path}': no such file") from None
    except IsADirectoryError:
        raise RvirtError(f"{what} '{path}': is a directory") from None
    except OSError as e:
        raise RvirtError(f"{what} '{path}': {e.strerror}") from None
    if not data:
        raise RvirtError(f"{what} '{path}': the file is empty")
    return data


def load(path: str, raw_addr: int, what: str = "file") -> Image:
    """Parse `path` as a RISC-V ELF (or a raw image placed at raw_addr)."""
    data = read_image(path, what)
    if not data.startswith(ELF_MAGIC):
        return Image(path, [Segment(raw_addr, data, len(data))], raw=True, entry=raw_addr)
    return _load_elf(path, data, what)


def _load_elf(path: str, data: bytes, what: str) -> Image:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    where = f"{what} '{path}'"
    if len(data) < 52:
        raise RvirtError(f"{where}: truncated ELF header ({len(data)} bytes)")
    if data[5] != 1:
        raise RvirtError(f"{where}: big-endian ELF; RISC-V is little-endian")
    # e_machine sits at offset 18 in both ELF classes: check the architecture first, so an
    # x86-64 program is called what it is, not just "64-bit".
    machine = int.from_bytes(data[18:20], "little")
    if machine != EM_RISCV:
        raise RvirtError(f"{where}: not a RISC-V ELF (e_machine {machine}, expected "
                         f"{EM_RISCV})")
    if data[4] == 2:
        raise RvirtError(f"{where}: is a 64-bit ELF; this machine is rv32 (-cpu rv32)")
    if data[4] != 1:
        raise RvirtError(f"{where}: bad ELF class byte {data[4]}")
    try:
        elf = ELFFile(io.BytesIO(data))
        segments = []
        for index, seg in enumerate(elf.iter_segments()):
            if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                continue
            filesz = seg["p_filesz"]
            off = seg["p_offset"]
            if off + filesz > len(data):
                raise RvirtError(f"{where}: truncated ELF (a segment at file offset "
                                 f"{off:#x} needs {filesz} bytes; the file has "
                                 f"{len(data)})")
            segments.append(Segment(seg["p_paddr"], data[off:off + filesz], seg["p_memsz"],
                                    index=index, vaddr=seg["p_vaddr"], offset=off))
        sections = [Section(sec.name, sec["sh_addr"], sec["sh_size"])
                    for sec in elf.iter_sections()
                    if sec["sh_flags"] & SHF_ALLOC and sec["sh_type"] != "SHT_NULL"]
        hdr = elf.header
        header_end = max(hdr["e_ehsize"], hdr["e_phoff"] + hdr["e_phnum"] * hdr["e_phentsize"])
        symbols: dict[str, int] = {}
        sizes: dict[str, int] = {}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None and hasattr(symtab, "iter_symbols"):
            for sym in symtab.iter_symbols():
                if sym.name and sym["st_shndx"] != "SHN_UNDEF":
                    symbols.setdefault(sym.name, sym["st_value"])
                    sizes.setdefault(sym.name, sym["st_size"])
        entry = elf.header["e_entry"]
    except RvirtError:
        raise
    except (ELFError, ValueError, KeyError, IndexError, OSError, EOFError) as e:
        raise RvirtError(f"{where}: malformed or truncated ELF ({e})") from None
    except Exception as e:  # pyelftools raises struct errors on cut-off tables
        raise RvirtError(f"{where}: malformed or truncated ELF ({type(e).__name__})") from None
    if not segments:
        raise RvirtError(f"{where}: the ELF has no loadable (PT_LOAD) segment")
    return Image(path, segments, entry=entry, symbols=symbols, symbol_sizes=sizes,
                 sections=sections, header_end=header_end)
