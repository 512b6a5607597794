"""`rvirt memmap KERNEL.elf [-m SIZE] [-o FILE.svg]`: the tutorial's `readelf -l` step,
drawn.  The ELF's loadable segments, its sections, entry point and linker-script symbols
are placed on the virt board's memory map (rvirt.board.memmap), with a warning for what
will not boot as meant: content outside RAM and ROM, overlaps, an entry point the boot
ROM does not jump to.  Text on stdout; with -o, a self-contained SVG picture.
"""

from __future__ import annotations

import io
import math
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from rvirt.board import memmap as MM
from rvirt.errors import RvirtError

USAGE = """\
usage: rvirt memmap KERNEL.elf [-m SIZE] [-o FILE.svg]

Places the kernel's loadable segments, sections, entry point and linker-script symbols on
the virt board's memory map (what `readelf -l` says, drawn), and warns about what will not
boot: content outside RAM and ROM, overlapping segments, an entry point other than
0x80000000 (where the boot ROM jumps with -bios).

  -m SIZE        RAM size, as for the machine (default 128M)
  -o FILE.svg    also draw the map as an SVG picture
  -h, --help     this help
"""

ROM_JUMP = MM.DRAM_BASE  # where the reset vector jumps with -bios (QEMU 7.2 boot.c)
RESET_VECTOR_SIZE = 64   # the reset vector and fw_dynamic_info (rvirt.devices.bootrom)

# Symbols a linker script provides for `_start` and the runtime: always shown when the ELF
# has them (other global, sizeless symbols outside code are shown too).
LINKER_SYMBOLS = {
    "_init_stack_top": "sp", "_stack_top": "sp", "_stack_start": "", "_stack_end": "",
    "_stack_bottom": "", "_global_pointer": "gp", "__global_pointer$": "gp",
    "_bss_start": "", "_bss_end": "", "__bss_start": "", "_sbss": "", "_ebss": "",
    "_heap_start": "", "_heap_end": "", "_end": "", "_edata": "", "_kernel_end": "",
    "_memory_start": "", "_memory_end": "",
}

# What each board region is, for the listing and the picture's hover titles.
BOARD = [
    (MM.MROM, "mrom", "boot ROM; its reset vector jumps to 0x80000000"),
    (MM.TEST, "test", "SiFive test finisher (power off, reboot)"),
    (MM.RTC, "rtc", "Goldfish RTC"),
    (MM.CLINT, "clint", "CLINT (msip, mtimecmp, mtime)"),
    (MM.PLIC, "plic", "PLIC (external interrupts)"),
    (MM.UART0, "uart0", "NS16550A UART (the console)"),
]


@dataclass
class Box:
    """One thing on the map: [lo, hi) physical, or the point lo when hi == lo."""

    kind: str  # region, gap, part, segment, section, symbol, entry
    name: str
    lo: int
    hi: int
    note: str = ""
    flagged: bool = False
    children: list[Box] = field(default_factory=list)

    @property
    def point(self) -> bool:
        return self.kind in ("symbol", "entry")

    def holds(self, addr: int) -> bool:
        return self.lo <= addr < self.hi


@dataclass
class MemoryMap:
    path: str
    ram_size: int
    entry: int
    top: list[Box]  # board regions and the unmapped gaps that hold something, by address
    values: list[tuple[str, int]]  # linker-script symbols that are no address on the map
    warnings: list[str]
    notes: list[str]


# --- reading the ELF ------------------------------------------------------------------

@dataclass
class _Seg:
    index: int
    lo: int  # physical
    filesz: int
    memsz: int
    vaddr: int
    offset: int
    flags: str


@dataclass
class _Sec:
    name: str
    vaddr: int
    size: int
    flags: str = ""
    nobits: bool = False
    offset: int | None = None  # in the file; None when unknown


