"""Image loading with QEMU's semantics (hw/riscv/boot.c, include/hw/elf_ops.h):
an ELF's PT_LOAD segments go to their physical addresses (p_paddr), the bss part of each
(memsz - filesz) is zero; a file without the ELF magic is a raw image.  Every problem is
an `RvirtError` with one clear line.
"""

from __future__ import annotations

import os
import stat
import struct

from rvirt.errors import RvirtError

EM_RISCV = 243
SHF_ALLOC = 0x2
ELF_MAGIC = b"\x7fELF"


# Plain classes rather than dataclasses: every start-up loads an ELF, and generating
# dataclass methods cost it more than reading the file.
class Segment:
    __slots__ = ("addr", "data", "memsz", "index", "vaddr", "offset")

    def __init__(self, addr: int, data: bytes, memsz: int, index: int = 0, vaddr: int = 0,
                 offset: int = 0) -> None:
        self.addr = addr  # physical (p_paddr): where the loader puts it
        self.data = data  # the file part (p_filesz bytes); the rest of memsz is zero
        self.memsz = memsz
        self.index = index  # program header number, as `readelf -l` counts
        self.vaddr = vaddr  # p_vaddr, which the section headers' addresses use
        self.offset = offset  # p_offset in the file

    def __repr__(self) -> str:
        return (f"Segment(addr={self.addr:#x}, {len(self.data)} bytes, memsz={self.memsz:#x}, "
                f"index={self.index})")


class Section:
    """An allocated section (SHF_ALLOC), to say what a segment holds."""

    __slots__ = ("name", "addr", "size")

    def __init__(self, name: str, addr: int, size: int) -> None:
        self.name = name
        self.addr = addr  # virtual address
        self.size = size

    def __repr__(self) -> str:
        return f"Section({self.name!r}, {self.addr:#x}, {self.size:#x})"


class Image:
    """A loaded file: its segments, entry, symbols and sections (raw: one segment)."""

    def __init__(self, path: str, segments: list[Segment], raw: bool = False, entry: int = 0,
                 symbols: dict[str, int] | None = None,
                 symbol_sizes: dict[str, int] | None = None,
                 sections: list[Section] | None = None, header_end: int = 0) -> None:
        self.path = path
        self.segments = segments
        self.raw = raw
        self.entry = entry
        self.symbols = {} if symbols is None else symbols
        self.symbol_sizes = {} if symbol_sizes is None else symbol_sizes
        self.sections = [] if sections is None else sections
        self.header_end = header_end  # file bytes taken by the ELF header and program headers

    def __repr__(self) -> str:
        return f"Image({self.path!r}, {len(self.segments)} segments, entry={self.entry:#x})"

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
    # os and stat rather than pathlib, which start-up would import for these two calls
    try:
        mode: int | None = os.stat(path).st_mode
    except OSError:
        mode = None  # reading it says what is wrong
    if mode is not None and not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
        # a device or a pipe (/dev/zero would be read forever)
        raise RvirtError(f"{what} '{path}': not a regular file")
    try:
        with open(path, "rb") as f:
            data = f.read()
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


# ELF32 little-endian records (the System V gABI, "Object Files"), read with struct
# rather than pyelftools: the loader needs only the headers and the symbol table, and
# importing pyelftools costs every run tens of milliseconds.  pyelftools is still what
# reads DWARF (rvirt.debug.dwarf), and only when something asks for line info.
_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")  # e_ident .. e_shstrndx: 52 bytes
_PHDR = struct.Struct("<8I")  # p_type p_offset p_vaddr p_paddr p_filesz p_memsz p_flags p_align
_SHDR = struct.Struct("<10I")  # sh_name sh_type sh_flags sh_addr sh_offset sh_size sh_link
#                                sh_info sh_addralign sh_entsize
_SYM = struct.Struct("<IIIBBH")  # st_name st_value st_size st_info st_other st_shndx
PT_LOAD = 1
SHT_NULL = 0
SHT_SYMTAB = 2
SHT_DYNSYM = 11
SHT_SUNW_LDYNSYM = 0x6FFFFFF3  # a symbol table too, as pyelftools counts them
SHN_UNDEF = 0
SHN_XINDEX = 0xFFFF  # e_shstrndx: the real index is in section 0's sh_link
PN_XNUM = 0xFFFF  # e_phnum: the real count is in section 0's sh_info


class _Malformed(Exception):
    """A table of the file that points outside it or is inconsistent; its text is the
    parenthesised detail of the one-line error."""


def _record(data: bytes, fmt: struct.Struct, offset: int, what: str) -> tuple[int, ...]:
    if offset + fmt.size > len(data):
        raise _Malformed(f"{what} at file offset {offset:#x} runs past the end of the file")
    return fmt.unpack_from(data, offset)


def _cstring(data: bytes, offset: int) -> str:
    """A NUL-terminated name; "" when it has no terminator before the end of the file
    (as pyelftools reads it), undecodable bytes replaced."""
    end = data.find(b"\0", offset)
    if end < 0 or offset >= len(data):
        return ""
    return data[offset:end].decode("utf-8", errors="replace")


