"""virtio-blk (virtio 1.1 5.2) as QEMU 7.2 `hw/block/virtio-blk.c` does it for
`-device virtio-blk-device` with its default properties (queue-size 256, seg-max-adjust,
config-wce, discard and write-zeroes on, no serial), on a raw image.

Requests run at once.  QEMU completes reads, writes and flushes later from its I/O
threads, so until the handler returns they count as in use (a guest that posts more
chains than the queue holds breaks the device); rvirt completes those at the end of the
notify, in order, and the others (GET_ID, unsupported types, range errors) at once, as
QEMU does.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rvirt.devices.block_image import SECTOR, BlockImage
from rvirt.devices.virtio_mmio import (
    CHUNK,
    COMMON_FEATURES,
    F_ANY_LAYOUT,
    F_VERSION_1,
    S_DRIVER_OK,
    Backend,
    Element,
    Queue,
    VirtioError,
)

DEVICE_ID = 2
QUEUE_SIZE = 256  # QEMU 7.2's queue-size default

# Feature bits (virtio 1.1 5.2.3; VIRTIO_BLK_F_SCSI and _FLUSH/CONFIG_WCE from legacy)
F_SEG_MAX, F_GEOMETRY, F_RO, F_BLK_SIZE, F_SCSI = 2, 4, 5, 6, 7
F_FLUSH, F_TOPOLOGY, F_CONFIG_WCE, F_DISCARD, F_WRITE_ZEROES = 9, 10, 11, 13, 14

# Request types and status (virtio 1.1 5.2.6)
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WRITE_ZEROES = 0, 1, 4, 8, 11, 13
T_BARRIER = 0x8000_0000  # legacy flag QEMU ignores
S_OK, S_IOERR, S_UNSUPP = 0, 1, 2
ID_BYTES = 20
WRITE_ZEROES_FLAG_UNMAP = 1
MAX_SECTORS = 0x3F_FFFF  # BDRV_REQUEST_MAX_SECTORS: max-discard/write-zeroes-sectors
CONFIG_SIZE = 57  # up to write_zeroes_may_unmap: what the features above need


def geometry(image: BlockImage) -> tuple[int, int, int]:
    """(cylinders, heads, sectors) as QEMU's hd_geometry_guess: from an MBR partition
    that ends on a cylinder boundary with at most 16 heads, else 16 heads of 63 sectors."""
    total = image.sectors
    lchs = None
    try:
        mbr = image.read(0, SECTOR) if image.size >= SECTOR else b""
    except OSError:
        mbr = b""
    if len(mbr) == SECTOR and mbr[510:512] == b"\x55\xaa":
        for i in range(4):
            p = mbr[0x1BE + 16 * i:0x1BE + 16 * (i + 1)]
            nr_sects = int.from_bytes(p[12:16], "little")
            end_head, end_sector = p[5], p[6] & 63
            if nr_sects and end_head:
                heads = end_head + 1
                if end_sector == 0:
                    continue
                cyls = total // (heads * end_sector)
                if 1 <= cyls <= 16383:
                    lchs = (cyls, heads, end_sector)
                    break
    if lchs is not None and lchs[1] <= 16:
        return lchs
    return (min(max(total // (16 * 63), 2), 16383), 16, 63)


@dataclass
class _Done:
    """A request finished but not yet in the used ring."""

    elem: Element
    status: int


class VirtioBlk(Backend):
    device_id = DEVICE_ID
    name = "virtio-blk"
    queue_sizes = (QUEUE_SIZE,)

    def __init__(self, image: BlockImage, serial: str = "") -> None:
        self.image = image
        self.serial = serial.encode()
        self.geometry = geometry(image)  # fixed when the device is made, as QEMU's
        self.wce = image.write_cache

    def host_features(self, legacy: bool) -> int:
        f = COMMON_FEATURES
        for bit in (F_SEG_MAX, F_GEOMETRY, F_TOPOLOGY, F_BLK_SIZE, F_FLUSH, F_CONFIG_WCE,
                    F_DISCARD, F_WRITE_ZEROES):
            f |= 1 << bit
        if self.image.readonly:
            f |= 1 << F_RO
        if legacy:  # virtio_blk_get_features: no ANY_LAYOUT before virtio 1, SCSI offered
            return (f & ~(1 << F_ANY_LAYOUT)) | (1 << F_SCSI)
        return f | (1 << F_VERSION_1)

    def config(self) -> bytes:
        """struct virtio_blk_config (virtio 1.1 5.2.4), as virtio_blk_update_config."""
        cyls, heads, secs = self.geometry
        return struct.pack(
            "<QIIHBBIBBHIBBHIIIIIB",
            self.image.sectors,  # capacity
            0,  # size_max
            QUEUE_SIZE - 2,  # seg_max (seg-max-adjust)
            cyls, heads, secs,
            SECTOR,  # blk_size
            0, 0,  # physical_block_exp, alignment_offset
            0, 0,  # min_io_size, opt_io_size
            1 if self.wce else 0, 0,  # wce, unused
            1,  # num_queues
            MAX_SECTORS, 1, 1,  # max_discard_sectors, max_discard_seg, sector alignment
            MAX_SECTORS, 1,  # max_write_zeroes_sectors, max_write_zeroes_seg
            1,  # write_zeroes_may_unmap
        )

    def set_config(self, data: bytes) -> None:
        self.wce = data[32] != 0  # only the write-cache byte is writable

    def set_status(self, status: int) -> None:
        # A driver without CONFIG_WCE gets write-back caching exactly when it can flush
        if status & S_DRIVER_OK and not self.core.has(F_CONFIG_WCE):
            self.wce = self.core.has(F_FLUSH)

    def reset(self) -> None:
        self.wce = self.image.write_cache

    def close(self) -> None:
        self.image.close()

    def flush(self) -> None:
        self.image.flush()

    def state(self) -> dict[str, object]:
        # The disk as a position in the journal of the guest's writes (copy-on-write:
        # only written sectors are kept, once), so a snapshot costs nothing more
        return {"wce": self.wce, "disk": self.image.position()}

    def set_state(self, state: dict[str, object]) -> None:
        self.wce = bool(state["wce"])
        if not self.image.go_to(state["disk"]):  # type: ignore[arg-type]
            self.core.warn(f"{self.name}: {self.image.path} is written in place: its "
                           f"contents are not those of the snapshot (snapshot=on keeps "
                           f"them)")

    # --- requests -------------------------------------------------------------------
    def handle(self, q: Queue) -> None:
        """virtio_blk_handle_vq."""
        later: list[_Done] = []
        while True:
            q.set_notification(False)
            while (elem := q.pop()) is not None:
                try:
                    done = self._request(q, elem)
                except VirtioError as e:
                    q.detach(elem)
                    self.core.error(str(e))
                    break
                if done is not None:
                    later.append(done)
            q.set_notification(True)
            if q.empty():
                break
        for d in later:
            self._complete(q, d.elem, d.status)

    def _complete(self, q: Queue, elem: Element, status: int) -> None:
        """virtio_blk_req_complete: the status byte is the last byte the device writes;
        the used length is every writable byte of the chain."""
        addr, n = elem.in_[-1]
        self.core.dma.write(addr + n - 1, bytes([status]))
        q.push(elem, elem.in_size())
        q.notify()

    def _request(self, q: Queue, elem: Element) -> _Done | None:
        """virtio_blk_handle_request: None when completed already, else what completes
        at the end of the notify."""
        if not elem.out or not elem.in_:
            raise VirtioError("virtio-blk missing headers")
        hdr = b"".join(q.gather(elem.out, limit=16))
        if len(hdr) != 16:
            raise VirtioError("virtio-blk request outhdr too short")
        kind, _, sector = struct.unpack("<IIQ", hdr)
        # the data buffers: the header and the status byte left out
        data_in = list(elem.in_)
        a, n = data_in[-1]
        data_in[-1] = (a, n - 1)
        if n == 1:
            data_in.pop()
        in_size = elem.in_size() - 1
        out_size = elem.out_size() - 16
        t = kind & ~(T_OUT | T_BARRIER)
        if t == T_IN:
            write = bool(kind & T_OUT)
            size = out_size if write else in_size
            if not self._range_ok(sector, size):
                self._complete(q, elem, S_IOERR)
                return None
            status = self._write(q, elem, sector) if write else self._read(q, data_in, sector,
                                                                              size)
            return _Done(elem, status)
        if t == T_FLUSH:
            return _Done(elem, self._flush())
        if t == T_GET_ID:
            # the serial and its NUL, cut to the buffer and to 20 bytes (so the NUL is
            # there only when the serial is shorter)
            ident = self.serial + b"\0"
            q.scatter(data_in, ident[:min(len(ident), in_size, ID_BYTES)])
            self._complete(q, elem, S_OK)
            return None
        if t in (T_DISCARD & ~T_OUT, T_WRITE_ZEROES & ~T_OUT):
            return self._discard_write_zeroes(q, elem, kind, out_size)
        self._complete(q, elem, S_UNSUPP)
        return None

    def _range_ok(self, sector: int, size: int) -> bool:
        """virtio_blk_sect_range_ok."""
        nb = size // SECTOR
        total = self.image.sectors
        return (nb <= MAX_SECTORS and size % SECTOR == 0 and sector <= total
                and nb <= total - sector)

    def _read(self, q: Queue, data_in: list[tuple[int, int]], sector: int, size: int) -> int:
        pos = sector * SECTOR
        done = 0
        try:
            while done < size:
                k = min(CHUNK, size - done)
                q.scatter(data_in, self.image.read(pos + done, k), skip=done)
                done += k
        except OSError:
            return S_IOERR
        return S_OK

    def _write(self, q: Queue, elem: Element, sector: int) -> int:
        pos = sector * SECTOR
        pending = b""  # guest buffers need not hold whole sectors: the image takes whole ones
        try:
            for chunk in q.gather(elem.out, skip=16):
                pending += chunk
                whole = len(pending) // SECTOR * SECTOR
                if whole:
                    self.image.write(pos, pending[:whole])
                    pos += whole
                    pending = pending[whole:]
            if not self.wce:  # write-through: each write durable before it completes
                self.image.flush()
        except OSError:
            return S_IOERR
        return S_OK

    def _flush(self) -> int:
        try:
            self.image.flush()
        except OSError:
            return S_IOERR
        return S_OK

    def _discard_write_zeroes(self, q: Queue, elem: Element, kind: int,
                              out_size: int) -> _Done | None:
        """virtio_blk_handle_discard_write_zeroes: one segment only."""
        if not kind & T_OUT or out_size > 16:
            self._complete(q, elem, S_UNSUPP)
            return None
        seg = b"".join(q.gather(elem.out, skip=16, limit=16))
        if len(seg) != 16:
            raise VirtioError("virtio-blk discard/write_zeroes header too short")
        sector, num, flags = struct.unpack("<QII", seg)
        zeroes = kind & ~T_BARRIER == T_WRITE_ZEROES
        status = S_OK
        if num > MAX_SECTORS or not self._range_ok(sector, num * SECTOR):
            status = S_IOERR
        elif flags & ~WRITE_ZEROES_FLAG_UNMAP or (not zeroes and flags):
            status = S_UNSUPP
        if status != S_OK:
            self._complete(q, elem, status)
            return None
        if not zeroes:
            return _Done(elem, S_OK)  # QEMU's default discard=ignore: nothing happens
        try:
            pos, left = sector * SECTOR, num * SECTOR
            while left:
                k = min(CHUNK, left)
                self.image.write(pos, bytes(k))
                pos, left = pos + k, left - k
        except OSError:
            return _Done(elem, S_IOERR)
        return _Done(elem, S_OK)