def _details(data: bytes) -> tuple[dict[int, str],
                                   dict[tuple[str, int], tuple[str, bool, int]],
                                   list[tuple[str, int, int, str, str, str]]]:
    """What the loader does not keep: segment flags, section flags and types, symbol
    kinds.  The loader has checked the file, so this only adds detail."""
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(io.BytesIO(data))
    seg_flags = {}
    for i, seg in enumerate(elf.iter_segments()):
        f = seg["p_flags"]
        seg_flags[i] = ("R" if f & 4 else "-") + ("W" if f & 2 else "-") + ("X" if f & 1 else "-")
    sec_info = {}
    kinds: dict[int, str] = {}
    for i, sec in enumerate(elf.iter_sections()):
        f = sec["sh_flags"]
        flags = ("W" if f & 1 else "") + ("A" if f & 2 else "") + ("X" if f & 4 else "")
        sec_info[(sec.name, sec["sh_addr"])] = (flags, sec["sh_type"] == "SHT_NOBITS",
                                                sec["sh_offset"])
        kinds[i] = "code" if f & 4 else "data"
    syms = []
    table = elf.get_section_by_name(".symtab")
    if table is not None and hasattr(table, "iter_symbols"):
        for s in table.iter_symbols():
            shndx = s["st_shndx"]
            where = "abs" if shndx == "SHN_ABS" else kinds.get(shndx, "") \
                if isinstance(shndx, int) else ""
            syms.append((s.name, s["st_value"], s["st_size"], s["st_info"]["type"],
                         s["st_info"]["bind"], where))
    return seg_flags, sec_info, syms


