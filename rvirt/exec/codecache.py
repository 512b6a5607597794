"""The persistent code cache of `-accel native`: the object code of native blocks, kept
on disk between runs, so that a second run of the same kernel compiles nothing.

An entry is keyed by a digest the native tier computes (rvirt.exec.native): the block's
LLVM IR, which holds no host address and so covers the instructions, their addresses,
RAM's range and everything else that shapes the code, with the code generation level,
LLVM's version and target and the generator's own source.  The cache
never decides what code is right; it only gives back the bytes stored under a digest,
or nothing.

Files: DIR/<digest>.o, each a header (MAGIC, the function's name and level, the
payload's length and SHA-256) and the object code.  Reading checks all of it: a
truncated or damaged file is a miss, removed, and the block is compiled again.  Two
processes may share a directory: each entry is written to a temporary file and renamed
into place (atomic on POSIX), so a reader sees a whole old file, a whole new one or
none; removals by another process's pruning are misses.  The directory is kept under
its size bound by removing the least recently used entries (a hit refreshes an entry's
modification time).  The directory is the user's, as any cache under ~/.cache is: the
checksum guards against damage, not against someone who may write there.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Callable

# hashlib and tempfile are imported at the first use, on the compiler's thread: a run
# with no hot block (start-up) never loads them.

MAGIC = b"rvirt-obj1\n"
# magic, level, name length, payload length, payload SHA-256
_HEAD = struct.Struct(f"<{len(MAGIC)}sBBI32s")
DEFAULT_BOUND = 128 << 20  # bytes
SUFFIX = ".o"
# Temporary files older than this were left by a process that died while writing.
STALE_TMP = 600.0  # seconds


def default_dir() -> str:
    """RVIRT_CACHE_DIR, else $XDG_CACHE_HOME/rvirt, else ~/.cache/rvirt (XDG's base
    directory specification)."""
    env = os.environ.get("RVIRT_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".cache")
    return os.path.join(base, "rvirt")


def _sha256(data: bytes) -> bytes:
    import hashlib
    return hashlib.sha256(data).digest()


def encode(name: str, level: int, payload: bytes) -> bytes:
    raw = name.encode()
    return _HEAD.pack(MAGIC, level, len(raw), len(payload),
                      _sha256(payload)) + raw + payload


def decode(data: bytes) -> tuple[str, int, bytes] | None:
    """(name, level, payload) of a whole, undamaged entry, else None."""
    if len(data) < _HEAD.size:
        return None
    magic, level, n, size, digest = _HEAD.unpack_from(data)
    start = _HEAD.size + n
    if magic != MAGIC or len(data) != start + size:
        return None
    payload = data[start:]
    if _sha256(payload) != digest:
        return None
    try:
        name = data[_HEAD.size:start].decode()
    except UnicodeDecodeError:
        return None
    if not name.isidentifier():
        return None
    return name, level, payload


class CodeCache:
    """Object code by digest in a directory, within `bound` bytes.  `warn(text)` is told
    once if the directory cannot be made or written: the run goes on without it."""

    def __init__(self, directory: str, bound: int = DEFAULT_BOUND,
                 warn: Callable[[str], None] | None = None) -> None:
        self.dir = directory
        self.bound = bound
        self.warn = warn
        self.off = False  # after an error writing: reads go on, writes stop
        self.total: int | None = None  # bytes in the directory (counted at the first put)
        self.hits = 0
        self.misses = 0
        self.damaged = 0  # entries found truncated or damaged (removed)
        self.pruned = 0  # entries removed to stay within the bound
        self._lock = threading.Lock()

    def path(self, digest: str) -> str:
        return os.path.join(self.dir, digest + SUFFIX)

    def get(self, digest: str) -> tuple[str, int, bytes] | None:
        """(function name, level, object code) stored under digest, or None."""
        p = self.path(digest)
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError:
            self.misses += 1
            return None
        got = decode(data)
        if got is None:
            self.damaged += 1
            self.misses += 1
            try:
                os.unlink(p)
            except OSError:
                pass
            return None
        self.hits += 1
        try:
            os.utime(p)  # recently used: pruned last
        except OSError:
            pass
        return got

    def put(self, digest: str, name: str, level: int, payload: bytes) -> None:
        if self.off:
            return
        import tempfile
        data = encode(name, level, payload)
        with self._lock:
            try:
                os.makedirs(self.dir, exist_ok=True)
                if self.total is None:
                    self.total = sum(size for _, size, _ in self._entries())
                fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=SUFFIX)
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(data)
                    os.replace(tmp, self.path(digest))
                except BaseException:
                    try:
                        os.unlink(tmp)
                    except OSError:
                        pass
                    raise
            except OSError as e:
                self.off = True
                if self.warn is not None:
                    self.warn(f"code cache {self.dir}: {e.strerror or e}; "
                              "compiling without it")
                return
            self.total += len(data)
            if self.total > self.bound:
                self.prune()

    def _entries(self) -> list[tuple[float, int, str]]:
        """(modification time, size, path) of every entry; stale temporary files go."""
        out = []
        now = time.time()
        try:
            names = os.listdir(self.dir)
        except OSError:
            return out
        for n in names:
            p = os.path.join(self.dir, n)
            try:
                st = os.stat(p)
            except OSError:
                continue  # removed meanwhile by another process
            if n.startswith(".tmp-"):
                if now - st.st_mtime > STALE_TMP:
                    try:
                        os.unlink(p)
                    except OSError:
                        pass
            elif n.endswith(SUFFIX):
                out.append((st.st_mtime, st.st_size, p))
        return out

    def prune(self) -> None:
        """Remove the least recently used entries down to three quarters of the bound
        (so that pruning is rare), counting what is really there (other processes
        write too)."""
        entries = sorted(self._entries())
        total = sum(size for _, size, _ in entries)
        goal = self.bound * 3 // 4
        for _, size, p in entries:
            if total <= goal:
                break
            try:
                os.unlink(p)
                self.pruned += 1
            except OSError:
                pass  # another process pruned it first
            total -= size
        self.total = max(total, 0)
