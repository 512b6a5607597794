"""The virt machine: RAM, boot ROM, devices and one hart wired from the board's slot
table, images loaded as QEMU 7.2 loads them, and the run loop.  Its public run, register
and memory API is what the debug facade (rvirt.debug.machine_target.MachineTarget) and the
Python API build on; the board itself knows nothing of debugging.  Observers from higher
layers (history's recorder) use the hooks it declares: `replaying`, `on_ram_rewritten`,
`on_outside_write`, and the hart's `on_watched_write`.
"""

from __future__ import annotations

import mmap
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rvirt.board import memmap as MM
from rvirt.board.images import gaps, load_images, wire_htif
from rvirt.board.slots import ACLINT_SLOTS, SLOTS
from rvirt.board.stop import CSR_REGNUM_BASE, REG_PC, REG_PRIV, Stop
from rvirt.board.timebase import NS_PER_TICK, Timebase
from rvirt.board.virtio import guest_memory, plug_virtio
from rvirt.cpu import csr as C
from rvirt.cpu.hart import Hart
from rvirt.cpu.mmu import debug_translate
from rvirt.devices.aclint_sswi import Sswi
from rvirt.devices.base import Device
from rvirt.devices.bootrom import reset_vector
from rvirt.devices.clint import Clint
from rvirt.devices.goldfish_rtc import GoldfishRtc
from rvirt.devices.htif import Htif
from rvirt.devices.plic import Plic
from rvirt.devices.sifive_test import SifiveTest
from rvirt.devices.uart16550 import Uart16550
from rvirt.devices.virtio_mmio import VirtioMmio
from rvirt.errors import MachineExit, MachineReset, RvirtError
from rvirt.exec.codecache import DEFAULT_BOUND, CodeCache
from rvirt.exec.interp import execute
from rvirt.exec.translate import Translator
from rvirt.isa.xlen import MASK, XLEN
from rvirt.loader.elf import Image
from rvirt.mem.bus import Bus

if TYPE_CHECKING:
    from rvirt.board.semihost import Semihost
    from rvirt.diag.profile import Profile

ACCELS = ("native", "tcg", "interp")
SLICE = 1 << 16  # instructions between looks at the timer, console and debugger
# The same on the native tier, which runs them in about a millisecond: each batch end
# costs the machine's work between batches and an interpreted tail (a block must fit
# the budget whole), so short batches would take a third of its time.  Timer events
# still end a batch exactly where they fall.
NATIVE_SLICE = 1 << 20
MAX_HARTS = 8


class VirtioSpec:
    """One virtio device: `kind` is QEMU's driver name (virtio-blk-device,
    virtio-rng-device); `bus` the virtio-mmio-bus.N it goes on (None: the one QEMU picks,
    the free transport at the highest address); a block device's raw image and options.
    A plain class for start-up's sake, as BoardConfig."""

    __slots__ = ("kind", "bus", "file", "readonly", "snapshot", "cache", "serial", "what")

    def __init__(self, kind: str, bus: int | None = None, file: str | None = None,
                 readonly: bool = False, snapshot: bool = False, cache: str = "writeback",
                 serial: str = "", what: str = "-device") -> None:
        self.kind = kind
        self.bus = bus
        self.file = file
        self.readonly = readonly
        self.snapshot = snapshot
        self.cache = cache
        self.serial = serial  # virtio-blk's serial (what GET_ID answers)
        self.what = what  # the option that made it, for messages

    def __repr__(self) -> str:
        return f"VirtioSpec({self.kind!r}, bus={self.bus}, file={self.file!r})"