def build(path: str, ram_size: int) -> MemoryMap:
    """The map of `path` on a virt board with `ram_size` bytes of RAM.  Bad input is an
    RvirtError with one line (the loader's checks)."""
    from rvirt.loader.elf import load, read_image

    data = read_image(path, "kernel")
    if not data.startswith(b"\x7fELF"):
        raise RvirtError(f"kernel '{path}': not an ELF file (memmap reads ELF kernels)")
    image = load(path, MM.DRAM_BASE, "kernel")
    try:
        seg_flags, sec_info, syms = _details(data)
    except Exception:  # only detail is lost: the loader has read the file already
        seg_flags, sec_info, syms = {}, {}, []
    segs = [_Seg(s.index, s.addr, len(s.data), s.memsz, s.vaddr, s.offset,
                 seg_flags.get(s.index, "")) for s in image.segments]
    secs = [_Sec(s.name, s.addr, s.size, *sec_info.get((s.name, s.addr), ()))
            for s in image.sections if s.size]

    def phys(vaddr: int) -> int:
        for s in segs:
            if s.vaddr <= vaddr < s.vaddr + s.memsz:
                return vaddr - s.vaddr + s.lo
        return vaddr

    ram_end = MM.DRAM_BASE + ram_size
    fdt = MM.fdt_address(ram_size)
    warnings: list[str] = []
    notes: list[str] = []

    # the board
    regions = [Box("region", name, r.base, r.base + r.size, what) for r, name, what in BOARD]
    regions.insert(len(regions), Box("region", "virtio", MM.VIRTIO[0].base,
                                     MM.VIRTIO[-1].base + MM.VIRTIO[-1].size,
                                     f"{len(MM.VIRTIO)} virtio-mmio slots"))
    ram = Box("region", "ram", MM.DRAM_BASE, ram_end, f"RAM (-m {_m(ram_size)})")
    regions.append(ram)
    vector_box = Box("part", "reset vector", MM.MROM.base, MM.MROM.base + RESET_VECTOR_SIZE,
                     "the ROM's code and fw_dynamic_info; nothing may load here")
    # where QEMU's rule puts the DTB; with a tiny -m that is below RAM, where it is lost
    fdt_box = Box("part", "device tree", fdt, fdt + MM.FDT_BUFFER_SIZE,
                  "where the DTB goes for this RAM size (a1 at boot)")
    loadable = [(MM.DRAM_BASE, ram_end), (MM.MROM.base, MM.MROM.base + MM.MROM.size)]

    # segments and their sections
    seg_boxes: list[tuple[_Seg, Box]] = []
    placed_secs: set[int] = set()
    for s in segs:
        bss = s.memsz - s.filesz
        note = f"LOAD [{s.flags}] file {s.filesz:#x} bytes, memory {s.memsz:#x}"
        if bss:
            note += f" ({_size(bss)} zeroed)"
        if s.vaddr != s.lo:
            note += f", linked at {s.vaddr:#010x}"
        box = Box("segment", f"segment {s.index}", s.lo, s.lo + s.memsz, note)
        for i, sec in enumerate(secs):
            if i not in placed_secs and _in_segment(sec, s):
                placed_secs.add(i)
                lo = sec.vaddr - s.vaddr + s.lo
                what = f"[{sec.flags}]" + (", zeroed (no file bytes)" if sec.nobits else "")
                box.children.append(Box("section", sec.name, lo, lo + sec.size, what))
        if s.offset < image.header_end and s.filesz:
            head = min(image.header_end - s.offset, s.filesz)
            box.children.insert(0, Box("section", "ELF headers", s.lo, s.lo + head,
                                       "the file's ELF and program headers, loaded too"))
        seg_boxes.append((s, box))
    loose = [Box("section", sec.name, sec.vaddr, sec.vaddr + sec.size,
                 f"[{sec.flags}] in no loadable segment: not loaded")
             for i, sec in enumerate(secs) if i not in placed_secs]

    # what does not land in RAM or ROM
    img_segs = {seg.index: seg for seg in image.segments}
    for s, box in seg_boxes:
        for part, lo, hi in (("content", s.lo, s.lo + s.filesz),
                             ("bss", s.lo + s.filesz, s.lo + s.memsz)):
            gaps = _outside(lo, hi, loadable)
            if not gaps:
                continue
            names = [n for a, b in gaps for n in image.content_in(img_segs[s.index], a, b)]
            where = ", ".join(f"{a:#010x}-{b - 1:#010x}" for a, b in gaps)
            size = sum(b - a for a, b in gaps)
            if not names:
                notes.append(f"note: segment {s.index}'s {_size(size)} at {where} hold only "
                             f"the ELF headers and lie outside RAM: they are dropped, which "
                             f"does no harm")
                continue
            box.flagged = True
            past_end = all(a >= ram_end for a, _ in gaps) and lo >= MM.DRAM_BASE
            hint = (f"RAM ends at {ram_end - 1:#010x} with -m {_m(ram_size)}: give more "
                    f"with -m" if past_end else
                    f"RAM starts at {MM.DRAM_BASE:#x}, where the linker script should put "
                    f"the kernel")
            if part == "content":
                what, fate = "content", f"its {size} bytes are dropped when it is loaded"
            else:
                what, fate = "bss (memsz beyond filesz)", f"no memory holds its {size} bytes"
            warnings.append(f"warning: segment {s.index}'s {what} at {where} "
                            f"({', '.join(dict.fromkeys(names))}) is outside RAM and ROM: "
                            f"{fate}; {hint}")
        rv = (MM.MROM.base, MM.MROM.base + RESET_VECTOR_SIZE)
        if s.lo < rv[1] and rv[0] < s.lo + s.memsz:
            box.flagged = vector_box.flagged = True
            warnings.append(f"warning: segment {s.index} ({_range(s.lo, s.lo + s.memsz)}) "
                            f"overlaps the boot ROM's reset vector at {_range(*rv)}: rvirt and "
                            f"QEMU refuse to start")
        if s.lo < fdt + MM.FDT_BUFFER_SIZE and fdt < s.lo + s.memsz:
            box.flagged = fdt_box.flagged = True
            warnings.append(f"warning: segment {s.index} ({_range(s.lo, s.lo + s.memsz)}) "
                            f"overlaps the device tree at "
                            f"{_range(fdt, fdt + MM.FDT_BUFFER_SIZE)}: rvirt and QEMU refuse "
                            f"to start (give more RAM with -m)")
    for i, (a, abox) in enumerate(seg_boxes):
        for b, bbox in seg_boxes[i + 1:]:
            lo, hi = max(a.lo, b.lo), min(a.lo + a.memsz, b.lo + b.memsz)
            if lo < hi:
                abox.flagged = bbox.flagged = True
                names = [c.name for box in (abox, bbox) for c in box.children
                         if c.lo < hi and lo < c.hi]
                inside = f" ({', '.join(dict.fromkeys(names))})" if names else ""
                warnings.append(f"warning: segments {a.index} and {b.index} overlap at "
                                f"{_range(lo, hi)}{inside}: QEMU refuses to start (\"Some ROM "
                                f"regions are overlapping\"), and one's bytes would overwrite "
                                f"the other's")

    # the entry point and the linker script's symbols
    entry = phys(image.entry)
    # the function at the entry point; a plain label (assembly) when there is none
    at_entry = [(kind != "STT_FUNC", n) for n, v, _, kind, _, w in syms
                if n and v == image.entry and w == "code" and not n.startswith("$")
                and kind in ("STT_FUNC", "STT_NOTYPE")]
    entry_label = min(at_entry)[1] if at_entry else ""
    entry_box = Box("entry", "entry point", entry, entry, entry_label)
    points = [entry_box]
    if image.entry != ROM_JUMP:
        entry_box.flagged = True
        named = f" ({entry_label})" if entry_label else ""
        warnings.append(f"warning: the entry point is {image.entry:#010x}{named}, but the boot "
                        f"ROM jumps to {ROM_JUMP:#x} (with -bios): the ELF's entry point is "
                        f"not used, so the kernel's first instruction must be linked at "
                        f"{ROM_JUMP:#x}")
    if not any(s.lo <= ROM_JUMP < s.lo + s.filesz for s in segs):
        warnings.append(f"warning: nothing of the kernel is loaded at {ROM_JUMP:#x}, where the "
                        f"boot ROM jumps: the hart runs the zeros there (an illegal "
                        f"instruction, then traps to mtvec = 0)")
    values: list[tuple[str, int]] = []
    by_addr: dict[int, list[str]] = {}
    for name, value, size, kind, bind, where in syms:
        known = name in LINKER_SYMBOLS
        script_like = (kind == "STT_NOTYPE" and size == 0 and bind == "STB_GLOBAL"
                       and where in ("abs", "data"))
        if not (known or script_like) or not name:
            continue
        addr = phys(value)
        if where == "abs" and not known and not MM.DRAM_BASE <= addr <= ram_end:
            values.append((name, value))  # a size or a constant, not an address
            continue
        by_addr.setdefault(addr, []).append(name)
    for addr, names in sorted(by_addr.items()):
        names = sorted(dict.fromkeys(names), key=lambda n: (n not in LINKER_SYMBOLS, n))
        roles = sorted({LINKER_SYMBOLS.get(n, "") for n in names} - {""})
        # what the tutorial's _start loads from them
        note = f"for {' and '.join(roles)}" if roles else ""
        points.append(Box("symbol", ", ".join(names), addr, addr, note))

    # everything into its place: regions (or the unmapped gaps) hold segments, sections
    # not in a segment, and points; a segment holds its sections; a section its points
    top = list(regions)
    for box in [vector_box, fdt_box] + [b for _, b in seg_boxes] + loose + points:
        home = next((r for r in top if r.holds(box.lo)), None)
        if home is None:
            home = _gap_box(box.lo, top)
            top.append(home)
        if box.point:
            home = _innermost(home, box.lo)
        home.children.append(box)
    for box in top:
        _sort(box)
    top.sort(key=lambda b: b.lo)
    return MemoryMap(path, ram_size, image.entry, top, values, warnings, notes)


