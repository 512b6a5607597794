"""HTIF, the Spike host-target interface: the `tohost`/`fromhost` mailboxes in RAM that
riscv-tests and Spike-style programs use to print and to exit (virt-rv32.md section 8).

The mailboxes are 64-bit words at the addresses of the ELF symbols `tohost` and
`fromhost`.  The machine tells this device about every store that lands on them
(`stored`); it reads and writes the mailboxes and any buffer they point to through the
side-effect-free `peek`/`poke` it was given, so it knows nothing of the hart.

Commands (Spike fesvr `device.h` command_t: device 63:56, cmd 55:48, payload 47:0):

* device 0, cmd 0, payload bit 0 set: exit with status payload >> 1 (riscv-tests'
  `tohost = 1` is a pass, `(n << 1) | 1` says test n failed);
* device 0, cmd 0, payload bit 0 clear: payload is the address of `magic_mem[8]`
  (syscall number, then arguments, 64 bits each); SYS_write (64) to fd 1 or 2 prints the
  buffer.  The result goes to magic_mem[0] and 1 to `fromhost`;
* device 1, cmd 1: print the payload's low byte; 0x100 | byte goes back in `fromhost`
  (as QEMU's hw/char/riscv_htif.c answers).

Anything else is ignored, as QEMU's HTIF ignores it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from rvirt.errors import MachineExit

SYS_WRITE = 64
EBADF = 9
EFAULT = 14
ENOSYS = 38
MASK64 = (1 << 64) - 1
PAYLOAD = (1 << 48) - 1
MAX_QUEUED = 64  # responses waiting for the guest to empty fromhost


class Htif:
    """The host side of the tohost/fromhost mailboxes."""

    name = "htif"

    def __init__(self, tohost: int, fromhost: int,
                 peek: Callable[[int, int], bytes | None],
                 poke: Callable[[int, bytes], bool],
                 console: Callable[[bytes], None]) -> None:
        self.tohost = tohost
        self.fromhost = fromhost
        self._peek = peek
        self._poke = poke
        self._console = console
        self._halves = 0  # bit 0: low word of tohost written, bit 1: high word
        self._responses: deque[int] = deque()

    def reset(self) -> None:
        self._halves = 0
        self._responses.clear()

    def state(self) -> dict[str, object]:
        return {"halves": self._halves, "responses": tuple(self._responses)}

    def set_state(self, state: dict[str, object]) -> None:
        self._halves = state["halves"]  # type: ignore[assignment]
        self._responses = deque(state["responses"])  # type: ignore[call-overload]

    def stored(self, addr: int, size: int) -> None:
        """A guest store of `size` bytes at physical `addr` has landed in RAM.

        On rv32 the guest writes tohost as two words (riscv-tests: the low word, then 0
        to the high word).  The command is taken once both halves have been written since
        the last one, in whichever order, so a half-written value is never acted on.
        """
        end = addr + size
        t = self.tohost
        if addr < t + 8 and t < end:
            if addr < t + 4:
                self._halves |= 1
            if end > t + 4:
                self._halves |= 2
            if self._halves == 3:
                self._halves = 0
                self._take()
        f = self.fromhost
        if addr < f + 8 and f < end and self._responses:
            self._deliver()

    # --- mailboxes -------------------------------------------------------------------
    def _read64(self, addr: int) -> int:
        data = self._peek(addr, 8)
        return int.from_bytes(data, "little") if data is not None else 0

    def _write64(self, addr: int, value: int) -> None:
        self._poke(addr, (value & MASK64).to_bytes(8, "little"))

    def _take(self) -> None:
        value = self._read64(self.tohost)
        if value == 0:
            return
        self._write64(self.tohost, 0)  # the host empties tohost first (fesvr htif_t::run)
        device, cmd, payload = value >> 56, (value >> 48) & 0xFF, value & PAYLOAD
        if device == 0 and cmd == 0:
            if payload & 1:
                code = payload >> 1
                raise MachineExit(code, f"htif: exit {code}")
            self._respond(device, cmd, self._syscall(payload))
        elif device == 1 and cmd == 1:
            self._console(bytes([payload & 0xFF]))
            self._respond(device, cmd, 0x100 | (payload & 0xFF))

    def _respond(self, device: int, cmd: int, payload: int) -> None:
        if len(self._responses) < MAX_QUEUED:
            self._responses.append(device << 56 | cmd << 48 | (payload & PAYLOAD))
        self._deliver()

    def _deliver(self) -> None:
        """Responses go to fromhost only while the guest has left it empty (fesvr)."""
        if self._responses and self._read64(self.fromhost) == 0:
            self._write64(self.fromhost, self._responses.popleft())

    # --- the syscall proxy -------------------------------------------------------------
    def _syscall(self, magic: int) -> int:
        """Run the proxied syscall at `magic`; its result goes to magic_mem[0], and the
        response to fromhost is 1."""
        raw = self._peek(magic, 64)
        if raw is None:
            return 1
        args = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, 64, 8)]
        number = args[0]
        if number == SYS_WRITE:
            fd, buf, length = args[1], args[2], args[3]
            data = self._peek(buf, length) if fd in (1, 2) else None
            if fd not in (1, 2):
                result = -EBADF
            elif data is None:
                result = -EFAULT
            else:
                self._console(data)
                result = length
        else:
            result = -ENOSYS
        self._write64(magic, result)
        return 1
