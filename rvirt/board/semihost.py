"""RISC-V semihosting (-semihosting, -semihosting-config): the host side of the calls.

A guest asks the host for a service with `slli x0, x0, 0x1f; ebreak; srai x0, x0, 7`
(riscv-semihosting spec, "Semihosting trap sequence"): a0 the operation, a1 the
parameter (a word, or the address of a block of XLEN-wide words), the result in a0.
The operations and their answers are the Arm semihosting ones as QEMU 7.2 gives them
(semihosting/arm-compat-semi.c), with one deliberate difference: files are confined to
the working directory (absolute paths, `..` and symbolic links leading out fail with
EACCES), so a guest cannot touch the rest of the host (docs/differences.md).

The hart calls `Semihost.__call__` from its trap path for every breakpoint exception
(Hart.semihost); it answers False when the exception is a plain ebreak.  The guest is
not trusted: a pointer to unmapped memory fails the call with EFAULT, and every length
is copied in bounded chunks, never allocated whole.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.cpu import csr as C
from rvirt.cpu.mmu import debug_translate
from rvirt.cpu.trap import Trap
from rvirt.errors import MachineExit
from rvirt.isa.xlen import MASK, XLEN

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.cpu.hart import Hart

# The trap sequence (riscv-semihosting spec): uncompressed, so it is easy to check.
PRE, EBREAK, POST = 0x01F01013, 0x00100073, 0x40705013
PAGE = 0x1000
WORD = XLEN // 8  # a parameter block's fields are XLEN wide
CHUNK = 64 << 10  # bytes copied between guest and host at a time
STRING_MAX = 1 << 20  # a NUL-terminated string longer than this fails with ENAMETOOLONG

# Operation numbers (Arm "Semihosting for AArch32 and AArch64", QEMU's TARGET_SYS_*).
SYS_OPEN = 0x01
SYS_CLOSE = 0x02
SYS_WRITEC = 0x03
SYS_WRITE0 = 0x04
SYS_WRITE = 0x05
SYS_READ = 0x06
SYS_READC = 0x07
SYS_ISERROR = 0x08
SYS_ISTTY = 0x09
SYS_SEEK = 0x0A
SYS_FLEN = 0x0C
SYS_TMPNAM = 0x0D
SYS_REMOVE = 0x0E
SYS_RENAME = 0x0F
SYS_CLOCK = 0x10
SYS_TIME = 0x11
SYS_SYSTEM = 0x12
SYS_ERRNO = 0x13
SYS_GET_CMDLINE = 0x15
SYS_HEAPINFO = 0x16
SYS_EXIT = 0x18
SYS_EXIT_EXTENDED = 0x20
SYS_ELAPSED = 0x30
SYS_TICKFREQ = 0x31
ADP_STOPPED_APPLICATION_EXIT = 0x20026

# SYS_OPEN's modes 0-11 are fopen's "r", "rb", "r+", "r+b", "w", "wb", "w+", "w+b", "a",
# "ab", "a+", "a+b": the open(2) flags of each pair.
OPEN_FLAGS = (
    os.O_RDONLY, os.O_RDWR,
    os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.O_RDWR | os.O_CREAT | os.O_TRUNC,
    os.O_WRONLY | os.O_CREAT | os.O_APPEND, os.O_RDWR | os.O_CREAT | os.O_APPEND,
)
TICKS_PER_SECOND = 1_000_000_000  # SYS_ELAPSED counts nanoseconds (as QEMU)


class _Fault(Exception):  # noqa: N818 - the call fails with an errno
    def __init__(self, err: int) -> None:
        super().__init__(err)
        self.err = err


class _Console:
    """A handle on the console: ":tt" (QEMU's host stdin, stdout or stderr)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd


# ":semihosting-features" (Arm semihosting v2.0): the magic "SHFB" and one byte of
# feature bits, SH_EXT_EXIT_EXTENDED (bit 0) and SH_EXT_STDOUT_STDERR (bit 1), as QEMU.
FEATURES = b"SHFB\x03"


class _Static:
    """A read-only file held in memory (":semihosting-features")."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0


class Semihost:
    """The host side of semihosting for one board.

    `console_out` is where SYS_WRITEC/WRITE0 print: the console's output when the
    configuration names a chardev, else stderr (QEMU 7.2 without chardev= writes them
    to its stderr).  `read_console(n)` waits for up to n bytes typed at the console
    (b"" at end of input); the command line sets it."""

    def __init__(self, board: Board, userspace: bool = False, on_console: bool = False,
                 cmdline: str = "") -> None:
        self.board = board
        self.userspace = userspace
        self.cmdline = cmdline
        self.errno = 0
        self.files: dict[int, int | _Console | _Static] = {}
        self.root = os.path.realpath(os.getcwd())
        self.console_out: Callable[[bytes], None] = (
            board.console_out if on_console else self._stderr)
        self.read_console: Callable[[int], bytes] = lambda n: b""
        self.calls = 0  # semihosting calls answered (the debugger and tests look)
        # While a history records the run (record()): position -> (a0, guest memory the
        # call wrote), so that a replay (board.replaying) gives the guest the same
        # answers without doing the host's side again (files, console, errno).
        self.log: dict[int, tuple[int, list[tuple[int, bytes]]]] | None = None
        self._wrote: list[tuple[int, bytes]] | None = None

    def record(self) -> None:
        """Keep each call's answer from now on, for replays (rvirt.debug.history)."""
        self.log = {}

    # --- the hart's hook ---------------------------------------------------------------
    def __call__(self, h: Hart) -> bool:
        """Answer the breakpoint exception at h.pc if it is a semihosting call: a0 set,
        pc past the ebreak (QEMU 7.2 riscv_cpu_do_interrupt), True.  False: a plain
        breakpoint, taken as a trap."""
        if h.priv == C.PRV_U and not self.userspace:
            return False  # QEMU: semihosting_enabled(is_user), userspace=on for U-mode
        pc = h.pc
        if (pc - 4) // PAGE != (pc + 4) // PAGE:
            return False  # the three must lie in one page (the spec), so fetching them
            # cannot fault
        try:
            fetch = h.fetch_plain  # as the hart fetches (MMU, PMP), no trigger fires
            if fetch(pc) != EBREAK or fetch(pc - 4) != PRE or fetch(pc + 4) != POST:
                return False
        except Trap:
            return False
        self.calls += 1
        position = self.board.position
        h.traps += 1  # a step that retires nothing, as a trap (position counts it)
        log = self.log
        if log is not None and self.board.replaying and position in log:
            result, wrote = log[position]
            for addr, data in wrote:
                self.write(addr, data)
        else:
            self._wrote = [] if log is not None else None
            try:
                result = self.answer(h.x[10], h.x[11])
            finally:
                wrote, self._wrote = self._wrote, None
            if log is not None:
                log[position] = (result & MASK, wrote or [])
        h.x[10] = result & MASK
        h.pc = (pc + 4) & MASK
        return True

    def answer(self, op: int, arg: int) -> int:
        """The call's a0; a failure is -1 with SYS_ERRNO's value kept."""
        try:
            return self.call(op, arg)
        except _Fault as f:
            self.errno = f.err
            return -1

    def call(self, op: int, arg: int) -> int:
        handler = OPERATIONS.get(op)
        if handler is None:
            # QEMU 7.2 aborts ("Unsupported SemiHosting SWI"); rvirt stops the machine.
            self.board.notice(f"semihosting: unsupported call {op:#04x}: stopping")
            raise MachineExit(1, "semihosting")
        return handler(self, arg)

    # --- guest memory --------------------------------------------------------------------
    def _pieces(self, addr: int, n: int) -> list[tuple[int, int]]:
        """(physical address, length) per page of [addr, addr+n) as the hart's loads see
        it; EFAULT if any page is unmapped or has no RAM or ROM behind it."""
        b = self.board
        out = []
        done = 0
        while done < n:
            va = (addr + done) & MASK
            k = min(n - done, PAGE - (va & (PAGE - 1)))
            pa = debug_translate(b.hart, va)
            if pa is None or b.bus.debug_read(pa, 1) is None or \
                    b.bus.debug_read(pa + k - 1, 1) is None:
                raise _Fault(errno.EFAULT)
            if out and out[-1][0] + out[-1][1] == pa:
                out[-1] = (out[-1][0], out[-1][1] + k)
            else:
                out.append((pa, k))
            done += k
        return out

    def read(self, addr: int, n: int) -> bytes:
        """n bytes (n at most CHUNK) of guest memory at virtual addr."""
        parts = [self.board.bus.debug_read(pa, k) or b"" for pa, k in self._pieces(addr, n)]
        return b"".join(parts)

    def write(self, addr: int, data: bytes) -> None:
        h = self.board.hart
        if self._wrote is not None:
            self._wrote.append((addr, bytes(data)))
        done = 0
        for pa, k in self._pieces(addr, len(data)):
            self.board.write_physical(pa, data[done:done + k])
            # Like the hart's stores: translations made from these pages are dropped.
            o = pa - h.ram_base
            if 0 <= o < len(h.ram):
                for page in range(o >> 12, ((o + k - 1) >> 12) + 1):
                    if h.code_pages[page]:
                        h.on_code_write(h.ram_base + (page << 12))
            done += k

    def word(self, addr: int, i: int) -> int:
        return int.from_bytes(self.read(addr + i * WORD, WORD), "little")

    def set_word(self, addr: int, i: int, value: int) -> None:
        self.write(addr + i * WORD, (value & MASK).to_bytes(WORD, "little"))

    def string(self, addr: int) -> bytes:
        """A NUL-terminated string, read page by page."""
        out = bytearray()
        while len(out) < STRING_MAX:
            va = (addr + len(out)) & MASK
            chunk = self.read(va, PAGE - (va & (PAGE - 1)))
            nul = chunk.find(0)
            if nul >= 0:
                return bytes(out + chunk[:nul])
            out += chunk
        raise _Fault(errno.ENAMETOOLONG)

    def checked(self, addr: int, n: int) -> None:
        """EFAULT unless all of [addr, addr+n) is guest memory (QEMU locks the whole
        buffer before the call), checked page by page."""
        self._pieces(addr, n)

    # --- the host's files ----------------------------------------------------------------
    def path(self, name: bytes) -> str:
        """The host path of a guest's file name: relative, inside the working directory."""
        text = os.fsdecode(name)
        parts = text.replace("\\", "/").split("/")
        if not text or text.startswith("/") or ".." in parts:
            raise _Fault(errno.EACCES)
        full = os.path.realpath(os.path.join(self.root, text))
        if full != self.root and not full.startswith(self.root + os.sep):
            raise _Fault(errno.EACCES)  # a symbolic link that leads out
        return full

    def handle(self, fd: int) -> int | _Console | _Static:
        f = self.files.get(fd)
        if f is None:
            raise _Fault(errno.EBADF)
        return f

    def new_handle(self, f: int | _Console | _Static) -> int:
        fd = 1  # SYS_OPEN returns a non-zero handle (QEMU's guest fds start at 1)
        while fd in self.files:
            fd += 1
        self.files[fd] = f
        return fd

    # --- console -----------------------------------------------------------------------
    def _stderr(self, data: bytes) -> None:
        if not self.board.replaying:
            sys.stderr.buffer.write(data)
            sys.stderr.buffer.flush()

    def print(self, data: bytes) -> None:
        if not self.board.replaying:
            self.console_out(data)

    def tt_write(self, fd: int, data: bytes) -> None:
        """A write to ":tt": QEMU writes to its own stdout (or stderr)."""
        if self.board.replaying:
            return
        if fd == 2:
            self._stderr(data)
        else:
            self.board.print_out(data)


Operation = Callable[[Semihost, int], int]


def _open(s: Semihost, arg: int) -> int:
    name_at, mode, length = s.word(arg, 0), s.word(arg, 1), s.word(arg, 2)
    name = _name(s, name_at, length)
    if mode >= 12:
        raise _Fault(errno.EINVAL)
    if name == b":tt":
        # QEMU implements SH_EXT_STDOUT_STDERR: read is stdin, write stdout, append stderr
        return s.new_handle(_Console(0 if mode < 4 else 1 if mode < 8 else 2))
    if name == b":semihosting-features":
        if mode >= 4:
            raise _Fault(errno.EACCES)  # read-only
        return s.new_handle(_Static(FEATURES))
    path = s.path(name)
    try:
        fd = os.open(path, OPEN_FLAGS[mode >> 1] | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise _Fault(e.errno or errno.EIO) from None
    return s.new_handle(fd)


def _close(s: Semihost, arg: int) -> int:
    fd = s.word(arg, 0)
    f = s.handle(fd)
    del s.files[fd]
    if isinstance(f, int):
        os.close(f)
    return 0


# SYS_WRITEC and SYS_WRITE0 return nothing: the spec says a0 is corrupted, and QEMU 7.2
# (common_semi_dead_cb) leaves this in it.
CORRUPTED = 0xDEADBEEF


def _writec(s: Semihost, arg: int) -> int:
    try:
        s.print(s.read(arg, 1))
    except _Fault:
        pass  # (a bad pointer too: QEMU reports nothing)
    return CORRUPTED


def _write0(s: Semihost, arg: int) -> int:
    try:
        s.print(s.string(arg))
    except _Fault:
        pass
    return CORRUPTED


def _write(s: Semihost, arg: int) -> int:
    """Bytes NOT written (0 when all were).  A bad handle or buffer writes nothing and,
    as QEMU 7.2's common_semi_rw_cb, leaves SYS_ERRNO as it was."""
    fd, buf, n = s.word(arg, 0), s.word(arg, 1), s.word(arg, 2)
    done = 0
    try:
        f = s.handle(fd)
        s.checked(buf, n)
        while done < n:
            data = s.read(buf + done, min(CHUNK, n - done))
            if isinstance(f, _Static):
                raise _Fault(errno.EBADF)
            if isinstance(f, _Console):
                if f.fd == 0:
                    raise _Fault(errno.EBADF)
                s.tt_write(f.fd, data)
                k = len(data)
            else:
                k = os.write(f, data)
            done += k
            if k < len(data):
                break
    except OSError as e:
        s.errno = e.errno or errno.EIO
    except _Fault:
        pass
    return n - done


def _read(s: Semihost, arg: int) -> int:
    """Bytes NOT read (n at end of file); errors as _write's."""
    fd, buf, n = s.word(arg, 0), s.word(arg, 1), s.word(arg, 2)
    done = 0
    try:
        f = s.handle(fd)
        s.checked(buf, n)
        while done < n:
            want = min(CHUNK, n - done)
            if isinstance(f, _Static):
                data = f.data[f.pos:f.pos + want]
                f.pos += len(data)
            elif isinstance(f, _Console):
                if f.fd != 0:
                    raise _Fault(errno.EBADF)
                data = s.read_console(want)
            else:
                data = os.read(f, want)
            if not data:
                break
            s.write(buf + done, data)
            done += len(data)
            if isinstance(f, _Console):
                break  # a console read returns what was typed, as read(2)
    except OSError as e:
        s.errno = e.errno or errno.EIO
    except _Fault:
        pass
    return n - done


def _readc(s: Semihost, arg: int) -> int:
    data = s.read_console(1)
    return data[0] if data else -1


def _iserror(s: Semihost, arg: int) -> int:
    status = s.word(arg, 0)
    return 1 if status >> (XLEN - 1) else 0


def _istty(s: Semihost, arg: int) -> int:
    f = s.handle(s.word(arg, 0))
    if isinstance(f, _Console):
        return 1 if os.isatty(f.fd) else 0
    s.errno = errno.ENOTTY
    return 0  # (a file, or the features)


def _seek(s: Semihost, arg: int) -> int:
    f = s.handle(s.word(arg, 0))
    pos = s.word(arg, 1)
    if isinstance(f, _Static):
        f.pos = pos
        return 0
    if isinstance(f, _Console):
        raise _Fault(errno.ESPIPE)
    try:
        os.lseek(f, pos, os.SEEK_SET)
    except OSError as e:
        raise _Fault(e.errno or errno.EIO) from None
    return 0


def _flen(s: Semihost, arg: int) -> int:
    f = s.handle(s.word(arg, 0))
    if isinstance(f, _Static):
        return len(f.data)
    fd = f.fd if isinstance(f, _Console) else f
    try:
        st = os.fstat(fd)
    except OSError as e:
        raise _Fault(e.errno or errno.EIO) from None
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _tmpnam(s: Semihost, arg: int) -> int:
    buf, ident, n = s.word(arg, 0), s.word(arg, 1), s.word(arg, 2)
    # QEMU names /tmp/qemu-<pid><id>; outside the working directory rvirt could not
    # open it, so the name is relative (docs/differences.md).
    name = f"rvirt-tmp-{os.getpid():x}{ident & 0xFF:02x}".encode() + b"\0"
    if len(name) > n:
        return -1
    s.write(buf, name)
    return 0


def _remove(s: Semihost, arg: int) -> int:
    name_at, length = s.word(arg, 0), s.word(arg, 1)
    path = s.path(_name(s, name_at, length))
    try:
        os.remove(path)
    except OSError as e:
        raise _Fault(e.errno or errno.EIO) from None
    return 0


def _rename(s: Semihost, arg: int) -> int:
    old = s.path(_name(s, s.word(arg, 0), s.word(arg, 1)))
    new = s.path(_name(s, s.word(arg, 2), s.word(arg, 3)))
    try:
        os.rename(old, new)
    except OSError as e:
        raise _Fault(e.errno or errno.EIO) from None
    return 0


def _name(s: Semihost, at: int, length: int) -> bytes:
    """A file name as QEMU 7.2 takes it (it passes length + 1 to validate_strlen): the
    NUL must be right after `length` bytes, else EINVAL (a length of 0 too)."""
    if length >= STRING_MAX:
        raise _Fault(errno.ENAMETOOLONG)
    if s.read(at + length, 1) != b"\0":
        raise _Fault(errno.EINVAL)
    return s.read(at, length).split(b"\0", 1)[0] if length else b""


def _clock(s: Semihost, arg: int) -> int:
    # Centiseconds since the machine started, in the machine's (virtual) time; QEMU
    # gives its own process's CPU time, which no run repeats (docs/differences.md).
    return s.board.virtual_ns() // 10_000_000


def _time(s: Semihost, arg: int) -> int:
    b = s.board
    return (b.host_epoch_ns + b.virtual_ns()) // 1_000_000_000  # the RTC's clock


def _system(s: Semihost, arg: int) -> int:
    # QEMU runs the command on the host; a guest never runs host commands here.
    raise _Fault(errno.EPERM)


def _errno(s: Semihost, arg: int) -> int:
    return s.errno


def _get_cmdline(s: Semihost, arg: int) -> int:
    buf, n = s.word(arg, 0), s.word(arg, 1)
    text = s.cmdline.encode()
    if len(text) + 1 > n:
        raise _Fault(errno.E2BIG)
    s.write(buf, text + b"\0")
    s.set_word(arg, 1, len(text))
    return 0


def _heapinfo(s: Semihost, arg: int) -> int:
    """QEMU 7.2 (common_semi_find_bases): the heap is the largest gap RAM has between
    what was loaded into it (the images' segments, the device tree); the stack grows
    down from the gap's end."""
    base, limit = s.board.free_ram()
    block = s.word(arg, 0)
    for i, v in enumerate((base, limit, limit, base)):
        s.set_word(block, i, v)
    return 0


def _exit(s: Semihost, arg: int) -> int:
    # rv32's SYS_EXIT takes the reason itself (QEMU: not 64-bit semihosting); only
    # ApplicationExit is a normal exit.
    raise MachineExit(0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1, "semihosting")


def _exit_extended(s: Semihost, arg: int) -> int:
    reason, code = s.word(arg, 0), s.word(arg, 1)
    raise MachineExit((code & 0xFF) if reason == ADP_STOPPED_APPLICATION_EXIT else 1,
                      "semihosting")


def _elapsed(s: Semihost, arg: int) -> int:
    ticks = s.board.virtual_ns()
    s.set_word(arg, 0, ticks & MASK)
    s.set_word(arg, 1, ticks >> XLEN)
    return 0


def _tickfreq(s: Semihost, arg: int) -> int:
    return TICKS_PER_SECOND


OPERATIONS: dict[int, Operation] = {
    SYS_OPEN: _open,
    SYS_CLOSE: _close,
    SYS_WRITEC: _writec,
    SYS_WRITE0: _write0,
    SYS_WRITE: _write,
    SYS_READ: _read,
    SYS_READC: _readc,
    SYS_ISERROR: _iserror,
    SYS_ISTTY: _istty,
    SYS_SEEK: _seek,
    SYS_FLEN: _flen,
    SYS_TMPNAM: _tmpnam,
    SYS_REMOVE: _remove,
    SYS_RENAME: _rename,
    SYS_CLOCK: _clock,
    SYS_TIME: _time,
    SYS_SYSTEM: _system,
    SYS_ERRNO: _errno,
    SYS_GET_CMDLINE: _get_cmdline,
    SYS_HEAPINFO: _heapinfo,
    SYS_EXIT: _exit,
    SYS_EXIT_EXTENDED: _exit_extended,
    SYS_ELAPSED: _elapsed,
    SYS_TICKFREQ: _tickfreq,
}