class BoardConfig:
    """What the board is made with.  A plain class rather than a dataclass: generating
    a dataclass's methods for these fields cost every start-up more than the board
    spends reading them."""

    def __init__(self, *, ram_size: int = 128 << 20, bios: str | None = None,
                 kernel: str | None = None, icount_shift: int = 0, no_reboot: bool = False,
                 clock: str = "virtual", accel: str | None = None,
                 rng_seed: bytes | None = None, rtc_epoch_ns: int | None = None,
                 virtio: tuple[VirtioSpec, ...] = (), virtio_legacy: bool = True,
                 harts: int = 1, quantum: int = 1 << 12, smp_seed: int | None = None,
                 aclint: bool = False, semihosting: bool = False,
                 semihosting_userspace: bool = False, semihosting_console: bool = False,
                 semihosting_cmdline: str = "", append: str | None = None,
                 initrd: str | None = None, dtb: str | None = None,
                 data_dirs: tuple[str, ...] = (), code_cache: str | None = None,
                 code_cache_bound: int | None = None) -> None:
        self.ram_size = ram_size  # QEMU's default for -machine virt
        self.bios = bios  # path, or "none"
        self.kernel = kernel
        self.icount_shift = icount_shift  # each instruction takes 2**shift ns of virtual time
        self.no_reboot = no_reboot
        # "virtual": time follows retired instructions (deterministic, the default);
        # "host": mtime follows the host's monotonic clock, as QEMU without -icount.
        self.clock = clock
        # Execution tier, as QEMU's -accel: "native" compiles hot blocks to machine code with
        # LLVM (llvmlite; without it, it runs as "tcg"), "tcg" runs hot blocks translated to
        # Python (with either, the interpreter still single-steps and runs whenever a
        # breakpoint or watchpoint is set), "interp" the reference interpreter only.
        # RVIRT_ACCEL sets the default so the whole test suite can run on any tier.
        self.accel = os.environ.get("RVIRT_ACCEL", "native") if accel is None else accel
        # For runs that repeat exactly (the Python API's default): the device tree's 32-byte
        # rng-seed and the RTC's time at power-on, in ns since the epoch.  None: fresh random
        # bytes and the host's time, as QEMU.
        self.rng_seed = rng_seed
        self.rtc_epoch_ns = rtc_epoch_ns
        # virtio devices on the virtio-mmio transports, in the order QEMU creates them
        # (-device in command-line order), and the transports' version: legacy (1) as
        # QEMU 7.2's virtio-mmio.force-legacy=true default, else modern (2).
        self.virtio = virtio
        self.virtio_legacy = virtio_legacy
        # -smp: harts, run in turns of `quantum` instructions each (deterministic: the same
        # interleaving every run, on every tier).
        self.harts = harts
        self.quantum = quantum
        # -smp-seed: turns of 1 to 2*quantum instructions and the next hart drawn from this
        # seed and the machine's position, so another seed gives another interleaving, the
        # same one every run (and in a replay, which restores the position).
        self.smp_seed = smp_seed
        # -machine virt,aclint=on: the CLINT's MSWI and MTIMER described as ACLINT parts in
        # the device tree, and an ACLINT SSWI at 0x2F00000 (rvirt.board.slots.ACLINT_SLOTS).
        self.aclint = aclint
        # -semihosting / -semihosting-config: serve the guest's semihosting calls
        # (rvirt.board.semihost); userspace: from U-mode too; on_console: SYS_WRITEC/WRITE0
        # print on the console (chardev=), else on stderr; cmdline: SYS_GET_CMDLINE's answer.
        self.semihosting = semihosting
        self.semihosting_userspace = semihosting_userspace
        self.semihosting_console = semihosting_console
        self.semihosting_cmdline = semihosting_cmdline
        # -append, -initrd, -dtb: the kernel's command line (/chosen/bootargs), its initial
        # ramdisk, a device tree file to pass instead of the generated one.
        self.append = append
        self.initrd = initrd
        self.dtb = dtb
        # -L: where -bios default (or no -bios) looks for QEMU's OpenSBI first, and where a
        # -bios FILE that is not a path is looked for, as QEMU's data directories
        self.data_dirs = data_dirs
        # -accel native: the directory of the code cache (rvirt.exec.codecache), native
        # code kept between runs, and its bound in bytes (None: the default); None: none
        # (the Python API's default, so that a run does not depend on earlier ones).
        self.code_cache = code_cache
        self.code_cache_bound = code_cache_bound
        if not 1 <= self.harts <= MAX_HARTS:
            raise RvirtError(f"-smp {self.harts}: rvirt's virt board has 1 to {MAX_HARTS} harts")
        if self.quantum < 1:
            raise RvirtError(f"a hart's turn must be at least 1 instruction, not {self.quantum}")
        if self.clock not in ("virtual", "host"):
            raise RvirtError(f"-clock {self.clock}: expected virtual or host")
        if self.accel not in ACCELS:
            raise RvirtError(f"-accel {self.accel}: unknown accelerator (rvirt has "
                             f"{', '.join(ACCELS)})")