def _in_segment(sec: _Sec, seg: _Seg) -> bool:
    """Whether a segment holds the section, as readelf decides it (ELF_SECTION_IN_SEGMENT):
    by address, and for a section with file bytes by file offset too, so that segments
    overlapping in memory each keep their own sections."""
    if not seg.vaddr <= sec.vaddr < seg.vaddr + seg.memsz:
        return False
    if sec.nobits or sec.offset is None:
        return True
    return seg.offset <= sec.offset < seg.offset + seg.filesz


def _outside(lo: int, hi: int, allowed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [lo, hi) in none of the `allowed` ranges."""
    parts = [(lo, hi)] if lo < hi else []
    for a, b in allowed:
        parts = [p for x, y in parts for p in ((x, min(y, a)), (max(x, b), y)) if p[0] < p[1]]
    return parts


def _gap_box(addr: int, regions: list[Box]) -> Box:
    """The stretch with no memory and no device around `addr`."""
    below = max((r.hi for r in regions if r.hi <= addr), default=0)
    above = min((r.lo for r in regions if r.lo > addr), default=1 << 32)
    return Box("gap", "unmapped", below, above, "no memory, no device (loads are dropped, "
               "accesses fault)")


def _innermost(box: Box, addr: int) -> Box:
    for child in box.children:
        if not child.point and child.kind != "part" and child.holds(addr):
            return _innermost(child, addr)
    return box


_ORDER = {"region": 0, "gap": 0, "part": 1, "segment": 1, "section": 2, "entry": 3, "symbol": 4}


def _sort(box: Box) -> None:
    box.children.sort(key=lambda b: (b.lo, -(b.hi - b.lo), _ORDER[b.kind]))
    for child in box.children:
        _sort(child)


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return f"{n} B"


def _m(n: int) -> str:
    """A RAM size as -m takes it."""
    return f"{n >> 20}M" if n % (1 << 20) == 0 else f"{n >> 10}K"


def _range(lo: int, hi: int) -> str:
    """Inclusive, as QEMU's `info mtree` writes ranges."""
    return f"{lo:#010x}-{hi - 1:#010x}" if hi > lo else f"{lo:#010x}"


# --- text -----------------------------------------------------------------------------

def render_text(m: MemoryMap) -> str:
    out = [f"{m.path}: entry point {m.entry:#010x}; virt board with "
           f"{_size(m.ram_size)} of RAM at {MM.DRAM_BASE:#x}", ""]
    out.append(f"{'address':<25}  {'size':>9}  what")
    for box in m.top:
        if box.kind == "gap" or box.children or box.kind == "region":
            _text_box(box, 0, out)
    if m.values:
        out.append("")
        out.append("linker-script symbols that are values, not addresses: " + ", ".join(
            f"{name} = {value:#x}" for name, value in m.values))
    out.append("")
    out += m.notes + m.warnings
    if not m.warnings:
        out.append("no warnings: the kernel loads into RAM and starts at 0x80000000")
    return "\n".join(out) + "\n"


def _text_box(box: Box, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    if box.point:
        where, size = f"{box.lo:#010x}", ""
        name = "entry point" if box.kind == "entry" else box.name
        text = f"<- {name}" + (f" ({box.note})" if box.note else "")
    else:
        where, size = _range(box.lo, box.hi), _size(box.hi - box.lo)
        text = f"{box.name:<13} {box.note}"
    mark = "  [!]" if box.flagged else ""
    out.append(f"{pad}{where:<{25 - len(pad)}}  {size:>9}  {text}".rstrip() + mark)
    for child in box.children:
        _text_box(child, depth + 1, out)


# --- SVG ------------------------------------------------------------------------------
# Addresses run down the page on a scale that is not linear: the map is cut at every
# boundary, and each piece gets a height growing with the logarithm of its size, so a
# 256-byte UART and 128 MiB of RAM are both readable and keep their order.

_W = 1100
_X = {"region": 150, "gap": 150, "part": 330, "segment": 330, "section": 530}
_BOX_W = {"region": 580, "gap": 580, "part": 190, "segment": 370, "section": 170}
_LABEL_X = 760
_LABEL_CHARS = 36  # a longer symbol list is cut in the label (its hover title has it all)
_TEXT_CHARS = 150  # warnings wrap at this width


def render_svg(m: MemoryMap) -> str:
    boxes: list[Box] = []

    def walk(b: Box) -> None:
        boxes.append(b)
        for c in b.children:
            walk(c)

    shown = [b for b in m.top]
    for b in shown:
        walk(b)
    # the unmapped stretches between regions, drawn thin
    edges = sorted({e for b in boxes for e in (b.lo, b.hi)})
    starts = {b.lo for b in boxes if not b.point}
    ys: dict[int, float] = {}
    y = 70.0
    for i, e in enumerate(edges):
        ys[e] = y
        if i + 1 < len(edges):
            span = edges[i + 1] - e
            covered = any(b.lo <= e < b.hi for b in boxes if b.kind != "gap" and not b.point)
            if not covered:
                y += 10
            else:
                y += (16 if e in starts else 5) + 4 * math.log2(1 + span / 256)
    height = int(y + 40 + 18 * (len(m.warnings) + len(m.notes)))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{height}" '
           f'viewBox="0 0 {_W} {height}" font-family="monospace" font-size="11">',
           f"<title>{escape(m.path)}: memory map</title>",
           "<style>rect{stroke:#444;stroke-width:1} .region{fill:#eef3fb} .gap{fill:#f4f4f4;"
           "stroke-dasharray:3 3} .part{fill:#fdf0d5} .segment{fill:#d8ecd2;fill-opacity:.85}"
           " .section{fill:#fff;fill-opacity:.9} .flagged{stroke:#c00;stroke-width:2.5}"
           " .warn{fill:#c00} .addr{fill:#555}</style>",
           f'<text x="10" y="22" font-size="14">{escape(m.path)}</text>',
           f'<text x="10" y="42">entry point {m.entry:#010x}; virt board, '
           f'{escape(_size(m.ram_size))} of RAM at {MM.DRAM_BASE:#x}</text>']
    # segments that overlap each other are drawn side by side, shifted right
    shift: dict[int, int] = {}
    lanes: list[int] = []  # the end of the last segment in each lane
    for b in sorted((b for b in boxes if b.kind == "segment"), key=lambda b: b.lo):
        lane = next((i for i, end in enumerate(lanes) if end <= b.lo), len(lanes))
        lanes[lane:lane + 1] = [b.hi]
        for inner in [b, *b.children]:
            shift[id(inner)] = 22 * lane
    # the board first, then what lies on it (a segment running past RAM's end stays seen)
    for b in sorted((b for b in boxes if not b.point), key=lambda b: _ORDER[b.kind]):
        top, bottom = ys[b.lo], ys[b.hi]
        x = _X[b.kind] + shift.get(id(b), 0)
        cls = b.kind + (" flagged" if b.flagged else "")
        tip = f"{b.name}: {_range(b.lo, b.hi)} ({_size(b.hi - b.lo)})" + \
              (f" {b.note}" if b.note else "")
        out.append(f'<g><title>{escape(tip)}</title><rect class="{cls}" x="{x}" '
                   f'y="{top:.1f}" width="{_BOX_W[b.kind]}" height="{max(bottom - top, 2):.1f}"/>')
        label = b.name
        if b.kind in ("region", "section", "gap"):
            label += f"  {_size(b.hi - b.lo)}"
        elif b.kind == "segment":
            flags = b.note.split("]", 1)[0].split("[")[-1] if "[" in b.note else ""
            label += f" [{flags}]  {_size(b.hi - b.lo)}"
        if bottom - top >= 10:
            cls = ' class="warn"' if b.flagged else ""
            out.append(f'<text x="{x + 4}" y="{top + 12:.1f}"{cls}>'
                       f"{escape(label)}</text>")
        out.append("</g>")
    # addresses on the left: where each region starts, and where RAM ends
    marks = sorted({b.lo for b in m.top} | {max(b.hi for b in m.top)})
    last = -100.0
    for e in marks:
        if ys[e] - last >= 12:
            out.append(f'<text class="addr" x="8" y="{ys[e] + 10:.1f}">{e:#010x}</text>')
            last = ys[e]
    # points: a line at their address, the label in a column of its own
    label_y = 0.0
    for b in sorted((b for b in boxes if b.point), key=lambda b: ys[b.lo]):
        at = ys[b.lo]
        label_y = max(at, label_y + 13)
        name = b.name if len(b.name) <= _LABEL_CHARS else b.name[:_LABEL_CHARS - 3] + "..."
        text = f"entry point {b.lo:#010x}" if b.kind == "entry" else f"{name} {b.lo:#010x}"
        cls = ' class="warn"' if b.flagged else ""
        out.append(f'<g><title>{escape(b.name + ": " + b.note)}</title>'
                   f'<line x1="{_X["region"]}" y1="{at:.1f}" x2="{_LABEL_X - 4}" '
                   f'y2="{label_y:.1f}" stroke="{"#c00" if b.flagged else "#06c"}"/>'
                   f'<text x="{_LABEL_X}" y="{label_y + 4:.1f}"{cls}>{escape(text)}</text></g>')
    y = max(y, label_y) + 30
    for line in m.notes + m.warnings:
        cls = ' class="warn"' if line.startswith("warning") else ""
        for piece in textwrap.wrap(line, _TEXT_CHARS, subsequent_indent="    "):
            out.append(f'<text x="10" y="{y:.1f}"{cls} xml:space="preserve">'
                       f"{escape(piece)}</text>")
            y += 15
        y += 4
    out[0] = out[0].replace(f'height="{height}"', f'height="{int(y) + 10}"').replace(
        f"0 0 {_W} {height}", f"0 0 {_W} {int(y) + 10}")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- the command ----------------------------------------------------------------------

def main(argv: list[str]) -> int:
    try:
        kernel, ram_size, svg = _parse(argv)
        m = build(kernel, ram_size)
        text = render_text(m)
        if svg is not None:
            try:
                Path(svg).write_text(render_svg(m))
            except OSError as e:
                raise RvirtError(f"-o {svg}: {e.strerror}") from None
            text += f"picture: {svg}\n"
        sys.stdout.write(text)
        return 0
    except RvirtError as e:
        print(f"rvirt: memmap: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1


def _parse(argv: list[str]) -> tuple[str, int, str | None]:
    from rvirt.board.memmap import parse_size

    kernel: str | None = None
    ram_size = 128 << 20  # the machine's default
    svg: str | None = None
    i = 0
    while i < len(argv):
        a = argv[i]
        flag = a[1:] if a.startswith("--") else a
        if flag in ("-h", "-help"):
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        if flag in ("-m", "-o"):
            if i + 1 >= len(argv):
                raise RvirtError(f"{a}: requires an argument")
            i += 1
            if flag == "-m":
                ram_size = parse_size(argv[i])
                if MM.DRAM_BASE + ram_size > 1 << 32:  # as the machine refuses it
                    raise RvirtError(f"RAM size {ram_size >> 20}M is too large for rv32 virt "
                                     f"(at most 2048M)")
            else:
                svg = argv[i]
                if not svg.lower().endswith(".svg"):
                    raise RvirtError(f"-o {svg}: the picture is SVG: give a name ending in "
                                     f".svg")
        elif a.startswith("-") and a != "-":
            raise RvirtError(f"unknown option '{a}' (see rvirt memmap --help)")
        elif kernel is not None:
            raise RvirtError(f"unexpected argument '{a}': one kernel at a time")
        else:
            kernel = a
        i += 1
    if kernel is None:
        raise RvirtError("no kernel given (usage: rvirt memmap KERNEL.elf [-m SIZE] "
                         "[-o FILE.svg])")
    return kernel, ram_size, svg
