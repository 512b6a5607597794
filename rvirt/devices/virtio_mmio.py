"""A virtio-mmio transport (eight of them at 0x10001000..0x10008000) and the split
virtqueues its device uses, as QEMU 7.2 `hw/virtio/virtio-mmio.c` and `hw/virtio/virtio.c`.

With no backend plugged in a slot reads as QEMU's empty transport (ref virt-rv32.md
3.6): magic, version and vendor read back, device ID 0, everything else 0, writes
dropped.  With a backend (virtio-blk, virtio-rng) the registers of the virtio 1.1 spec
section 4.2.2 (modern, version 2) or 4.2.4 (legacy, version 1, QEMU's
`force-legacy=true` default) drive it.

The guest is not trusted: a ring across the end of RAM, a second buffer outside RAM
while QEMU's one bounce buffer is held, a loop, a chain longer than the queue, a
write-only buffer before a read-only one, end in QEMU's `virtio_error` (the device is
marked broken and, with VIRTIO_F_VERSION_1, its status gets NEEDS_RESET) or in the
status the device's protocol gives; never in an exception of the host.  Buffers are
never read whole: a descriptor only names guest memory that the device copies in
bounded chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rvirt.devices.base import Device, DeviceAccessError, IrqLine
from rvirt.fdt import Node, u64

MAGIC_VALUE = 0x74726976  # "virt"
VERSION_LEGACY = 1
VERSION_MODERN = 2
VENDOR_ID = 0x554D4551  # "QEMU"
WINDOW = 0x200  # what QEMU maps per slot
CONFIG = 0x100  # device configuration space

# Register offsets (virtio 1.1 4.2.2 and 4.2.4)
MAGIC, VERSION, DEVICE_ID, VENDOR = 0x000, 0x004, 0x008, 0x00C
DEVICE_FEATURES, DEVICE_FEATURES_SEL = 0x010, 0x014
DRIVER_FEATURES, DRIVER_FEATURES_SEL = 0x020, 0x024
GUEST_PAGE_SIZE = 0x028
QUEUE_SEL, QUEUE_NUM_MAX, QUEUE_NUM, QUEUE_ALIGN, QUEUE_PFN = 0x030, 0x034, 0x038, 0x03C, 0x040
QUEUE_READY, QUEUE_NOTIFY = 0x044, 0x050
INTERRUPT_STATUS, INTERRUPT_ACK, STATUS = 0x060, 0x064, 0x070
QUEUE_DESC_LOW, QUEUE_DESC_HIGH = 0x080, 0x084
QUEUE_AVAIL_LOW, QUEUE_AVAIL_HIGH = 0x090, 0x094
QUEUE_USED_LOW, QUEUE_USED_HIGH = 0x0A0, 0x0A4
SHM_LEN_LOW, SHM_LEN_HIGH = 0x0B0, 0x0B4
CONFIG_GENERATION = 0x0FC

# Registers the guest only writes: QEMU logs a read as a guest error and returns 0.
_WRITE_ONLY = (DEVICE_FEATURES_SEL, DRIVER_FEATURES, DRIVER_FEATURES_SEL, GUEST_PAGE_SIZE,
               QUEUE_SEL, QUEUE_NUM, QUEUE_ALIGN, QUEUE_NOTIFY, INTERRUPT_ACK,
               QUEUE_DESC_LOW, QUEUE_DESC_HIGH, QUEUE_AVAIL_LOW, QUEUE_AVAIL_HIGH,
               QUEUE_USED_LOW, QUEUE_USED_HIGH)

# Device status bits (virtio 1.1 2.1)
S_ACKNOWLEDGE, S_DRIVER, S_DRIVER_OK, S_FEATURES_OK, S_NEEDS_RESET = 1, 2, 4, 8, 0x40

# Feature bits every QEMU virtio device has (virtio 1.1 6; QEMU's common properties)
F_NOTIFY_ON_EMPTY = 24
F_ANY_LAYOUT = 27
F_INDIRECT_DESC = 28
F_EVENT_IDX = 29
F_VERSION_1 = 32
F_RING_RESET = 40  # QEMU 7.2's queue_reset property, on by default
# What a modern transport hides (QEMU's VIRTIO_LEGACY_FEATURES: bad-feature, bit 30,
# notify-on-empty, any-layout)
LEGACY_ONLY = (1 << 30) | (1 << F_NOTIFY_ON_EMPTY) | (1 << F_ANY_LAYOUT)
COMMON_FEATURES = ((1 << F_NOTIFY_ON_EMPTY) | (1 << F_ANY_LAYOUT) | (1 << F_INDIRECT_DESC)
                   | (1 << F_EVENT_IDX) | (1 << F_RING_RESET))

QUEUE_MAX = 1024  # VIRTIO_QUEUE_MAX: queue indexes a guest may select
QUEUE_SIZE_MAX = 1024  # VIRTQUEUE_MAX_SIZE: QueueNumMax, and the buffers of one element
DEFAULT_ALIGN = 4096  # VIRTIO_PCI_VRING_ALIGN, the legacy ring's default alignment

# Descriptor flags (virtio 1.1 2.6.5) and ring flags
DESC_F_NEXT, DESC_F_WRITE, DESC_F_INDIRECT = 1, 2, 4
USED_F_NO_NOTIFY = 1
AVAIL_F_NO_INTERRUPT = 1
DESC_SIZE = 16
CHUNK = 1 << 20  # bytes copied at a time between guest memory and the host


class Dma:
    """The device's window on guest physical memory.  RAM (`base`, `size`) is read and
    written through `read(pa, n)` and `write(pa, data)`; any other address, as QEMU's
    address_space_map does for memory it cannot map directly, through one bounce buffer
    of at most a page: `other(pa, n)` gives what reads there see (ROM's bytes, zeros
    where nothing or a device is), and writes there are dropped."""

    BOUNCE_SIZE = 4096  # TARGET_PAGE_SIZE: QEMU's bounce buffer

    def __init__(self, base: int, size: int, read: Callable[[int, int], bytes],
                 write: Callable[[int, bytes], None],
                 other: Callable[[int, int], bytes] | None = None) -> None:
        self.base, self.end = base, base + size
        self._read, self._write = read, write
        self._other = other or (lambda pa, n: bytes(n))
        # QEMU has one bounce buffer: a second mapping of non-RAM memory fails while the
        # first is held (until its request completes)
        self.bounce_in_use = False

    def contains(self, pa: int, n: int) -> bool:
        return n >= 0 and self.base <= pa and pa + n <= self.end

    def touches(self, pa: int, n: int) -> bool:
        return pa < self.end and self.base < pa + n

    def ram_run(self, pa: int, n: int) -> int:
        """How many of the n bytes from pa lie in RAM before it ends (0: pa is not in RAM)."""
        return max(0, min(n, self.end - pa)) if self.base <= pa else 0

    def other_run(self, pa: int, n: int) -> int:
        """How many of the n bytes from pa lie outside RAM before it starts."""
        return min(n, self.base - pa) if pa < self.base else n

    def read(self, pa: int, n: int) -> bytes:
        """n bytes wholly in RAM or wholly outside it (the caller's mapping says which)."""
        return self._read(pa, n) if self.contains(pa, n) else self._other(pa, n)

    def write(self, pa: int, data: bytes) -> None:
        if self.contains(pa, len(data)):
            self._write(pa, data)


class VirtioError(Exception):
    """The guest broke the virtio protocol: QEMU's `virtio_error`."""


class Element:
    """A popped chain: its head index and the guest ranges (address, length) the device
    reads (`out`) and writes (`in_`), as QEMU's VirtQueueElement.  (This module's classes
    are plain, not dataclasses: every start-up imports it and paid for their methods.)"""

    def __init__(self, head: int, out: list[tuple[int, int]] | None = None,
                 in_: list[tuple[int, int]] | None = None, bounce: bool = False) -> None:
        self.head = head
        self.out = [] if out is None else out
        self.in_ = [] if in_ is None else in_
        self.bounce = bounce  # holds the bounce buffer (a piece outside RAM)

    def in_size(self) -> int:
        return sum(n for _, n in self.in_)

    def out_size(self) -> int:
        return sum(n for _, n in self.out)


def _u16(b: bytes, o: int = 0) -> int:
    return int.from_bytes(b[o:o + 2], "little")


class Queue:
    """One split virtqueue (virtio 1.1 2.6) of a device: where its rings are and how far
    the device has gone through them."""

    def __init__(self, core: VirtioCore, index: int, size: int) -> None:
        self.core = core
        self.index = index
        self.num_default = size
        self.align = DEFAULT_ALIGN  # QEMU keeps it across resets
        self.reset()

    def reset(self) -> None:
        self.num = self.num_default
        self.desc = self.avail = self.used = 0
        self.mapped = False  # QEMU's region caches: the rings lie in RAM
        self.last_avail_idx = 0
        self.used_idx = 0
        self.inuse = 0
        self.signalled_used = 0
        self.signalled_used_valid = False

    STATE = ("num", "align", "desc", "avail", "used", "mapped", "last_avail_idx",
             "used_idx", "inuse", "signalled_used", "signalled_used_valid")

    # --- ring addresses -------------------------------------------------------------
    def set_num(self, num: int) -> None:
        """virtio_queue_set_num: a queue that exists cannot get size 0, nor one that does
        not a size; no size above the maximum."""
        if bool(num) != bool(self.num) or num > QUEUE_SIZE_MAX:
            return
        self.num = num

    def update_legacy_rings(self) -> None:
        """virtio_queue_update_rings: the legacy layout, avail after the descriptors and
        used at the next `align` boundary."""
        if not self.num or not self.desc or not self.align:
            return
        self.avail = self.desc + self.num * DESC_SIZE
        end = self.avail + 4 + 2 * self.num
        self.used = (end + self.align - 1) // self.align * self.align
        self.map_rings()

    def set_rings(self, desc: int, avail: int, used: int) -> None:
        if not self.num:
            return
        self.desc, self.avail, self.used = desc, avail, used
        self.map_rings()

    def map_rings(self) -> None:
        """virtio_init_region_cache: each ring must lie wholly in RAM or wholly outside it
        (QEMU reads a ring outside RAM the slow way; one across the boundary it cannot
        map)."""
        self.mapped = False
        if not self.desc:
            return
        n, dma = self.num, self.core.dma
        event = 2 if self.core.has(F_EVENT_IDX) else 0  # used_event / avail_event
        for what, addr, size in (("desc", self.desc, n * DESC_SIZE),
                                 ("used", self.used, 4 + 8 * n + event),
                                 ("avail", self.avail, 4 + 2 * n + event)):
            if dma.touches(addr, size) and not dma.contains(addr, size):
                self.core.error(f"Cannot map {what}")
                return
        self.mapped = True

    # --- guest memory ---------------------------------------------------------------
    def _read(self, addr: int, n: int) -> bytes:
        return self.core.dma.read(addr, n)

    def _put16(self, addr: int, value: int) -> None:
        self.core.dma.write(addr, (value & 0xFFFF).to_bytes(2, "little"))

    def avail_idx(self) -> int:
        return _u16(self._read(self.avail + 2, 2))

    def avail_flags(self) -> int:
        return _u16(self._read(self.avail, 2))

    def used_event(self) -> int:
        return _u16(self._read(self.avail + 4 + 2 * self.num, 2))

    def set_avail_event(self, value: int) -> None:
        self._put16(self.used + 4 + 8 * self.num, value)

    def used_flags(self) -> int:
        return _u16(self._read(self.used, 2))

    # --- the device's side ----------------------------------------------------------
    def empty(self) -> bool:
        """virtio_queue_empty: a broken device, or rings not mapped, count as empty."""
        if self.core.broken or not self.mapped:
            return True
        return self.avail_idx() == self.last_avail_idx

    def set_notification(self, enable: bool) -> None:
        """virtio_queue_split_set_notification: with EVENT_IDX the avail event follows
        the avail index; without, the used ring's NO_NOTIFY flag."""
        if not self.mapped:
            return
        if self.core.has(F_EVENT_IDX):
            self.set_avail_event(self.avail_idx())
        else:
            flags = self.used_flags()
            flags = flags & ~USED_F_NO_NOTIFY if enable else flags | USED_F_NO_NOTIFY
            self._put16(self.used, flags)

    def pop(self) -> Element | None:
        """virtqueue_split_pop: the next available chain, or None (queue empty, or the
        guest broke the protocol: the device is broken then)."""
        if self.empty():
            return None
        elem = Element(0)
        try:
            return self._pop(elem)
        except VirtioError as e:
            self._unmap(elem)
            self.core.error(str(e))
            return None

    def _pop(self, elem: Element) -> Element:
        num = self.num
        if self.inuse >= num:
            raise VirtioError("Virtqueue size exceeded")
        idx = self.last_avail_idx
        self.last_avail_idx = (idx + 1) & 0xFFFF
        head = _u16(self._read(self.avail + 4 + 2 * (idx % num), 2))
        if head >= num:
            raise VirtioError(f"Guest says index {head} is available")
        elem.head = head
        if self.core.has(F_EVENT_IDX):
            self.set_avail_event(self.last_avail_idx)
        dma = self.core.dma
        table, limit, i = self.desc, num, head
        addr, length, flags, nxt = self._desc(table, i)
        if flags & DESC_F_INDIRECT:
            if not length or length % DESC_SIZE:
                raise VirtioError("Invalid size for indirect buffer table")
            if dma.touches(addr, length) and not dma.contains(addr, length):
                raise VirtioError("Cannot map indirect buffer")
            table, limit, i = addr, length // DESC_SIZE, 0
            addr, length, flags, nxt = self._desc(table, i)
        entries = 0
        while True:
            if flags & DESC_F_WRITE:
                self._map(elem, elem.in_, QUEUE_SIZE_MAX - len(elem.out), addr, length)
            else:
                if elem.in_:
                    raise VirtioError("Incorrect order for descriptors")
                self._map(elem, elem.out, QUEUE_SIZE_MAX, addr, length)
            entries += 1
            if entries > limit:  # more buffers than descriptors: a loop
                raise VirtioError("Looped descriptor")
            if not flags & DESC_F_NEXT:
                break
            if nxt >= limit:
                raise VirtioError(f"Desc next is {nxt}")
            addr, length, flags, nxt = self._desc(table, nxt)
        self.inuse += 1
        return elem

    def _desc(self, table: int, i: int) -> tuple[int, int, int, int]:
        d = self._read(table + DESC_SIZE * i, DESC_SIZE)
        return (int.from_bytes(d[0:8], "little"), int.from_bytes(d[8:12], "little"),
                _u16(d, 12), _u16(d, 14))

    def _map(self, elem: Element, sg: list[tuple[int, int]], limit: int, addr: int,
             length: int) -> None:
        """virtqueue_map_desc: a buffer, never empty, in as many pieces as it takes: RAM
        directly, anything else through the one bounce buffer, a page at most."""
        if not length:
            raise VirtioError("virtio: zero sized buffers are not allowed")
        dma = self.core.dma
        while length:
            if len(sg) >= limit:
                raise VirtioError("virtio: too many write descriptors in indirect table")
            n = dma.ram_run(addr, length)
            if not n:
                if dma.bounce_in_use:
                    raise VirtioError("virtio: bogus descriptor or out of resources")
                dma.bounce_in_use = elem.bounce = True
                n = min(dma.other_run(addr, length), Dma.BOUNCE_SIZE)
            sg.append((addr, n))
            addr, length = addr + n, length - n

    def _unmap(self, elem: Element) -> None:
        """The element's mappings let go (QEMU's virtqueue_unmap_sg)."""
        if elem.bounce:
            self.core.dma.bounce_in_use = elem.bounce = False

    def detach(self, elem: Element) -> None:
        """virtqueue_detach_element: given back with no used entry."""
        self._unmap(elem)
        self.inuse -= 1

    def push(self, elem: Element, length: int) -> None:
        """virtqueue_push: the chain into the used ring with the bytes written; a broken
        device's completions go nowhere (virtqueue_fill/flush on a disabled device)."""
        self._unmap(elem)
        if not self.mapped or self.core.broken:
            self.inuse -= 1
            return
        slot = self.used + 4 + 8 * (self.used_idx % self.num)
        self.core.dma.write(slot, elem.head.to_bytes(4, "little")
                            + (length & 0xFFFFFFFF).to_bytes(4, "little"))
        old = self.used_idx
        new = self.used_idx = (old + 1) & 0xFFFF
        self._put16(self.used + 2, new)
        self.inuse -= 1
        if ((new - self.signalled_used) & 0xFFFF) >= 0x8000 or \
                ((new - self.signalled_used) & 0xFFFF) < ((new - old) & 0xFFFF):
            self.signalled_used_valid = False

    def should_notify(self) -> bool:
        """virtio_split_should_notify (virtio 1.1 2.6.7 and 2.6.10)."""
        core = self.core
        if core.has(F_NOTIFY_ON_EMPTY) and not self.inuse and self.empty():
            return True
        if not core.has(F_EVENT_IDX):
            return not self.avail_flags() & AVAIL_F_NO_INTERRUPT
        valid = self.signalled_used_valid
        self.signalled_used_valid = True
        old = self.signalled_used
        new = self.signalled_used = self.used_idx
        event = self.used_event()
        return not valid or ((new - event - 1) & 0xFFFF) < ((new - old) & 0xFFFF)

    def notify(self) -> None:
        """virtio_notify: the used-buffer interrupt, unless the driver suppressed it."""
        if not self.mapped or self.core.broken or not self.should_notify():
            return
        self.core.set_isr(1)

    # --- guest buffers --------------------------------------------------------------
    def gather(self, ranges: list[tuple[int, int]], skip: int = 0,
               limit: int | None = None) -> Iterator[bytes]:
        """The bytes of guest ranges, from `skip` on, `limit` of them at most, in chunks."""
        left = limit
        for addr, n in ranges:
            if skip >= n:
                skip -= n
                continue
            addr, n, skip = addr + skip, n - skip, 0
            while n and left != 0:
                k = min(n, CHUNK) if left is None else min(n, CHUNK, left)
                yield self._read(addr, k)
                addr, n = addr + k, n - k
                if left is not None:
                    left -= k

    def scatter(self, ranges: list[tuple[int, int]], data: bytes, skip: int = 0) -> int:
        """Write `data` across guest ranges from `skip` on; the bytes written."""
        done = 0
        for addr, n in ranges:
            if skip >= n:
                skip -= n
                continue
            addr, n, skip = addr + skip, n - skip, 0
            k = min(n, len(data) - done)
            if k <= 0:
                break
            self.core.dma.write(addr, data[done:done + k])
            done += k
        return done


class Backend:
    """What a virtio device adds to the core: its ID, queues, features, configuration
    space and request handling (QEMU's VirtioDeviceClass)."""

    device_id = 0
    name = "virtio"
    queue_sizes: tuple[int, ...] = ()

    def attach(self, core: VirtioCore) -> None:
        self.core = core

    def host_features(self, legacy: bool) -> int:
        return COMMON_FEATURES | (0 if legacy else 1 << F_VERSION_1)

    def config(self) -> bytes:
        return b""

    def set_config(self, data: bytes) -> None:
        """The driver wrote the configuration space (its new bytes)."""

    def set_status(self, status: int) -> None:
        """The driver wrote the status register (before it is stored)."""

    def handle(self, queue: Queue) -> None:
        """The driver notified `queue`."""

    def reset(self) -> None:
        """virtio_reset's device part."""

    def close(self) -> None:
        """The machine ends: flush what the device holds."""

    def state(self) -> dict[str, object]:
        return {}

    def set_state(self, state: dict[str, object]) -> None:
        pass


class VirtioCore:
    """QEMU's VirtIODevice: status, features, interrupt status and queues of the device
    behind one transport."""

    def __init__(self, backend: Backend, dma: Dma, legacy: bool, irq: IrqLine,
                 warn: Callable[[str], None]) -> None:
        self.backend = backend
        self.dma = dma
        self.irq = irq
        self.warn = warn
        self.host_features = backend.host_features(legacy)
        self.queues = [Queue(self, i, n) for i, n in enumerate(backend.queue_sizes)]
        self.reset()
        backend.attach(self)

    def reset(self) -> None:
        """virtio_reset."""
        self.status = 0
        self.guest_features = 0
        self.queue_sel = 0
        self.isr = 0
        self.broken = False
        self.generation = 0
        self.irq.set(False)
        for q in self.queues:
            q.reset()

    def has(self, bit: int) -> bool:
        return bool(self.guest_features >> bit & 1)

    def queue(self, n: int) -> Queue | None:
        return self.queues[n] if n < len(self.queues) else None

    def set_isr(self, bits: int) -> None:
        self.isr |= bits
        self.update_irq()

    def update_irq(self) -> None:
        """virtio_notify_vector: the line follows the interrupt status, except that a
        broken device's line is left as it was until reset."""
        if not self.broken:
            self.irq.set(self.isr != 0)

    def error(self, msg: str) -> None:
        """virtio_error: the device stops processing until reset; a virtio 1 driver is
        told by NEEDS_RESET and a configuration interrupt."""
        self.warn(f"{self.backend.name}: {msg}")
        if self.has(F_VERSION_1):
            self.status |= S_NEEDS_RESET
            self.notify_config()
        self.broken = True

    def notify_config(self) -> None:
        if not self.status & S_DRIVER_OK:
            return
        self.generation = (self.generation + 1) & 0xFFFFFFFF
        self.set_isr(3)

    def set_features(self, value: int) -> None:
        """virtio_set_features: ignored once FEATURES_OK is set; bits the device lacks
        are dropped."""
        if self.status & S_FEATURES_OK:
            return
        self.guest_features = value & self.host_features

    def set_status(self, value: int) -> None:
        self.backend.set_status(value)
        self.status = value

    def notify(self, n: int) -> None:
        """virtio_queue_notify."""
        q = self.queue(n)
        if q is None or not q.desc or self.broken:
            return
        try:
            self.backend.handle(q)
        except VirtioError as e:  # a ring field read outside RAM
            self.error(str(e))

    STATE = ("status", "guest_features", "queue_sel", "isr", "broken", "generation")

    def state(self) -> dict[str, object]:
        s: dict[str, object] = {k: getattr(self, k) for k in self.STATE}
        s["queues"] = tuple(tuple(getattr(q, k) for k in Queue.STATE) for q in self.queues)
        s["backend"] = self.backend.state()
        return s

    def set_state(self, s: dict[str, object]) -> None:
        for k in self.STATE:
            setattr(self, k, s[k])
        for q, values in zip(self.queues, s["queues"], strict=True):  # type: ignore[call-overload]
            for k, v in zip(Queue.STATE, values, strict=True):
                setattr(q, k, v)
        self.irq.level = self.isr != 0
        self.backend.set_state(s["backend"])  # type: ignore[arg-type]


class _ProxyQueue:
    """What a modern driver writes for a queue before QueueReady (QEMU's VirtIOMMIOQueue)."""

    def __init__(self, num: int = 0, ready: int = 0, desc: list[int] | None = None,
                 avail: list[int] | None = None, used: list[int] | None = None) -> None:
        self.num = num
        self.ready = ready
        self.desc = [0, 0] if desc is None else desc
        self.avail = [0, 0] if avail is None else avail
        self.used = [0, 0] if used is None else used


class VirtioMmio(Device):
    """One virtio-mmio slot.  Accesses are 1 to 4 bytes, naturally aligned (QEMU's
    default `valid` sizes); registers below the configuration space take 4-byte
    accesses only (others read 0 and are dropped, as QEMU logs "wrong size access")."""

    name = "virtio_mmio"

    def __init__(self, dma: Dma | None = None, legacy: bool = True,
                 warn: Callable[[str], None] | None = None) -> None:
        self.dma = dma
        self.legacy = legacy
        self.warn = warn or (lambda msg: None)
        self.irq = IrqLine()
        self.core: VirtioCore | None = None
        self._transport_reset()

    @property
    def backend(self) -> Backend | None:
        return None if self.core is None else self.core.backend

    def plug(self, backend: Backend) -> None:
        """Put a device on this transport (before the machine starts)."""
        assert self.dma is not None, "a transport with a device needs guest memory"
        self.core = VirtioCore(backend, self.dma, self.legacy, self.irq, self.warn)

    def _transport_reset(self) -> None:
        """virtio_mmio_reset: the transport's own registers."""
        self.host_features_sel = 0
        self.guest_features_sel = 0
        self.guest_page_shift = 0
        self.guest_features = [0, 0]
        self.vqs: dict[int, _ProxyQueue] = {}

    def reset(self) -> None:
        if self.core is not None:
            self.core.reset()
            self.core.backend.reset()
        self._transport_reset()

    def close(self) -> None:
        if self.core is not None:
            self.core.backend.close()

    def _check(self, offset: int, size: int) -> None:
        if not 1 <= size <= 4 or offset & (size - 1) or not 0 <= offset <= WINDOW - size:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")

    def _pq(self) -> _ProxyQueue:
        assert self.core is not None
        return self.vqs.setdefault(self.core.queue_sel, _ProxyQueue())

    # --- reads ----------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        mask = (1 << (8 * size)) - 1
        version = VERSION_LEGACY if self.legacy else VERSION_MODERN
        core = self.core
        if core is None:  # QEMU's empty transport: narrow reads see the low bytes
            ident = {MAGIC: MAGIC_VALUE, VERSION: version, VENDOR: VENDOR_ID}
            return ident.get(offset, 0) & mask
        if offset >= CONFIG:
            # virtio_config_read{b,w,l}: past the end reads all ones
            cfg = core.backend.config()
            o = offset - CONFIG
            if o + size > len(cfg):
                return mask
            return int.from_bytes(cfg[o:o + size], "little")
        if size != 4:
            self._guest_error("wrong size access to register!")
            return 0
        sel = core.queue_sel
        q = core.queue(sel)
        if offset == MAGIC:
            return MAGIC_VALUE
        if offset == VERSION:
            return version
        if offset == DEVICE_ID:
            return core.backend.device_id
        if offset == VENDOR:
            return VENDOR_ID
        if offset == DEVICE_FEATURES:
            if self.legacy:
                return 0 if self.host_features_sel else core.host_features & 0xFFFFFFFF
            visible = core.host_features & ~LEGACY_ONLY
            return visible >> (32 * self.host_features_sel) & 0xFFFFFFFF
        if offset == QUEUE_NUM_MAX:
            return QUEUE_SIZE_MAX if q is not None and q.num else 0
        if offset == QUEUE_PFN:
            if not self.legacy:
                return self._legacy_only(offset)
            return (q.desc >> self.guest_page_shift) & 0xFFFFFFFF if q is not None else 0
        if offset == QUEUE_READY:
            if self.legacy:
                return self._legacy_only(offset)
            return self._pq().ready
        if offset == INTERRUPT_STATUS:
            return core.isr
        if offset == STATUS:
            return core.status
        if offset == CONFIG_GENERATION:
            if self.legacy:
                return self._legacy_only(offset)
            return core.generation
        if offset in (SHM_LEN_LOW, SHM_LEN_HIGH):
            return 0xFFFFFFFF  # no shared memory regions (QEMU reads -1)
        if offset in _WRITE_ONLY:
            self._guest_error("read of write-only register")
        else:
            self._guest_error("bad register offset")
        return 0

    def _legacy_only(self, offset: int) -> int:
        self._guest_error(f"register {offset:#x} not in this mode")
        return 0

    def _guest_error(self, msg: str) -> None:
        """QEMU logs these with -d guest_errors; rvirt says nothing."""

    # --- writes ---------------------------------------------------------------------
    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)
        core = self.core
        if core is None:
            return  # an empty slot: writes go nowhere
        if offset >= CONFIG:
            cfg = bytearray(core.backend.config())
            o = offset - CONFIG
            if o + size <= len(cfg):
                cfg[o:o + size] = value.to_bytes(size, "little")
                core.backend.set_config(bytes(cfg))
            return
        if size != 4:
            self._guest_error("wrong size access to register!")
            return
        legacy = self.legacy
        q = core.queue(core.queue_sel)
        if offset == DEVICE_FEATURES_SEL:
            self.host_features_sel = 1 if value else 0
        elif offset == DRIVER_FEATURES:
            if legacy:
                if not self.guest_features_sel:
                    core.set_features(value)
            else:
                self.guest_features[self.guest_features_sel] = value
        elif offset == DRIVER_FEATURES_SEL:
            self.guest_features_sel = 1 if value else 0
        elif offset == GUEST_PAGE_SIZE and legacy:
            # ctz32: a page size of 0 (or one over 2**31) means shift 0
            shift = (value & -value).bit_length() - 1 if value else 32
            self.guest_page_shift = 0 if shift > 31 else shift
        elif offset == QUEUE_SEL:
            if value < QUEUE_MAX:
                core.queue_sel = value
        elif offset == QUEUE_NUM:
            if q is not None:
                q.set_num(value)
                if legacy:
                    q.update_legacy_rings()
            if not legacy:
                self._pq().num = value
        elif offset == QUEUE_ALIGN and legacy:
            if q is not None and value:
                q.align = value
                q.update_legacy_rings()
        elif offset == QUEUE_PFN and legacy:
            if value == 0:  # the legacy driver's reset
                core.reset()
                core.backend.reset()
            elif q is not None and q.num:
                q.desc = value << self.guest_page_shift
                q.update_legacy_rings()
        elif offset == QUEUE_READY and not legacy:
            pq = self._pq()
            if value:
                if q is not None:
                    q.set_num(pq.num)
                    q.set_rings(pq.desc[1] << 32 | pq.desc[0], pq.avail[1] << 32 | pq.avail[0],
                                pq.used[1] << 32 | pq.used[0])
                pq.ready = 1
            else:
                pq.ready = 0
        elif offset == QUEUE_NOTIFY:
            if value < QUEUE_MAX:
                core.notify(value)
        elif offset == INTERRUPT_ACK:
            core.isr &= ~value
            core.update_irq()
        elif offset == STATUS:
            if not legacy and value & S_FEATURES_OK:
                core.set_features(self.guest_features[1] << 32 | self.guest_features[0])
            core.set_status(value & 0xFF)
            if core.status == 0:
                core.reset()
                core.backend.reset()
                for pq in self.vqs.values():  # virtio_mmio_soft_reset
                    pq.ready = 0
        elif not legacy and offset in (QUEUE_DESC_LOW, QUEUE_DESC_HIGH, QUEUE_AVAIL_LOW,
                                       QUEUE_AVAIL_HIGH, QUEUE_USED_LOW, QUEUE_USED_HIGH):
            pq = self._pq()
            ring = {0x80: pq.desc, 0x90: pq.avail, 0xA0: pq.used}[offset & 0xF0]
            ring[(offset >> 2) & 1] = value
        else:
            self._guest_error("write to read-only, legacy or unknown register")

    # --- snapshots ------------------------------------------------------------------
    def state(self) -> dict[str, object]:
        if self.core is None:
            return {}
        return {"core": self.core.state(), "host_features_sel": self.host_features_sel,
                "guest_features_sel": self.guest_features_sel,
                "guest_page_shift": self.guest_page_shift,
                "guest_features": tuple(self.guest_features),
                "vqs": tuple((i, p.num, p.ready, tuple(p.desc), tuple(p.avail), tuple(p.used))
                             for i, p in sorted(self.vqs.items()))}

    def set_state(self, state: dict[str, object]) -> None:
        if self.core is None:
            return
        s = state
        self.core.set_state(s["core"])  # type: ignore[arg-type]
        self.host_features_sel = s["host_features_sel"]  # type: ignore[assignment]
        self.guest_features_sel = s["guest_features_sel"]  # type: ignore[assignment]
        self.guest_page_shift = s["guest_page_shift"]  # type: ignore[assignment]
        self.guest_features = list(s["guest_features"])  # type: ignore[call-overload]
        self.vqs = {i: _ProxyQueue(num, ready, list(d), list(a), list(u))
                    for i, num, ready, d, a, u in s["vqs"]}  # type: ignore[attr-defined]


def fdt_node(base: int, size: int, irq: int, plic_phandle: int) -> Node:
    """`/soc/virtio_mmio@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_virtio` writes it."""
    return Node(f"virtio_mmio@{base:x}", [
        ("interrupts", irq),
        ("interrupt-parent", plic_phandle),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", "virtio,mmio"),
    ])
