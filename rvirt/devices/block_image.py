"""A raw disk image as QEMU 7.2's `file` driver under the `raw` format opens it: read and
written in place with pread/pwrite (never read whole), locked against other users with
QEMU's own lock bytes, optionally read-only or with writes kept in memory (snapshot=on).

Locks (QEMU block/file-posix.c raw_apply_lock_bytes / raw_check_lock_bytes): an open
image holds a shared OFD lock on byte 100+p for each permission p it uses and on byte
200+p for each permission it does not share with others; a newcomer is refused when an
existing user refuses a permission it wants (byte 200+p held) or uses one it refuses
(byte 100+p held).  A QEMU and an rvirt therefore keep each other out exactly as two
QEMUs do.
"""

from __future__ import annotations

import fcntl
import os
import struct

from rvirt.errors import RvirtError

SECTOR = 512

# Block-layer permissions (QEMU include/block/block-common.h BLK_PERM_*): bit numbers
PERM_CONSISTENT_READ, PERM_WRITE, PERM_WRITE_UNCHANGED, PERM_RESIZE = 0, 1, 2, 3
PERM_NAMES = ("consistent read", "write", "write unchanged", "resize")
LOCK_PERM_BASE = 100
LOCK_SHARED_BASE = 200

CACHE_MODES = ("writeback", "none", "writethrough", "directsync", "unsafe")


def _flock(kind: int, start: int) -> bytes:
    # struct flock on Linux (64-bit off_t): l_type, l_whence, l_start, l_len, l_pid
    return struct.pack("hhqqi4x", kind, os.SEEK_SET, start, 1, 0)


