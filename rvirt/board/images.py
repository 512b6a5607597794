"""The board's images, loaded as QEMU 7.2 loads them (hw/riscv/boot.c, virt.c
virt_machine_done; virt-rv32.md 2.4): -bios (a file, QEMU's OpenSBI from -L, or the
built-in firmware), -kernel, -initrd and the device tree, each piece placed where it
lands in RAM or the boot ROM (copied in again at each reset), or refused in one line."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM
from rvirt.devices.bootrom import reset_vector
from rvirt.devices.htif import Htif
from rvirt.errors import RvirtError
from rvirt.loader.elf import Image, load, read_image

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.firmware import Firmware

# What the generated device tree says the harts implement (riscv,isa).
ISA_STRING = "rv32imac_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc"


def load_images(m: Board) -> None:
    """-bios, -kernel, -initrd and the device tree as QEMU 7.2 loads them
    (hw/riscv/boot.c, virt.c virt_machine_done; virt-rv32.md 2.4)."""
    cfg = m.config
    bios = cfg.bios
    m.firmware: Firmware | None = None
    if cfg.initrd is not None and cfg.kernel is None:
        raise RvirtError("-initrd only allowed with -kernel option")  # QEMU's words
    if cfg.append and cfg.kernel is None:
        raise RvirtError("-append only allowed with -kernel option")
    if bios is None or bios == "default":
        # QEMU looks for OpenSBI's fw_dynamic in its data directories (-L first);
        # rvirt looks in the -L ones and otherwise runs its built-in firmware.
        bios = find_firmware(cfg.data_dirs)
    elif bios != "none":
        bios = find_file(bios, cfg.data_dirs)
    fw_end = MM.DRAM_BASE
    if bios is None:
        # imported here: a run with its own -bios never pays for the built-in firmware
        from rvirt.firmware import REGION_SIZE, Firmware
        fw = Firmware(m.bus, MM.DRAM_BASE, cfg.ram_size, clint_base=MM.CLINT.base,
                      uart_base=MM.UART0.base, test_base=MM.TEST.base)
        for h in m.harts:
            fw.attach(h)
        m.firmware = fw
        m.placed.append((MM.DRAM_BASE, fw.image()))
        fw_end = MM.DRAM_BASE + REGION_SIZE
    elif bios != "none":
        img = load(bios, MM.DRAM_BASE, "-bios")
        place(m, img, "-bios")
        if img.raw and bios == cfg.bios:
            m.notice(f"-bios {bios}: no ELF header, loading it as a raw image at "
                        f"{MM.DRAM_BASE:#x}")
        fw_end = max(s.addr + s.memsz for s in img.segments)
    m.kernel_addr = 0
    initrd: tuple[int, int] | None = None
    if cfg.kernel is not None:
        # A raw kernel goes after the firmware, 4 MiB aligned on rv32
        # (riscv_calc_kernel_start_addr); with -bios none that is DRAM's base.
        align = 4 << 20
        start = (fw_end + align - 1) & ~(align - 1) if bios != "none" else MM.DRAM_BASE
        img = load(cfg.kernel, start, "-kernel")
        if m.firmware is not None:
            _check_clear_of_firmware(img)
        place(m, img, "-kernel")
        if img.raw:
            m.notice(f"-kernel {cfg.kernel}: no ELF header, loading it as a raw image "
                        f"at {start:#x}")
        # fw_dynamic_info's next_addr and the initrd's base: QEMU 7.2's
        # riscv_load_kernel returns the ELF's lowest load address, not e_entry
        m.kernel_addr = img.lowest
        if cfg.initrd is not None:
            initrd = _load_initrd(m, cfg.initrd, m.kernel_addr)
    m.dtb = _device_tree(m, initrd)
    m.fdt_addr = MM.fdt_address(cfg.ram_size, m.fdt_size)
    fdt_end = m.fdt_addr + m.fdt_size
    for img in m.images:
        for seg in img.segments:
            if seg.addr < fdt_end and m.fdt_addr < seg.addr + seg.memsz:
                # QEMU refuses this too ("Some ROM regions are overlapping")
                raise RvirtError(
                    f"{img.path}: segment {seg.addr:#010x}-{seg.addr + seg.memsz - 1:#010x}"
                    f" overlaps the device tree at {m.fdt_addr:#010x}-{fdt_end - 1:#010x}"
                    f" (give more RAM with -m)")
    if initrd is not None and initrd[0] < fdt_end and m.fdt_addr < initrd[1]:
        raise RvirtError(f"-initrd {cfg.initrd}: {initrd[0]:#010x}-{initrd[1] - 1:#010x} "
                         f"overlaps the device tree at {m.fdt_addr:#010x} (give more "
                         f"RAM with -m)")

def _check_clear_of_firmware(img: Image) -> None:
    """QEMU refuses a kernel over its firmware ("rom: requested regions overlap")."""
    from rvirt.firmware import REGION_SIZE
    end = MM.DRAM_BASE + REGION_SIZE
    for seg in img.segments:
        if seg.addr < end and MM.DRAM_BASE < seg.addr + seg.memsz:
            raise RvirtError(
                f"-kernel {img.path}: segment {seg.addr:#010x}-"
                f"{seg.addr + seg.memsz - 1:#010x} overlaps the firmware at "
                f"{MM.DRAM_BASE:#010x}-{end - 1:#010x} (a kernel for the firmware is "
                f"linked at {MM.DRAM_BASE + (4 << 20):#x}; one linked at "
                f"{MM.DRAM_BASE:#x} runs with -bios none or as -bios FILE)")

def _load_initrd(m: Board, path: str, kernel_entry: int) -> tuple[int, int]:
    """QEMU 7.2 riscv_load_initrd: at the kernel's entry plus half of RAM, at most
    128 MiB on, so a kernel unpacking itself does not overwrite it."""
    start = kernel_entry + min(m.config.ram_size // 2, 128 << 20)
    data = read_image(path, "-initrd")
    ram_end = MM.DRAM_BASE + m.config.ram_size
    if start + len(data) > ram_end:
        raise RvirtError(f"could not load ramdisk '{path}': {len(data)} bytes at "
                         f"{start:#x} do not fit in {m.config.ram_size >> 20}M of RAM")
    m.placed.append((start, data))
    return start, start + len(data)

def _device_tree(m: Board, initrd: tuple[int, int] | None) -> bytes:
    """The generated tree, or -dtb's, with /chosen's bootargs (-append) and initrd
    range as QEMU 7.2 sets them.  Sets fdt_size, what QEMU places the tree by: its
    1 MiB buffer, or a -dtb file's size plus 10000 (load_device_tree)."""
    cfg = m.config
    from rvirt.board.devicetree import update_chosen, virt_device_tree
    if cfg.dtb is None:
        seed = os.urandom(32) if cfg.rng_seed is None else cfg.rng_seed
        m.fdt_size = MM.FDT_BUFFER_SIZE
        return virt_device_tree(cfg.ram_size, ISA_STRING, rng_seed=seed,
                                bootargs=cfg.append, initrd=initrd, harts=cfg.harts,
                                aclint=cfg.aclint)
    data = read_image(cfg.dtb, "-dtb")
    m.fdt_size = len(data) + 10000
    return update_chosen(data, cfg.dtb, cfg.append, initrd, cfg.rng_seed)