def _load_elf(path: str, data: bytes, what: str) -> Image:
    where = f"{what} '{path}'"
    if len(data) < _EHDR.size:
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
    (_, _, _, _, entry, phoff, shoff, _, ehsize, phentsize, phnum, shentsize, shnum,
     shstrndx) = _EHDR.unpack_from(data)
    try:
        section0 = (_record(data, _SHDR, shoff, "section header 0")
                    if shoff and (phnum == PN_XNUM or shnum == 0 or shstrndx == SHN_XINDEX)
                    else None)
        if phnum == PN_XNUM and section0 is not None:
            phnum = section0[7]
        if phnum and phentsize < _PHDR.size:
            raise _Malformed(f"program header size {phentsize}, less than {_PHDR.size}")
        if phoff + phnum * phentsize > len(data):
            raise RvirtError(f"{where}: truncated ELF (the program headers at file offset "
                             f"{phoff:#x} need {phnum * phentsize} bytes; the file has "
                             f"{len(data)})")
        segments = []
        for index in range(phnum):
            p_type, off, vaddr, paddr, filesz, memsz, _, _ = _PHDR.unpack_from(
                data, phoff + index * phentsize)
            if p_type != PT_LOAD or memsz == 0:
                continue
            if off + filesz > len(data):
                raise RvirtError(f"{where}: truncated ELF (a segment at file offset "
                                 f"{off:#x} needs {filesz} bytes; the file has "
                                 f"{len(data)})")
            segments.append(Segment(paddr, data[off:off + filesz], memsz, index=index,
                                    vaddr=vaddr, offset=off))
        headers = _section_headers(data, shoff, shnum, shentsize, section0)
        names = _section_names(data, headers, shstrndx, section0)
        sections = [Section(name, h[3], h[5]) for name, h in zip(names, headers, strict=True)
                    if h[2] & SHF_ALLOC and h[1] != SHT_NULL]
        symbols, sizes = _symbols(data, headers, names)
    except _Malformed as e:
        raise RvirtError(f"{where}: malformed or truncated ELF ({e})") from None
    if not segments:
        raise RvirtError(f"{where}: the ELF has no loadable (PT_LOAD) segment")
    return Image(path, segments, entry=entry, symbols=symbols, symbol_sizes=sizes,
                 sections=sections, header_end=max(ehsize, phoff + phnum * phentsize))


def _section_headers(data: bytes, shoff: int, shnum: int, shentsize: int,
                     section0: tuple[int, ...] | None) -> list[tuple[int, ...]]:
    if shoff == 0:
        return []
    if shnum == 0 and section0 is not None:  # 0xff00 sections or more: section 0's sh_size
        shnum = section0[5]
    if shnum and shentsize < _SHDR.size:
        raise _Malformed(f"section header size {shentsize}, less than {_SHDR.size}")
    if shoff + shnum * shentsize > len(data):
        raise _Malformed(f"the section headers at file offset {shoff:#x} need "
                         f"{shnum * shentsize} bytes; the file has {len(data)}")
    return [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]


def _section_names(data: bytes, headers: list[tuple[int, ...]], shstrndx: int,
                   section0: tuple[int, ...] | None) -> list[str]:
    if not headers:
        return []
    if shstrndx == SHN_XINDEX and section0 is not None:
        shstrndx = section0[6]
    if shstrndx >= len(headers):
        raise _Malformed(f"section name table index {shstrndx}, but {len(headers)} sections")
    table = headers[shstrndx][4]  # sh_offset
    return [_cstring(data, table + h[0]) for h in headers]


def _symbols(data: bytes, headers: list[tuple[int, ...]], names: list[str]
             ) -> tuple[dict[str, int], dict[str, int]]:
    """The defined symbols of the section named .symtab (the last of that name, as
    pyelftools finds it) by name, first definition winning: values and sizes."""
    symbols: dict[str, int] = {}
    sizes: dict[str, int] = {}
    index = max((i for i, name in enumerate(names) if name == ".symtab"), default=None)
    if index is None:
        return symbols, sizes
    _, sh_type, _, _, offset, size, link, _, _, entsize = headers[index]
    if sh_type not in (SHT_SYMTAB, SHT_DYNSYM, SHT_SUNW_LDYNSYM):
        return symbols, sizes
    if entsize < _SYM.size or size % entsize:
        raise _Malformed(f"symbol table entry size {entsize} for {size} bytes")
    if offset + size > len(data):
        raise _Malformed(f"the symbol table at file offset {offset:#x} needs {size} bytes; "
                         f"the file has {len(data)}")
    if link >= len(headers):
        raise _Malformed(f"symbol string table index {link}, but {len(headers)} sections")
    strtab = headers[link][4]
    for at in range(offset, offset + size, entsize):
        st_name, value, st_size, _, _, shndx = _SYM.unpack_from(data, at)
        if shndx == SHN_UNDEF:
            continue
        name = _cstring(data, strtab + st_name)
        if name:
            symbols.setdefault(name, value)
            sizes.setdefault(name, st_size)
    return symbols, sizes