class Board(Timebase):
    """A virt board with its rv32 harts (-smp), ready to run from the reset vector at
    0x1000.  `hart` is hart 0, the one a debugger looks at."""

    xlen = XLEN
    # The devices of the board's slots (rvirt.board.slots), set by _wire_devices.
    clint: Clint
    plic: Plic
    test: SifiveTest
    uart: Uart16550
    rtc: GoldfishRtc
    sswi: Sswi  # only with aclint=on
    htif: Htif | None  # HTIF's mailboxes, when the images have them (images.wire_htif)

    def __init__(self, config: BoardConfig,
                 console: Callable[[bytes], None] | None = None,
                 notice: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.notice = notice or (lambda msg: print(f"rvirt: {msg}", file=sys.stderr))
        if config.ram_size <= 0:
            raise RvirtError("RAM size must be larger than 0")
        if MM.DRAM_BASE + config.ram_size > 1 << 32:  # rv32: DRAM ends below 4 GiB
            raise RvirtError(f"RAM size {config.ram_size >> 20}M is too large for rv32 virt "
                             f"(at most 2048M)")
        # Anonymous memory is zero-filled by the host kernel page by page, on first touch,
        # so a large -m costs nothing at start-up.  Private, so that reading a page never
        # written (a snapshot looking for non-zero pages) maps the shared zero page
        # instead of allocating one, as a shared mapping would.
        self.ram = mmap.mmap(-1, config.ram_size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.bus = Bus()
        self.bus.add_ram("dram", MM.DRAM_BASE, self.ram)
        # Per-hart state hangs off each hart; the harts share RAM and, so that a store by
        # one drops what any translated from that code, the flags of code and watched
        # pages (the board fans the notifications out: _code_written, _watched_write).
        self.hart = Hart(self.bus, MM.DRAM_BASE, self.ram)
        self.harts = [self.hart] + [Hart(self.bus, MM.DRAM_BASE, self.ram, hartid=i,
                                         pages_of=self.hart)
                                    for i in range(1, config.harts)]
        self.tiers: list[Translator | None] = [None] * config.harts  # each hart's blocks
        self.code_cache: CodeCache | None = None  # -accel native's, made with its first tier
        self.code_store: Any = None  # the harts' native code (rvirt.exec.native.CodeStore)
        self.turn = 0  # the hart whose turn it is
        self._turn_left = config.quantum
        self.idle_ns = 0  # virtual time skipped while the hart waited in wfi
        # Idle waits with a person at the console (set_input_wait): how wfi waits for the
        # console's input instead of skipping to its next timer at once.
        self.input_wait: Callable[[float], None] | None = None
        self.idle_realtime = False
        self.inputs = 0  # console_input calls so far
        self._pacing: tuple[int, int, int] | None = None  # (host ns, virtual ns, deadline)
        self._paced = False  # the last wfi wait ended with the deadline still ahead
        self.host_clock = config.clock == "host"
        self.icount_shift = config.icount_shift
        self.host_t0 = time.monotonic_ns()
        self.host_epoch_ns = (time.time_ns() if config.rtc_epoch_ns is None
                              else config.rtc_epoch_ns)
        for h in self.harts:
            h.clock = self.mtime
        # Declared hooks for observers from higher layers (history's recorder):
        # replaying: the machine re-runs recorded history, so what the guest prints is
        #   not printed again and idle waits take no real time (the log says when input
        #   came);
        # on_ram_rewritten: a system reset is about to rewrite all of RAM;
        # on_outside_write(pa, n): n bytes at physical pa written from outside the hart
        #   (the debugger, HTIF's fromhost).
        self.replaying = False
        self.on_ram_rewritten: list[Callable[[], None]] = []
        self.on_outside_write: list[Callable[[int, int], None]] = []
        # Where what the guest prints goes (a front end sharing the terminal may wrap it).
        self.print_out = console or stdout_write
        self.dma = guest_memory(self)
        self._wire_devices(self._output)
        self.semihost: Semihost | None = None
        if config.semihosting:
            from rvirt.board.semihost import Semihost
            self.semihost = Semihost(self, config.semihosting_userspace,
                                     config.semihosting_console, config.semihosting_cmdline)
            for h in self.harts:
                h.semihost = self.semihost
        self.images: list[Image] = []
        # (address, bytes) of every image piece that lands in RAM or ROM, copied in at
        # each reset; `dropped` describes the segment content that landed nowhere.
        self.placed: list[tuple[int, bytes]] = []
        self.dropped: list[str] = []
        self.symbols: dict[str, int] = {}
        self.rom_data = bytearray(MM.MROM.size)
        self.bus.add_rom("mrom", MM.MROM.base, self.rom_data)
        load_images(self)
        wire_htif(self)
        # Diagnostics that watch execution chunk by chunk (the -d block items, the
        # profile): called with (pc, count) before the interpreter runs cold code.  With
        # any of them the machine dispatches blocks on the interp tier too.  The block
        # logs need every block interpreted (interpret_blocks); the profile's translated
        # blocks report themselves, so with it alone hot code is still translated.
        self.chunk_hooks: list[Callable[[int, int], None]] = []
        self.interpret_blocks = False
        self.profile: Profile | None = None  # -profile (rvirt.diag.profile)
        self.breakpoints: set[int] = set()
        self.watchpoints: list[tuple[str, int, int]] = []
        self.progress = 0  # instructions (and traps) resume has run so far
        self.slice = SLICE  # batch length at most (NATIVE_SLICE on the native tier)
        self._max = 0  # resume's max_instructions
        self._batch_start = 0  # instret when the current batch began
        self._batch_pos = 0  # position then (before an interrupt it took)
        self.killed = False
        self.exit_status: int | None = None
        self.booted = False
        # resume() stops when `position` reaches this (None: no such bound): how a
        # replay stops at a recorded event or snapshot.
        self.pos_limit: int | None = None
        try:  # last, so that nothing after it can fail with disk images left open
            plug_virtio(self, self.config.virtio)
        except BaseException:
            self.close()
            raise
        self.reset()

    # --- construction ----------------------------------------------------------------
    def _wire_devices(self, console: Callable[[bytes], None]) -> None:
        """Every slot of the board's table (rvirt.board.slots): the device on the bus at
        its window, its interrupt on its PLIC source."""
        self.console_out = console
        self.virtio: list[VirtioMmio] = []
        self.devices: list[Device] = []
        for slot in ACLINT_SLOTS if self.config.aclint else SLOTS:
            dev = slot.make(self)
            region = slot.region
            self.bus.add_device(region.name, region.base, region.decode, dev)
            line = getattr(dev, "irq", None)
            if region.irq is not None and line is not None:
                line.connect(self.plic.source(region.irq))
            if slot.attr == "virtio":
                self.virtio.append(dev)  # type: ignore[arg-type]
            else:
                setattr(self, slot.attr, dev)
            self.devices.append(dev)

    def close(self) -> None:
        """The machine ends: devices flush and close what they hold (disk images)."""
        for t in self.virtio:
            t.close()


    def reset(self, step: bool = True) -> None:
        """System reset: images and ROM copied in again, devices and hart at power-on
        (QEMU reloads its ROM blobs on qemu_system_reset).  A guest's reset is one step of
        history (`step`); a debugger's happens at a point of it."""
        again = self.booted
        if again:
            # instret starts again from 0: what it had counted moves into traps, so
            # position goes on counting
            for h in self.harts:
                h.traps += h.retired()
            self.hart.traps += 1 if step else 0
            for hook in self.on_ram_rewritten:
                hook()
        self.drop_translations()  # RAM is about to be rewritten behind the translator
        if again:  # a system reset: RAM is zeroed again (at power-on it already is)
            zero = bytes(1 << 20)
            for o in range(0, len(self.ram), len(zero)):
                n = min(len(zero), len(self.ram) - o)
                self.ram[o:o + n] = zero[:n]
        rv = reset_vector(MM.DRAM_BASE, self.fdt_addr, self.kernel_addr)
        self.rom_data[:] = rv + bytes(len(self.rom_data) - len(rv))
        for addr, data in self.placed:
            if addr >= MM.DRAM_BASE:
                o = addr - MM.DRAM_BASE
                self.ram[o:o + len(data)] = data
            else:
                o = addr - MM.MROM.base
                self.rom_data[o:o + len(data)] = data
        o = self.fdt_addr - MM.DRAM_BASE
        if o >= 0:  # with a few KiB of RAM the rule puts it below RAM: QEMU loads nothing
            self.ram[o:o + len(self.dtb)] = self.dtb
        if again:
            # QEMU's RTC keeps running across a system reset while virtual time restarts
            self.host_epoch_ns += self.virtual_ns()
        self.booted = True
        for h in self.harts:  # every hart starts at the ROM, which reads its mhartid
            h.reset()
            h.instret = 0
        self.turn = 0
        self._turn_left = self._quantum()
        if self.firmware is not None:
            self.firmware.reset()
        self.idle_ns = 0
        self.host_t0 = time.monotonic_ns()
        for dev in self.devices:
            dev.reset()
        self.clint.update()

    def free_ram(self) -> tuple[int, int]:
        """The largest stretch of RAM nothing was loaded into (the images' segments, the
        device tree), as QEMU's rom_find_largest_gap_between: [start, end)."""
        ram_end = MM.DRAM_BASE + self.config.ram_size
        used = [(seg.addr, seg.addr + seg.memsz) for img in self.images
                for seg in img.segments]
        used.append((self.fdt_addr, self.fdt_addr + len(self.dtb)))
        best = (MM.DRAM_BASE, MM.DRAM_BASE)
        for lo, hi in gaps(MM.DRAM_BASE, ram_end, [(max(a, MM.DRAM_BASE), min(b, ram_end))
                                                     for a, b in used if a < ram_end
                                                     and b > MM.DRAM_BASE]):
            if hi - lo > best[1] - best[0]:
                best = (lo, hi)
        return best

    # --- running ---------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        """The hart waits in wfi and only outside input (console, debugger) can wake it
        (not while it waits, in real time, for a timer: see set_input_wait)."""
        return all(h.waiting for h in self.harts) and not self._paced

    def _poll_devices(self) -> None:
        self.clint.update()
        for h in self.harts:  # Sstc's comparators, each hart's own (Hart.write_stimecmp)
            if h.csr["stimer_armed"] and self.mtime() >= h.csr["stimer_at"]:
                h.sstc_fire()
        self.uart.update()
        self.rtc.update()

    def _timer_deadline(self) -> int | None:
        """When (mtime ticks) the next timer interrupt rises: a CLINT mtimecmp or a
        hart's Sstc stimecmp; None if none will."""
        deadline = self.clint.next_deadline()
        for h in self.harts:  # the armed Sstc comparators (Hart.write_stimecmp)
            c = h.csr
            if c["stimer_armed"] and (deadline is None or c["stimer_at"] < deadline):
                deadline = c["stimer_at"]
        return deadline

    def _wake(self) -> bool:
        """Wake the harts waiting in wfi that an interrupt is pending for; True if any
        hart can run."""
        running = False
        for h in self.harts:
            if h.waiting and h.read_mip() & h.csr["mie"]:
                h.waiting = False
            running = running or not h.waiting
        return running

    def _wake_from_wfi(self) -> bool:
        """Every hart waits in wfi: skip virtual time to the next timer event; False if
        nothing will come."""
        if self._wake():
            return True
        self._paced = False
        deadline = self._timer_deadline()
        if deadline is None:
            return False
        if self.host_clock:  # real time must pass: sleep a little towards the deadline
            wait_ns = deadline * NS_PER_TICK - self.virtual_ns()
            if wait_ns > 0:
                time.sleep(min(wait_ns / 1e9, 0.01))
        elif self.input_wait is not None and not self.replaying:
            self._wait_for_input(deadline * NS_PER_TICK)
        else:  # (a replay never waits: the log says when input came)
            self._skip_to(deadline)
        self._poll_devices()
        return self._wake()

    def resume(self, max_instructions: int) -> Stop | None:
        """Run until a breakpoint, watchpoint or exit, or until `max_instructions` have
        run (also stopping where `pos_limit` says); None means the budget ran out with no
        stop.  A breakpoint at the current pc does not stop the first instruction, so
        continuing from a breakpoint makes progress.  The harts run in turns of
        `quantum` instructions, in hart order, skipping those that wait in wfi."""
        self.progress = 0
        self._max = max_instructions
        skip_bp = True
        limit = self.pos_limit
        try:
            while self.progress < max_instructions:
                if limit is not None and self._at() >= limit:
                    return None
                h = self._pick()
                if h is None:
                    if not self._wake_from_wfi():
                        return None
                    continue
                blocks = self._tier(self.turn)
                n = self._next_batch()
                bps = self.breakpoints
                if skip_bp and bps and h.pc in bps:
                    r = execute(h, min(n, 1))
                    skip_bp = False
                elif bps:
                    r = execute(h, n, bps, check_first=True)
                elif blocks is not None and not self.watchpoints:
                    # Batch after batch, with this machine's work between them done by
                    # _between_batches, called by the translator where it would return.
                    blocks.run(n)
                    continue
                else:
                    r = execute(h, n)
                skip_bp = False
                self._count_batch()
                if r is not None:
                    kind, addr = r
                    if kind == "breakpoint":
                        return Stop("breakpoint", addr)
                    return Stop("watch", addr, watch=kind)
        except (MachineExit, MachineReset) as e:
            return self._guest_request(e)
        return None

    def _pick(self) -> Hart | None:
        """The hart to run now: the one whose turn it is, until its quantum is used or
        it waits in wfi; then the next in hart order that can run (an interrupt pending
        for a waiting hart wakes it).  None when every hart waits."""
        harts = self.harts
        h = harts[self.turn]
        if len(harts) == 1:
            return None if h.waiting else h
        if not h.waiting and (self._turn_left > 0 or self._others_wait()):
            return h
        n = len(harts)
        start = self._first_candidate()
        for k in range(1, n + 1):
            i = (start + k) % n
            c = harts[i]
            if c.waiting and c.read_mip() & c.csr["mie"]:
                c.waiting = False
            if not c.waiting:
                if i != self.turn:
                    # Other harts may have stored to its reserved address meanwhile: its
                    # SC fails and its LR/SC loop tries again (a spurious failure, which
                    # the A extension allows, 8.2), so no store of theirs is missed.
                    c.reservation = None
                self.turn = i
                self._turn_left = self._quantum()
                return c
        return None

    def _draw(self, salt: int) -> int:
        """-smp-seed: 64 bits from the seed and the machine's position (splitmix64's
        mixing), so a run and its replay draw the same at the same point."""
        seed = self.config.smp_seed or 0
        x = (seed * 0x9E3779B97F4A7C15 + self._at() * 2 + salt) & 0xFFFFFFFFFFFFFFFF
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return x ^ (x >> 31)

    def _quantum(self) -> int:
        """The length of a new turn: the quantum, or with -smp-seed 1 to 2*quantum."""
        q = self.config.quantum
        return q if self.config.smp_seed is None else 1 + self._draw(0) % (2 * q)

    def _first_candidate(self) -> int:
        """The harts are asked in order after this one for the next turn: the running
        hart (hart order), or with -smp-seed a drawn one."""
        if self.config.smp_seed is None:
            return self.turn
        return self._draw(1) % len(self.harts)

    def _others_wait(self) -> bool:
        """Every hart but the running one waits in wfi with nothing to wake it: then the
        running hart's turn goes on past its quantum (the next one would be its own
        again), in batches as long as with one hart, until a batch boundary finds
        another hart able to run.  Whatever wakes one ends the batch: a timer deadline
        (batches end there), a device (polled between batches), or the running hart's
        own store to the CLINT or PLIC (its interrupt line ends the batch: _wake_line)."""
        cur = self.turn
        for i, h in enumerate(self.harts):
            if i != cur and (not h.waiting or h.read_mip() & h.csr["mie"]):
                return False
        return True

    def wake_line(self, h: Hart) -> None:
        """An interrupt wire of hart h changed (slots: every hart's CLINT and PLIC
        lines): if another hart is running, its batch ends, so a turn that went on
        while h waited hands over at this instruction."""
        if len(self.harts) > 1 and h.waiting:
            self.harts[self.turn].end_batch()

    @property
    def turn_left(self) -> int:
        """Instructions left in the turn of hart `turn` (with `turn`, what a snapshot of
        the machine keeps so that a replay interleaves the harts the same way)."""
        return self._turn_left

    @turn_left.setter
    def turn_left(self, n: int) -> None:
        self._turn_left = n

    @property
    def next_hart(self) -> int | None:
        """The hart that runs the next instruction (what _pick will choose, without its
        side effects), or None when every hart waits with nothing to wake it."""
        harts = self.harts
        h = harts[self.turn]
        if len(harts) == 1:
            return None if h.waiting else 0
        if not h.waiting and (self._turn_left > 0 or self._others_wait()):
            return self.turn
        n = len(harts)
        start = self._first_candidate()
        for k in range(1, n + 1):
            i = (start + k) % n
            c = harts[i]
            if not c.waiting or c.read_mip() & c.csr["mie"]:
                return i
        return None

    def _at(self) -> int:
        """position, at a batch boundary (where instret is exact)."""
        if len(self.harts) == 1:
            h = self.hart
            return h.instret + h.traps
        return sum(h.instret + h.traps for h in self.harts)

    @property
    def position(self) -> int:
        """The point of the run the machine is at: instructions retired plus steps that
        retire nothing (traps taken, guest resets) since power-on, over all harts.  Each
        instruction or trap moves it by one, so it names one machine state of a run
        exactly (the harts' turns are fixed by it too)."""
        return sum(h.retired() + h.traps for h in self.harts)

    @property
    def translator(self) -> Translator | None:
        """Hart 0's block tier (None until it first runs, or on the interp tier)."""
        return self.tiers[0]

    @translator.setter
    def translator(self, blocks: Translator) -> None:
        self.tiers[0] = blocks

    def _tier(self, i: int) -> Translator | None:
        """Hart i's block tier, made when it first runs; None when only the interpreter
        runs."""
        if self.config.accel == "interp" and not self.chunk_hooks:
            return None
        blocks = self.tiers[i]
        if blocks is None:
            blocks = self.tiers[i] = self._make_translator(self.harts[i])
            if self.interpret_blocks or (self.chunk_hooks and self.config.accel == "interp"):
                blocks.threshold = 1 << 62  # the dispatcher only interprets, by blocks
            if len(self.harts) > 1:
                # Code pages are shared: a store by any hart reaches every hart's
                # translations, and no tier clears a page another still translates.
                blocks.clears_pages = False
                for h in self.harts:
                    h.on_code_write = self._code_written
        if self.chunk_hooks:
            blocks.on_chunk = self._chunk
        if self.profile is not None and blocks.watch is not self.profile:
            # Blocks report themselves, one function each; those made before could
            # not, so they go.
            blocks.flush()
            blocks.watch = self.profile
        blocks.proceed = self._between_batches
        return blocks

    def exec_stats(self) -> dict[str, Any]:
        """What the harts' block tiers did (RVIRT_STATS, the bench): counts summed over
        the harts, compile times listed."""
        out: dict[str, Any] = {"accel": self.config.accel}
        for blocks in self.tiers:
            for name, v in ({} if blocks is None else blocks.stats()).items():
                out[name] = out.get(name, [] if isinstance(v, list) else 0) + v
        return out

    def _code_written(self, pa: int) -> None:
        for blocks in self.tiers:
            if blocks is not None:
                blocks.code_written(pa)

    def _make_translator(self, h: Hart) -> Translator:
        """The block tier -accel asks for; native only where llvmlite is installed (it
        is imported when the first block gets hot, not here)."""
        if self.config.accel == "native":
            from rvirt.exec import native
            if native.available():
                self.slice = NATIVE_SLICE
                # compiles on the compiler's thread: the guest never waits for LLVM
                if self.code_store is None:  # one for the harts: each runs the others' code
                    self.code_store = native.CodeStore(self._code_cache())
                return native.NativeTranslator(h, background=True, store=self.code_store)
            self.notice("-accel native: llvmlite is not installed; running hot code as "
                        "Python blocks (-accel tcg)")
        return Translator(h)

    def _code_cache(self) -> CodeCache | None:
        """The harts' shared code cache, made with the first native tier."""
        cfg = self.config
        if self.code_cache is None and cfg.code_cache is not None:
            self.code_cache = CodeCache(cfg.code_cache, cfg.code_cache_bound or DEFAULT_BOUND,
                                        warn=self.notice)
        return self.code_cache

    def _next_batch(self) -> int:
        """Before a batch: take an interrupt that is pending and enabled, and size the
        batch so that it ends where the next timer or device event falls (or at SLICE,
        or where the hart's turn ends), so where a device's time-driven interrupt lands
        does not depend on how a run is cut into resume() calls: replays and forward
        runs see it at the same point."""
        h = self.harts[self.turn]
        limit = self.pos_limit
        many = len(self.harts) > 1
        if many or limit is not None:  # (one hart and no limit: no need, and it is hot)
            self._batch_pos = self._at()
            if limit is not None and self._batch_pos >= limit:
                self._batch_start = h.instret
                return 0  # at the point asked for: not even an interrupt is taken
        cause = h.pending_interrupt()
        if cause is not None:
            h.take_trap(cause, 0, interrupt=True)
            # The built-in firmware handles its M-mode interrupts inside the trap and
            # returns at once (the M timer raises STIP): what became takeable then is
            # taken now, as QEMU does right after OpenSBI's mret.  (Bounded: each round
            # masks or clears what it handled.)
            for _ in range(4) if h.m_vector >= 0 else ():
                cause = h.pending_interrupt()
                if cause is None:
                    break
                h.take_trap(cause, 0, interrupt=True)
        n = min(self._max - self.progress, self.slice)
        if many and not self._others_wait():
            n = min(n, max(1, self._turn_left - (self._at() - self._batch_pos)))
        deadline = self._timer_deadline()
        if deadline is not None:
            n = min(n, self._insns_until(deadline))
        ns = self.uart.next_deadline()
        if self.rtc.alarm_running:
            alarm = self.rtc.next_deadline()
            if alarm is not None:
                alarm -= self.host_epoch_ns
                ns = alarm if ns is None else min(ns, alarm)
        if ns is not None:
            n = min(n, self._insns_until_ns(ns))
        if limit is not None:
            n = min(n, limit - self._at())
        self._batch_start = h.instret
        return n

    def _count_batch(self) -> None:
        """After a batch: count it (a trapping instruction is progress too, so a trap
        storm ends) and let the devices look at the time and the console."""
        done = max(1, self.harts[self.turn].instret - self._batch_start)
        self.progress += done
        # A turn is counted in steps of position (instructions and traps), not batches:
        # however a run is cut (a breakpoint, a replay's stopping point), the turns end
        # at the same points, so a replay interleaves the harts as the run did.
        if len(self.harts) > 1:
            self._turn_left -= self._at() - self._batch_pos
        self._poll_devices()

    def _between_batches(self) -> int | None:
        """The translator's `proceed`: resume's loop from one batch to the next, in the
        same order (count, poll, then stop or take an interrupt and size the next
        batch).  The end (instret) of the next batch, or None to return to resume (which
        also hands the turn on)."""
        self._count_batch()
        h = self.harts[self.turn]
        if (self.progress >= self._max or h.waiting or self.breakpoints
                or self.watchpoints or self.pos_limit is not None
                and self._at() >= self.pos_limit
                or len(self.harts) > 1 and self._turn_left <= 0
                and not self._others_wait()):
            return None
        return h.instret + self._next_batch()

    def _guest_request(self, e: MachineExit | MachineReset) -> Stop | None:
        """The guest asked to exit or to reset (test finisher, HTIF): the stop to report,
        or None after a reset (reset() drops the translations, so the images copied into
        RAM again are fetched afresh).  With -no-reboot a reset request exits 0."""
        if isinstance(e, MachineReset) and not self.config.no_reboot:
            self.reset()
            return None
        self.exit_status = e.status if isinstance(e, MachineExit) else 0
        return Stop("exited", status=self.exit_status)

    def run(self, max_instructions: int | None = None) -> int | None:
        """Run without a debugger until the guest exits (the exit status), or until
        max_instructions ran (None); an idle hart with nothing to wake it returns None."""
        budget = max_instructions
        while budget is None or budget > 0:
            stop = self.resume(self.slice if budget is None else min(budget, self.slice))
            if stop is not None and stop.kind == "exited":
                return stop.status
            if self.idle:
                return None
            if budget is not None:
                budget -= max(1, self.progress)
        return None

    def step(self, hart: int = 0) -> Stop:
        """One instruction of hart `hart`, interrupts and timers masked (QEMU's default
        sstep_flags); the other harts do not run.  A step of the hart whose turn it is
        uses its turn as running would, so stepping through a turn interleaves as a run."""
        if len(self.harts) > 1 and hart == self.next_hart:
            self._pick()  # its turn comes as in a run (a new quantum, its reservation)
        h = self.harts[hart]
        h.waiting = False
        before = self._at()
        try:
            r = execute(h, 1)
        except (MachineExit, MachineReset) as e:
            return self._guest_request(e) or Stop("step")
        finally:
            if hart == self.turn:
                self._turn_left -= self._at() - before
        if r is not None and r[0] != "breakpoint":
            return Stop("watch", r[1], watch=r[0])
        return Stop("step")

    def _chunk(self, pc: int, count: int) -> None:
        for hook in self.chunk_hooks:
            hook(pc, count)

    # --- registers and memory, as a debugger sees them ------------------------------------
    def read_register(self, regnum: int, hart: int = 0) -> int | None:
        h = self.harts[hart]
        if 0 <= regnum < 32:
            return h.x[regnum]
        if regnum == REG_PC:
            return h.pc
        if regnum == REG_PRIV:
            return h.priv
        if CSR_REGNUM_BASE <= regnum < CSR_REGNUM_BASE + 4096:
            return h.csr_peek(regnum - CSR_REGNUM_BASE)
        return None

    def write_register(self, regnum: int, value: int, hart: int = 0) -> bool:
        h = self.harts[hart]
        value &= MASK
        if 0 <= regnum < 32:
            if regnum:
                h.x[regnum] = value
            return True
        if regnum == REG_PC:
            h.pc = value & ~1  # IALIGN=16: pc bit 0 is always zero
            return True
        if regnum == REG_PRIV:
            if value in (C.PRV_U, C.PRV_S, C.PRV_M):
                h.priv = value
                h.update_mode()  # memory accessors depend on the privilege
                return True
            return False
        if CSR_REGNUM_BASE <= regnum < CSR_REGNUM_BASE + 4096:
            return h.csr_poke(regnum - CSR_REGNUM_BASE, value)
        return False

    def csr_names(self) -> dict[int, str]:
        return {num: c.name for num, c in sorted(self.hart.csrs.items())}

    def _debug_pages(self, addr: int, length: int) -> list[tuple[int, int, int]] | None:
        """(physical address, offset in the request, length) per page of a debugger
        access, translated with the current privilege and satp as QEMU's
        cpu_memory_rw_debug does; None if a page is not mapped."""
        out = []
        done = 0
        while done < length:
            va = (addr + done) & MASK
            n = min(length - done, 0x1000 - (va & 0xFFF))
            pa = debug_translate(self.hart, va)
            if pa is None:
                return None
            out.append((pa, done, n))
            done += n
        return out

    def read_memory(self, addr: int, length: int) -> bytes | None:
        if not self.hart.mmu.data_on:
            return self.bus.debug_read(addr, length)
        pages = self._debug_pages(addr, length)
        if pages is None:
            return None
        parts = [self.bus.debug_read(pa, n) for pa, _, n in pages]
        return None if any(p is None for p in parts) else b"".join(parts)  # type: ignore[misc]

    def write_memory(self, addr: int, data: bytes) -> bool:
        """Write RAM (and ROM, as QEMU's debug write does) at a virtual address as the
        hart sees it now; False if nothing is there."""
        self.drop_translations()  # the debugger may patch code
        if not self.hart.mmu.data_on:
            return self.write_physical(addr, data)
        pages = self._debug_pages(addr, len(data))
        if pages is None:
            return False
        return all(self.write_physical(pa, data[off:off + n]) for pa, off, n in pages)

    def write_physical(self, pa: int, data: bytes) -> bool:
        """A write to physical memory from outside the hart (the debugger, HTIF's
        fromhost): the bus's debug write, told to on_outside_write's observers."""
        for hook in self.on_outside_write:
            hook(pa, len(data))
        return self.bus.debug_write(pa, data)

    # --- input from outside, breakpoints -------------------------------------------------
    def console_input(self, data: bytes) -> None:
        """Bytes typed at the console, for UART0's receive side.  Typed during a
        real-time idle wait, they arrive at the virtual time they came (set_input_wait)."""
        self._end_pacing()
        self.inputs += 1
        self.uart.receive(data)

    def _output(self, data: bytes) -> None:
        """What the guest prints (UART0, HTIF's console): not again in a replay."""
        if not self.replaying:
            self.print_out(data)

    def drop_translations(self) -> None:
        """Forget translated code (RAM is rewritten behind the translators)."""
        for blocks in self.tiers:
            if blocks is not None:
                blocks.flush()

    def add_breakpoint(self, addr: int) -> None:
        self.breakpoints.add(addr)

    def remove_breakpoint(self, addr: int) -> None:
        self.breakpoints.discard(addr)

    def add_watchpoint(self, kind: str, addr: int, length: int) -> None:
        """kind is "watch" (write), "rwatch" (read) or "awatch" (either)."""
        self.watchpoints.append((kind, addr, length))
        for h in self.harts:
            h.set_watchpoints(self.watchpoints)

    def remove_watchpoint(self, kind: str, addr: int, length: int) -> None:
        if (kind, addr, length) in self.watchpoints:
            self.watchpoints.remove((kind, addr, length))
        for h in self.harts:
            h.set_watchpoints(self.watchpoints)

    def clear_breakpoints(self) -> None:
        self.breakpoints.clear()
        self.watchpoints.clear()
        for h in self.harts:
            h.set_watchpoints([])

    def kill(self) -> None:
        self.killed = True


def stdout_write(data: bytes) -> None:
    out = sys.stdout.buffer
    out.write(data)
    out.flush()