class BlockImage:
    """One image file.  `path` is as given on the command line (for messages)."""

    def __init__(self, path: str, *, readonly: bool = False, snapshot: bool = False,
                 cache: str = "writeback", what: str = "-drive") -> None:
        self.path = path
        self.readonly = readonly
        self.snapshot = snapshot
        if cache not in CACHE_MODES:
            raise RvirtError(f"{what}: invalid cache option '{cache}' "
                             f"(one of {', '.join(CACHE_MODES)})")
        # writeback caches (the guest flushes); writethrough/directsync write each
        # request through; unsafe ignores flushes (QEMU's cache.no-flush)
        self.write_cache = cache in ("writeback", "none", "unsafe")
        self.no_flush = cache == "unsafe"
        writable = not readonly and not snapshot
        try:
            self.fd = os.open(path, os.O_RDWR if writable else os.O_RDONLY)
        except OSError as e:
            raise RvirtError(f"{what}: Could not open '{path}': {e.strerror}") from None
        try:
            if not os.path.isfile(path):
                raise RvirtError(f"{what}: '{path}' is not a regular file")
            # the permissions QEMU takes for a virtio-blk on a raw image, and those it
            # refuses to share: a writer refuses other writers, a reader refuses writers,
            # a snapshot's read-only base also refuses resizing
            perm = {PERM_CONSISTENT_READ} | ({PERM_WRITE} if writable else set())
            unshared = {PERM_WRITE} | ({PERM_RESIZE} if snapshot else set())
            self._lock(perm, unshared, what)
            self.size = os.fstat(self.fd).st_size
        except BaseException:
            os.close(self.fd)
            raise
        # snapshot=on: sector -> its bytes, as written by the guest since power-on
        self.overlay: dict[int, bytes] = {}
        # Copy-on-write history of the guest's writes, for machine snapshots and reverse
        # execution; kept from the first snapshot on (see position()).  Entries are
        # (sector, old bytes or None, new bytes, image size before), immutable; `applied`
        # of them are in effect.  A new write after going back starts a new list, so a
        # snapshot's (list, count) always describes its disk.
        self.journal: list[tuple[int, bytes | None, bytes, int]] | None = None
        self.applied = 0
        self.base_overlay: dict[int, bytes] = {}  # the overlay when the journal began
        self.token = os.urandom(8)  # tells this image's positions from another's

    def _lock(self, perm: set[int], unshared: set[int], what: str) -> None:
        fd = self.fd
        try:
            for p in perm:
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_RDLCK, LOCK_PERM_BASE + p))
            for p in unshared:
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK,
                            _flock(fcntl.F_RDLCK, LOCK_SHARED_BASE + p))
        except OSError:
            raise RvirtError(f"{what}: Failed to lock byte of '{self.path}': another process "
                             f"is using the image") from None

        def held(byte: int) -> bool:
            got = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _flock(fcntl.F_WRLCK, byte))
            return struct.unpack("hhqqi4x", got)[0] != fcntl.F_UNLCK

        for p in sorted(perm):
            if held(LOCK_SHARED_BASE + p):
                raise RvirtError(f"{what}: Failed to get \"{PERM_NAMES[p]}\" lock: is another "
                                 f"process (a QEMU?) using the image [{self.path}]?")
        for p in sorted(unshared):
            if held(LOCK_PERM_BASE + p):
                raise RvirtError(f"{what}: Failed to get shared \"{PERM_NAMES[p]}\" lock: is "
                                 f"another process (a QEMU?) using the image [{self.path}]?")

    @property
    def sectors(self) -> int:
        """The capacity in 512-byte sectors; a partial last sector counts (it reads zeros
        past the end, as QEMU's raw driver)."""
        return -(-self.size // SECTOR)

    def read(self, offset: int, n: int) -> bytes:
        """n bytes at offset (both multiples of SECTOR); OSError on a host I/O error."""
        data = os.pread(self.fd, n, offset)
        if len(data) < n:
            data += bytes(n - len(data))
        if self.overlay:
            first = offset // SECTOR
            hits = [s for s in range(first, first + n // SECTOR) if s in self.overlay]
            if hits:
                buf = bytearray(data)
                for s in hits:
                    o = (s - first) * SECTOR
                    buf[o:o + SECTOR] = self.overlay[s]
                data = bytes(buf)
        return data

    def write(self, offset: int, data: bytes) -> None:
        """Write whole sectors; with snapshot=on into the overlay.  PermissionError on a
        read-only image, OSError on a host I/O error."""
        if self.readonly:  # readonly=on wins over snapshot=on: the device is read-only
            raise PermissionError("read-only image")
        if self.journal is not None:
            self._journal(offset, data)
        self._put(offset, data)

    def _journal(self, offset: int, data: bytes) -> None:
        if self.applied < len(self.journal):  # type: ignore[arg-type]
            self.journal = self.journal[:self.applied]  # type: ignore[index]
        first = offset // SECTOR
        for i in range(len(data) // SECTOR):
            s = first + i
            if self.snapshot:
                old = self.overlay.get(s)
            else:
                old = os.pread(self.fd, SECTOR, s * SECTOR) if s * SECTOR < self.size else None
            self.journal.append((s, old, data[i * SECTOR:(i + 1) * SECTOR],  # type: ignore[union-attr]
                                 self.size))
        self.applied = len(self.journal)  # type: ignore[arg-type]

    def _put(self, offset: int, data: bytes) -> None:
        if self.snapshot:
            first = offset // SECTOR
            for i in range(len(data) // SECTOR):
                self.overlay[first + i] = data[i * SECTOR:(i + 1) * SECTOR]
            return
        done = 0
        while done < len(data):
            done += os.pwrite(self.fd, data[done:], offset + done)
        self.size = max(self.size, offset + len(data))

    # --- snapshots of the disk ----------------------------------------------------------
    def position(self) -> tuple[list[tuple[int, bytes | None, bytes, int]], int, bytes,
                                dict[int, bytes]]:
        """Where the disk is in the guest's writes, as plain data that pickles: (journal,
        entries applied, this image's token, the overlay when the journal began).  Cheap:
        the journal is shared, not copied.  The journal starts with the first call."""
        if self.journal is None:
            self.journal = []
            self.applied = 0
            self.base_overlay = dict(self.overlay)
        return (self.journal, self.applied, self.token, self.base_overlay)

    def go_to(self, position: tuple[list[tuple[int, bytes | None, bytes, int]], int, bytes,
                                    dict[int, bytes]]) -> bool:
        """Put the disk where position() was taken: writes after it undone, those before
        it redone.  False when that cannot be done (a position of another image written
        in place)."""
        entries, k, token, base = position
        if self.journal is None:
            self.position()
        mine = self.journal
        assert mine is not None
        if token != self.token:
            if not self.snapshot:
                return False
            # another machine's image: its overlay when its journal began, then its writes
            self.overlay = dict(base)
            for s, _, new, _ in entries[:k]:
                self.overlay[s] = new
            self.journal, self.applied, self.base_overlay = list(entries), k, dict(base)
            return True
        common = 0
        limit = min(self.applied, k)
        while common < limit and (mine[common] is entries[common]
                                  or mine[common] == entries[common]):
            common += 1
        for s, old, _, size in reversed(mine[common:self.applied]):  # undo
            if self.snapshot:
                if old is None:
                    self.overlay.pop(s, None)
                else:
                    self.overlay[s] = old
            else:
                if old is not None:
                    self._put(s * SECTOR, old)
                if size < self.size:
                    os.ftruncate(self.fd, size)
                    self.size = size
        for s, _, new, _ in entries[common:k]:  # redo
            self._put(s * SECTOR, new)
        self.journal, self.applied = entries, k
        return True

    def flush(self) -> None:
        """Make written data durable (a guest's FLUSH, and the machine's exit)."""
        if not self.snapshot and not self.readonly and not self.no_flush:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd >= 0:
            try:
                if not self.snapshot and not self.readonly:
                    os.fsync(self.fd)
            finally:
                os.close(self.fd)  # the OFD locks go with it
                self.fd = -1