def place(m: Board, img: Image, what: str) -> None:
    """Put an image's segments where they land, as QEMU 7.2 does: the bytes that fall
    in RAM or in the boot ROM are loaded (at each reset), the rest are dropped.  A
    warning names the segments whose content (not just ELF headers) was dropped."""
    ram_end = MM.DRAM_BASE + m.config.ram_size
    if img.raw:
        seg = img.segments[0]
        if seg.addr + seg.memsz > ram_end:
            raise RvirtError(f"{what} {img.path}: {seg.memsz} bytes do not fit in "
                             f"{m.config.ram_size >> 20}M of RAM")
    rom_lo = MM.MROM.base + len(reset_vector(MM.DRAM_BASE, 0))
    dropped: list[str] = []
    lost = 0
    for seg in img.segments:
        end = seg.addr + seg.memsz
        kept = []
        for lo, hi in ((MM.DRAM_BASE, ram_end), (MM.MROM.base, MM.MROM.base + MM.MROM.size)):
            a, b = max(seg.addr, lo), min(end, hi)
            if a >= b:
                continue
            if lo == MM.MROM.base and a < rom_lo:
                # QEMU: "rom: requested regions overlap" with its reset vector blob
                raise RvirtError(f"{what} {img.path}: segment {seg.index} "
                                 f"({seg.addr:#010x}-{end - 1:#010x}) overlaps the boot "
                                 f"ROM's reset vector at {MM.MROM.base:#x}-{rom_lo - 1:#x}")
            kept.append((a, b))
            data = seg.data[a - seg.addr:b - seg.addr]
            if data:
                m.placed.append((a, data))
        missing = gaps(seg.addr, end, kept)
        content = [n for lo, hi in missing for n in img.content_in(seg, lo, hi)]
        if content:
            lost += sum(hi - lo for lo, hi in missing)
            where = ", ".join(f"{lo:#010x}-{hi - 1:#010x}" for lo, hi in missing)
            names = " ".join(dict.fromkeys(content))
            dropped.append(f"segment {seg.index} ({names}, {where})")
    if dropped:
        m.dropped = dropped
        one = len(dropped) == 1
        listed = dropped[0] if one else ", ".join(dropped[:-1]) + " and " + dropped[-1]
        m.notice(f"warning: {what} {img.path}: {listed} {'is' if one else 'are'} "
                    f"outside RAM and ROM, so {'its' if one else 'their'} {lost} bytes "
                    f"were dropped; RAM starts at {MM.DRAM_BASE:#x}, where the linker "
                    f"script should put the kernel")
    m.images.append(img)
    for name, addr in img.symbols.items():
        m.symbols.setdefault(name, addr)


def wire_htif(m: Board) -> None:
    """HTIF mailboxes, when the images define both `tohost` and `fromhost` in RAM
    (Spike's rule; virt-rv32.md section 8).  The mailboxes are ordinary RAM, so the
    hart reports stores to their pages (watch_pages): each command is taken exactly
    at the store that completes it, whichever store path (translated or not) made it."""
    m.htif = None
    tohost, fromhost = m.symbols.get("tohost"), m.symbols.get("fromhost")
    if tohost is None or fromhost is None:
        return
    ram_end = MM.DRAM_BASE + m.config.ram_size
    if not all(MM.DRAM_BASE <= a and a + 8 <= ram_end for a in (tohost, fromhost)):
        return
    htif = Htif(tohost, fromhost, m.bus.debug_read, m.write_physical,
                m.uart.output)  # the same console as UART0
    for a in (tohost, tohost + 7, fromhost, fromhost + 7):
        m.hart.watch_pages[(a - MM.DRAM_BASE) >> 12] = 1  # (shared by the harts)
    for h in m.harts:
        h.on_watched_write = htif.stored
    m.htif = htif
    m.devices.append(htif)  # type: ignore[arg-type]


# The file QEMU 7.2 loads for -bios default on rv32 (riscv_default_firmware_name).
DEFAULT_FIRMWARE = "opensbi-riscv32-generic-fw_dynamic.bin"


def find_firmware(dirs: tuple[str, ...]) -> str | None:
    """QEMU's default firmware in one of the -L directories; None: the built-in one."""
    for d in dirs:
        path = os.path.join(d, DEFAULT_FIRMWARE)
        if os.path.isfile(path):
            return path
    return None


def find_file(name: str, dirs: tuple[str, ...]) -> str:
    """A -bios name as QEMU's qemu_find_file: the path itself if it exists, else the
    first -L directory holding it (else the name, for the loader's error)."""
    if os.path.exists(name):
        return name
    for d in dirs:
        path = os.path.join(d, name)
        if os.path.isfile(path):
            return path
    return name


def gaps(lo: int, hi: int, kept: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [lo, hi) outside the sorted, disjoint ranges `kept`."""
    out = []
    for a, b in sorted(kept):
        if lo < a:
            out.append((lo, a))
        lo = max(lo, b)
    if lo < hi:
        out.append((lo, hi))
    return out
