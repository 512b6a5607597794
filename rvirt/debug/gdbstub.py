"""The gdb stub: a command table from packet to handler (`GdbSession`) and a TCP server
that runs the machine in slices between socket polls (`GdbServer`).

The stub reaches the machine only through the `DebugTarget` facade.  Framing lives in
`rvirt.debug.rsp`, the target description in `rvirt.debug.targetxml`.

Behaviour follows what QEMU 7.2's stub answers to gdb 13 (shared/ref/virt-rv32.md section
6; QEMU `gdbstub/gdbstub.c`), and the GDB manual appendix "Remote Serial Protocol"
(nodes "Packets", "Stop Reply Packets", "General Query Packets", "Interrupts").
Deliberate differences from QEMU 7.2, each harmless to gdb:

* `p`/`P` answer before target.xml has been read (7.2 answered empty until then; QEMU
  8.2 dropped that rule).
* A guest exit is reported with `W<status>` before the socket closes (7.2 just closes it
  for the sifive_test finisher; newer QEMU sends `W`).  gdb then prints
  "[Inferior 1 (process 1) exited normally]" instead of "Remote connection closed".
* Reverse execution without QEMU's record/replay setup: with a target that records
  history (the debug facade does from the moment gdb attaches, or from reset with -s),
  qSupported adds `ReverseStep+;ReverseContinue+` as QEMU in replay mode, `bs`/`bc`
  step and continue backwards, and the start of history answers `T05replaylog:begin;`
  (7.2 never sends it).  A target without history answers `E22` (7.2 aborts).
  `qThreadExtraInfo` for an unknown thread answers `E22` (7.2 sends nothing).
* Legacy `S<sig>` steps (7.2 answers it empty); `P` of a register that does not exist
  answers `E14` (7.2 says OK); arguments that do not parse get `E22` where 7.2 sometimes
  answers empty.
* `X` (binary memory write) is supported, with `M`'s rules (7.2 answers it empty) but for a
  zero length, which `M` refuses with E22 as 7.2 does: gdb's
  `X addr,0:` probe gets OK, and gdb then writes memory with `X` instead of `M`.
* Breakpoints keep their type: `z0` removes a `Z0`, never a `Z1` (7.2 files both as one
  kind of breakpoint, so `z0` removes a `Z1` at that address too).  gdb always removes a
  breakpoint with the type it inserted it with, so it sees no difference.
"""

from __future__ import annotations

import logging
import select
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rvirt.debug.rsp import (
    ACK,
    NACK,
    PACKET_SIZE,
    Ack,
    BadChecksum,
    Nack,
    Oversize,
    Packet,
    PacketDecoder,
    encode_packet,
    hex_decode,
    hex_encode,
    le_hex,
    parse_hex,
)
from rvirt.debug.target import REG_PC, DebugTarget, Stop
from rvirt.debug.targetxml import TargetDescription
from rvirt.errors import MachineExit, MachineReset, RvirtError

log = logging.getLogger("rvirt.gdbstub")

SIGINT = 2
SIGTRAP = 5
DEFAULT_PORT = 1234  # QEMU's DEFAULT_GDBSTUB_PORT, what `-s` means
DEFAULT_SLICE = 10_000  # instructions run between two polls of the socket

# What QEMU 7.2 advertises (without replay): PacketSize is hex.
QSUPPORTED_REPLY = b"PacketSize=%x;qXfer:features:read+;vContSupported+;multiprocess+" % (
    PACKET_SIZE)
# With history, as QEMU 7.2 in replay mode (virt-rv32.md 6.2): the reverse features go
# after qXfer.
QSUPPORTED_REVERSE_REPLY = (b"PacketSize=%x;qXfer:features:read+;ReverseStep+;"
                            b"ReverseContinue+;vContSupported+;multiprocess+" % PACKET_SIZE)
HISTORY_START_REPLY = b"T05replaylog:begin;"  # gdb: "No more reverse-execution history."
MAX_MEMORY_READ = PACKET_SIZE // 2  # `m` longer than this gets E22 (hex doubles it)
MAX_OUTPUT_CHUNK = (PACKET_SIZE - 1) // 2  # text bytes per `O` packet
# qThreadExtraInfo, as QEMU 7.2's: "CPU#<cpu index> [running]" or "[halted ]" (in wfi)
THREAD_EXTRA_INFO = b"CPU#%d [%s]"

E_FAULT = b"E14"  # EFAULT: memory or register not accessible
E_INVAL = b"E22"  # EINVAL: malformed or unsupported argument
E_RCMD = b"E01"  # what QEMU answers a qRcmd with undecodable hex

_WATCH_KINDS = {2: "watch", 3: "rwatch", 4: "awatch"}


class BadPacket(ValueError):
    """A packet's arguments do not parse; the handler's reply becomes `E22`."""


BREAKPOINT_TYPES = (0, 1)  # Z0 software, Z1 hardware ("Packets", z type)


class Breakpoints:
    """The Z0/Z1 breakpoints and Z2/Z3/Z4 watchpoints in place, each with its type: a
    software and a hardware breakpoint at one address are two, and removing one leaves
    the other.

    As in QEMU's breakpoint and watchpoint lists (7.2 cpu.c `cpu_breakpoint_insert`/
    `_remove`, softmmu/watchpoint.c), the same one inserted twice needs two removals.
    A breakpoint's kind (2 or 4 bytes) plays no part; a watchpoint is removed only by
    its type, address and length.  An address is `in` the table while a breakpoint of
    either type remains there.
    """

    def __init__(self) -> None:
        self._count: Counter[tuple[int, ...]] = Counter()

    def add(self, ztype: int, addr: int, length: int | None = None) -> None:
        """Note one more; `length` for a watchpoint, None for a breakpoint."""
        self._count[(ztype, addr) if length is None else (ztype, addr, length)] += 1

    def discard(self, ztype: int, addr: int, length: int | None = None) -> bool:
        """Remove one of this type at `addr` (of `length`, for a watchpoint); False if
        there is none."""
        key = (ztype, addr) if length is None else (ztype, addr, length)
        count = self._count.get(key, 0)
        if count == 0:
            return False
        if count == 1:
            del self._count[key]
        else:
            self._count[key] = count - 1
        return True

    def clear(self) -> None:
        self._count.clear()

    def __contains__(self, addr: object) -> bool:
        return any((ztype, addr) in self._count for ztype in BREAKPOINT_TYPES)

    def __bool__(self) -> bool:
        return bool(self._count)


@dataclass
class Outcome:
    """What handling one packet asks of the server: packets to send, then an action.

    action: "" (none), "continue" (run until a stop), "step" (one instruction),
    "detach" (run on without the debugger), "kill" (end the machine).
    """

    replies: list[bytes] = field(default_factory=list)
    action: str = ""


@dataclass(frozen=True)
class ServeResult:
    """Why `GdbServer.serve()` returned.

    reason: "exited" (the guest ended the machine; `status` is its exit status),
    "killed" (gdb sent `k`/`vKill`: the caller prints its "terminated via gdb stub" line
    and exits 0, as QEMU does), or "stopped" (`request_stop()` was called).
    """

    status: int
    reason: str


# --------------------------------------------------------------------------------------
# Argument parsing helpers (raise BadPacket)
# --------------------------------------------------------------------------------------

def _hex(text: bytes) -> int:
    try:
        return parse_hex(text)
    except ValueError as exc:
        raise BadPacket(str(exc)) from None


def _hexdata(text: bytes) -> bytes:
    try:
        return hex_decode(text)
    except ValueError as exc:
        raise BadPacket(str(exc)) from None


def _split(text: bytes, sep: bytes, count: int) -> list[bytes]:
    parts = text.split(sep, count - 1)
    if len(parts) != count:
        raise BadPacket(f"expected {count} fields in {text[:32]!r}")
    return parts


def _thread_part(text: bytes) -> int:
    if text == b"-1":
        return -1
    return _hex(text)


def parse_thread_id(text: bytes) -> tuple[int, int]:
    """A thread-id ("Packets", thread-id syntax): `pPID.TID`, `pPID` or `TID`, where each
    is hex, 0 (any) or -1 (all).  Returns (pid, tid); pid is 0 when not given."""
    if text.startswith(b"p"):
        pid_text, dot, tid_text = text[1:].partition(b".")
        pid = _thread_part(pid_text)
        tid = _thread_part(tid_text) if dot else -1
        return pid, tid
    return 0, _thread_part(text)


def _is_our_thread(pid: int, tid: int, harts: int = 1) -> bool:
    # One process (pid 1) with a thread per hart (tid hart + 1); 0 means "any", -1 "all".
    return pid in (-1, 0, 1) and (tid in (-1, 0) or 1 <= tid <= harts)


# --------------------------------------------------------------------------------------
# The command table
# --------------------------------------------------------------------------------------

Handler = Callable[["GdbSession", bytes], "bytes | Outcome"]


@dataclass(frozen=True)
class Command:
    """One table row: packets starting with `prefix` (or equal to it, when `exact`) go to
    `handler`, which receives the rest of the packet."""

    prefix: bytes
    handler: Handler
    exact: bool = False


class GdbSession:
    """The protocol state of one gdb connection and the packet handlers.

    `handle(payload)` returns an `Outcome`; it never touches a socket and never runs the
    machine (the server does both), so it is tested packet by packet.
    """

    def __init__(self, target: DebugTarget, breakpoints: Breakpoints | None = None) -> None:
        self.target = target
        # The Z0/Z1 breakpoints in place (the server checks them at slice boundaries);
        # shared across connections, as breakpoints outlive a connection.
        self.breakpoints = breakpoints if breakpoints is not None else Breakpoints()
        self.multiprocess = False  # set when gdb offers multiprocess+ (thread ids pP.T)
        self._listed = 0  # threads qfThreadInfo/qsThreadInfo have listed
        self._tdesc: TargetDescription | None = None
        self.reg_bytes = target.xlen // 8
        # Set by the server: whether gdb sent Ctrl-C meanwhile (asked during a long `bc`)
        self.interrupted: Callable[[], bool] | None = None

    # --- dispatch -----------------------------------------------------------------------
    def handle(self, payload: bytes) -> Outcome:
        command = _lookup(payload)
        if command is None:
            # Unknown packets get an empty reply ("Packets": "an empty response ...
            # indicates the packet is not supported").
            return Outcome([b""])
        args = payload[len(command.prefix):]
        try:
            result = command.handler(self, args)
        except BadPacket:
            return Outcome([E_INVAL])
        except (MachineExit, MachineReset):
            raise
        except Exception as exc:  # a fault in the machine must not take the debugger down
            log.warning("gdb stub: packet %r failed: %s", payload[:40], exc)
            log.debug("traceback", exc_info=True)
            return Outcome([E_INVAL])
        if isinstance(result, Outcome):
            return result
        return Outcome([result])

    # --- thread ids and stop replies ----------------------------------------------------
    @property
    def thread_id(self) -> bytes:
        """The selected hart's thread id."""
        return self._tid(self.target.hart)

    def _tid(self, hart: int) -> bytes:
        # QEMU formats CPU n as p01.<n+1> once gdb chose multiprocess, else <n+1>.
        return b"p01.%02x" % (hart + 1) if self.multiprocess else b"%02x" % (hart + 1)

    def _hart_of(self, text: bytes) -> int | None:
        """The hart a thread-id names: None for "any"/"all", -1 for none of ours."""
        pid, tid = parse_thread_id(text)
        if not _is_our_thread(pid, tid, self.target.harts):
            return -1
        return None if tid in (-1, 0) else tid - 1

    def stop_reply(self, stop: Stop) -> bytes:
        """The stop-reply packet for `stop` ("Stop Reply Packets")."""
        if stop.kind == "exited":
            return b"W%02x" % (stop.status & 0xFF)
        if stop.kind == "history-start":
            return HISTORY_START_REPLY
        signal = SIGINT if stop.kind == "interrupt" else SIGTRAP
        reply = b"T%02xthread:%s;" % (signal, self.thread_id)
        if stop.kind == "watch":
            # QEMU 7.2 prints the address with TARGET_FMT_lx: zero-padded to xlen.
            width = self.target.xlen // 4
            reply += b"%s:%0*x;" % (stop.watch.encode(), width, stop.addr)
        return reply

    @property
    def tdesc(self) -> TargetDescription:
        if self._tdesc is None:
            self._tdesc = TargetDescription(self.target.csr_names(), self.target.xlen)
        return self._tdesc

    def _address(self, text: bytes) -> int:
        addr = _hex(text)
        if addr >> self.target.xlen:
            raise BadPacket("address wider than xlen")
        return addr

    # --- handshake and queries ----------------------------------------------------------
    def cmd_supported(self, args: bytes) -> bytes:
        if b"multiprocess+" in args:
            self.multiprocess = True  # sticky for the connection, as in QEMU
        return QSUPPORTED_REVERSE_REPLY if self._reverse() else QSUPPORTED_REPLY

    def _reverse(self) -> bool:
        """Whether the target records history (rvirt.debug.history) for bs/bc."""
        enable = getattr(self.target, "enable_history", None)
        return enable is not None and bool(enable())

    def cmd_halt_reason(self, args: bytes) -> bytes:
        # QEMU always answers SIGTRAP and removes every breakpoint: `?` means gdb is
        # starting a fresh session.
        self._clear_breakpoints()
        return b"T%02xthread:%s;" % (SIGTRAP, self.thread_id)

    def _clear_breakpoints(self) -> None:
        self.target.clear_breakpoints()
        self.breakpoints.clear()

    def cmd_extended_mode(self, args: bytes) -> bytes:
        return b"OK"  # `!`: QEMU accepts extended-remote

    def cmd_attached(self, args: bytes) -> bytes:
        return b"1"  # attached to an existing process: gdb detaches, not kills, on quit

    def cmd_current_thread(self, args: bytes) -> bytes:
        return b"QC" + self.thread_id

    def cmd_first_thread_info(self, args: bytes) -> bytes:
        # One thread per reply, as QEMU lists its CPUs.
        self._listed = 1
        return b"m" + self._tid(0)

    def cmd_next_thread_info(self, args: bytes) -> bytes:
        if self._listed >= self.target.harts:
            return b"l"
        self._listed += 1
        return b"m" + self._tid(self._listed - 1)

    def cmd_thread_extra_info(self, args: bytes) -> bytes:
        hart = self._hart_of(args)
        if hart is None or hart < 0:
            return E_INVAL  # QEMU: one thread must be named
        state = b"halted " if self.target.hart_waiting(hart) else b"running"
        return hex_encode(THREAD_EXTRA_INFO % (hart, state))

    def cmd_set_thread(self, args: bytes) -> bytes:
        # Hg (registers) and Hc (steps) select one hart; "any" or "all" answers OK and
        # changes nothing, as QEMU 7.2.  One selection serves both: QEMU's stops set both.
        op, thread = args[:1], args[1:]
        if op not in (b"g", b"c"):
            return E_INVAL
        hart = self._hart_of(thread)
        if hart is not None and hart < 0:
            return E_INVAL
        if hart is not None:
            self.target.hart = hart
        return b"OK"

    def cmd_thread_alive(self, args: bytes) -> bytes:
        # Only one named thread can be alive: QEMU refuses "all" (-1) here.
        pid, tid = parse_thread_id(args)
        ok = pid in (0, 1) and (tid == 0 or 1 <= tid <= self.target.harts)
        return b"OK" if ok else E_INVAL

    def cmd_xfer_features(self, args: bytes) -> bytes:
        # qXfer:features:read:ANNEX:OFFSET,LENGTH
        annex, _, span = args.rpartition(b":")
        offset, length = _split(span, b",", 2)
        return self.tdesc.read(annex.decode("latin-1"), _hex(offset), _hex(length))

    def cmd_monitor(self, args: bytes) -> Outcome:
        try:
            command = hex_decode(args).decode("utf-8", "replace")
        except ValueError:
            return Outcome([E_RCMD])
        text = self.target.monitor(command)
        # QEMU's monitor ends lines with CR LF; gdb prints `O` text as it comes.
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        data = text.encode("utf-8", "replace")
        replies = []
        for line in data.splitlines(keepends=True):
            for i in range(0, len(line), MAX_OUTPUT_CHUNK):
                replies.append(b"O" + hex_encode(line[i:i + MAX_OUTPUT_CHUNK]))
        replies.append(b"OK")
        return Outcome(replies)

    # --- registers ----------------------------------------------------------------------
    def cmd_read_registers(self, args: bytes) -> bytes:
        # `g` carries x0-x31 and pc (gdb's g-packet registers, as QEMU's 33).
        values = []
        for regnum in range(REG_PC + 1):
            value = self.target.read_register(regnum)
            values.append(le_hex(value or 0, self.reg_bytes))
        return b"".join(values)

    def cmd_write_registers(self, args: bytes) -> bytes:
        data = _hexdata(args)
        size = self.reg_bytes
        for regnum in range(min(REG_PC + 1, len(data) // size)):
            chunk = data[regnum * size:(regnum + 1) * size]
            self.target.write_register(regnum, int.from_bytes(chunk, "little"))
        return b"OK"

    def cmd_read_register(self, args: bytes) -> bytes:
        value = self.target.read_register(_hex(args))
        if value is None:
            return E_FAULT
        return le_hex(value, self.reg_bytes)

    def cmd_write_register(self, args: bytes) -> bytes:
        regnum, value = _split(args, b"=", 2)
        data = _hexdata(value)
        if not data:
            raise BadPacket("no register value")
        ok = self.target.write_register(_hex(regnum), int.from_bytes(data, "little"))
        return b"OK" if ok else E_FAULT

    # --- memory -------------------------------------------------------------------------
    def cmd_read_memory(self, args: bytes) -> bytes:
        addr_text, length_text = _split(args, b",", 2)
        length = _hex(length_text)
        if length > MAX_MEMORY_READ:
            return E_INVAL  # QEMU: the hex reply would not fit a packet
        if length == 0:
            return b""  # QEMU sends the (empty) hex of nothing, wherever it points
        addr = _hex(addr_text)
        if addr >> self.target.xlen:
            return E_FAULT
        data = self.target.read_memory(addr, length)
        if data is None:
            return E_FAULT
        return hex_encode(data)

    def _write_memory(self, where: bytes, data: bytes, binary: bool) -> bytes:
        # M and X: ADDR,LENGTH then the bytes; bytes past LENGTH are ignored.
        addr_text, length_text = _split(where, b",", 2)
        addr, length = self._address(addr_text), _hex(length_text)
        if length > len(data):
            return E_INVAL
        if length == 0 and not binary:
            return E_INVAL  # QEMU 7.2 refuses `M addr,0:`; `X addr,0:` is gdb's probe
        # QEMU 7.2 answers OK even when the bytes land on MMIO or nothing (the debug write
        # is dropped), so the facade's False is not turned into an error here.
        self.target.write_memory(addr, data[:length])
        return b"OK"

    def cmd_write_memory(self, args: bytes) -> bytes:
        where, hexdata = _split(args, b":", 2)
        return self._write_memory(where, _hexdata(hexdata), False)

    def cmd_write_memory_binary(self, args: bytes) -> bytes:
        # X ADDR,LENGTH:BINARY ("Packets", X).  The decoder has already undone the `}`
        # escapes, so the data is the bytes themselves; it may hold ':' (split once).
        # gdb probes with `X addr,0:`; any non-empty answer makes it write with X from
        # then on.  QEMU 7.2 answers empty, so there gdb falls back to `M`.
        where, data = _split(args, b":", 2)
        return self._write_memory(where, data, True)

    # --- breakpoints and watchpoints ----------------------------------------------------
    def _point(self, args: bytes, insert: bool) -> bytes:
        # Z/z TYPE,ADDR,KIND[;cond...]: conditions are not advertised, so ignored.
        type_text, addr_text, kind_text = _split(args.split(b";", 1)[0], b",", 3)
        kind_type, addr, kind = _hex(type_text), self._address(addr_text), _hex(kind_text)
        if kind_type in BREAKPOINT_TYPES:
            # Both types stop the same way: QEMU keeps a list and never patches guest
            # memory for either.  The machine holds a set of addresses, so it hears of an
            # address when the first breakpoint goes there and when the last one leaves.
            if insert:
                if addr not in self.breakpoints:
                    self.target.add_breakpoint(addr)
                self.breakpoints.add(kind_type, addr)
                return b"OK"
            if not self.breakpoints.discard(kind_type, addr):
                return E_INVAL  # nothing to remove: QEMU's -ENOENT becomes E22
            if addr not in self.breakpoints:
                self.target.remove_breakpoint(addr)
            return b"OK"
        watch = _WATCH_KINDS.get(kind_type)
        if watch is None:
            return b""  # other Z types are unsupported
        if kind == 0:
            return E_INVAL  # QEMU refuses zero-length watchpoints
        if insert:
            self.breakpoints.add(kind_type, addr, kind)
            self.target.add_watchpoint(watch, addr, kind)
            return b"OK"
        if not self.breakpoints.discard(kind_type, addr, kind):
            return E_INVAL  # QEMU 7.2: -ENOENT from cpu_watchpoint_remove becomes E22
        self.target.remove_watchpoint(watch, addr, kind)
        return b"OK"

    def cmd_insert_point(self, args: bytes) -> bytes:
        return self._point(args, True)

    def cmd_remove_point(self, args: bytes) -> bytes:
        return self._point(args, False)

    # --- execution ----------------------------------------------------------------------
    def _resume_at(self, addr_text: bytes, action: str) -> Outcome:
        if addr_text:
            self.target.write_register(REG_PC, self._address(addr_text))
        return Outcome(action=action)

    def cmd_continue(self, args: bytes) -> Outcome:
        return self._resume_at(args, "continue")

    def cmd_step(self, args: bytes) -> Outcome:
        return self._resume_at(args, "step")

    def cmd_continue_signal(self, args: bytes) -> Outcome:
        # C sig[;addr]: the signal means nothing to a bare machine (QEMU drops it) and QEMU
        # ignores the address too.
        _hex(args.split(b";", 1)[0])
        return Outcome(action="continue")

    def cmd_step_signal(self, args: bytes) -> Outcome:
        _hex(args.split(b";", 1)[0])
        return Outcome(action="step")

    def cmd_vcont_query(self, args: bytes) -> bytes:
        return b"vCont;c;C;s;S"

    def cmd_vcont(self, args: bytes) -> bytes | Outcome:
        # vCont;ACTION[:THREAD];ACTION[:THREAD]...: the first action that names our one
        # thread (or all threads) is what it does ("Packets", vCont), e.g.
        # `vCont;s:p1.1;c:p1.-1` steps.
        chosen = ""
        for item in args.split(b";"):
            action, colon, thread = item.partition(b":")
            op, signal = action[:1], action[1:]
            if op in (b"C", b"S"):
                _hex(signal)
            elif op not in (b"c", b"s") or signal:
                return b""  # unsupported action (t, r, ...), as QEMU
            hart = None
            if colon:
                hart = self._hart_of(thread)
                if hart is not None and hart < 0:
                    return E_INVAL
            if not chosen:
                chosen = "step" if op in (b"s", b"S") else "continue"
                if chosen == "step" and hart is not None:
                    # the hart named steps alone: QEMU 7.2 lets the others run in
                    # parallel meanwhile (a `c` for the rest), by no fixed amount; here
                    # they wait, so a step is one instruction of one hart
                    # (gdb steps RISC-V with a breakpoint and `vCont;c` instead)
                    self.target.hart = hart
        return Outcome(action=chosen)

    def cmd_attach(self, args: bytes) -> bytes:
        _hex(args)
        return b"T%02xthread:%s;" % (SIGTRAP, self.thread_id)

    def cmd_reverse_step(self, args: bytes) -> bytes:
        # Reverse execution needs a recording; without one QEMU means to answer E22.
        if not self._reverse():
            return E_INVAL
        return self.stop_reply(self.target.reverse_step())  # type: ignore[attr-defined]

    def cmd_reverse_continue(self, args: bytes) -> bytes:
        if not self._reverse():
            return E_INVAL
        # gdb treats RISC-V watchpoints as stopping before the access: after a hit it
        # steps over the access (here: back over it) and compares the values.
        stop = self.target.reverse_continue(  # type: ignore[attr-defined]
            past_access=True, interrupted=self.interrupted)
        return self.stop_reply(stop)

    def cmd_detach(self, args: bytes) -> Outcome:
        # D;PID (or plain D before multiprocess was agreed): breakpoints go and the machine
        # runs on.  QEMU 7.2 answers a bare D with E22 once multiprocess is on.
        if args:
            if not args.startswith(b";"):
                raise BadPacket("bad detach")
            _hex(args[1:])
        elif self.multiprocess:
            return Outcome([E_INVAL])
        self._clear_breakpoints()
        return Outcome([b"OK"], action="detach")

    def cmd_kill(self, args: bytes) -> Outcome:
        # Legacy `k`: QEMU reports the process gone (W00) and exits.
        return Outcome([b"W00"], action="kill")

    def cmd_vkill(self, args: bytes) -> Outcome:
        return Outcome([b"OK"], action="kill")


COMMANDS: tuple[Command, ...] = (
    Command(b"?", GdbSession.cmd_halt_reason),
    Command(b"!", GdbSession.cmd_extended_mode),
    Command(b"g", GdbSession.cmd_read_registers),
    Command(b"G", GdbSession.cmd_write_registers),
    Command(b"p", GdbSession.cmd_read_register),
    Command(b"P", GdbSession.cmd_write_register),
    Command(b"m", GdbSession.cmd_read_memory),
    Command(b"M", GdbSession.cmd_write_memory),
    Command(b"X", GdbSession.cmd_write_memory_binary),
    Command(b"Z", GdbSession.cmd_insert_point),
    Command(b"z", GdbSession.cmd_remove_point),
    Command(b"c", GdbSession.cmd_continue),
    Command(b"C", GdbSession.cmd_continue_signal),
    Command(b"s", GdbSession.cmd_step),
    Command(b"S", GdbSession.cmd_step_signal),
    Command(b"vCont?", GdbSession.cmd_vcont_query, exact=True),
    Command(b"vCont;", GdbSession.cmd_vcont),
    Command(b"vAttach;", GdbSession.cmd_attach),
    Command(b"vKill;", GdbSession.cmd_vkill),
    Command(b"bs", GdbSession.cmd_reverse_step, exact=True),
    Command(b"bc", GdbSession.cmd_reverse_continue, exact=True),
    Command(b"D", GdbSession.cmd_detach),
    Command(b"k", GdbSession.cmd_kill),
    Command(b"H", GdbSession.cmd_set_thread),
    Command(b"T", GdbSession.cmd_thread_alive),
    Command(b"qSupported", GdbSession.cmd_supported),
    Command(b"qXfer:features:read:", GdbSession.cmd_xfer_features),
    Command(b"qAttached", GdbSession.cmd_attached),
    Command(b"qC", GdbSession.cmd_current_thread, exact=True),
    Command(b"qfThreadInfo", GdbSession.cmd_first_thread_info, exact=True),
    Command(b"qsThreadInfo", GdbSession.cmd_next_thread_info, exact=True),
    Command(b"qThreadExtraInfo,", GdbSession.cmd_thread_extra_info),
    Command(b"qRcmd,", GdbSession.cmd_monitor),
)

# First byte -> rows, longest prefix first, so `vCont?` wins over `vCont;` and `qC` (exact)
# never swallows `qCRC:`.
_TABLE: dict[int, list[Command]] = {}
for _row in sorted(COMMANDS, key=lambda row: -len(row.prefix)):
    _TABLE.setdefault(_row.prefix[0], []).append(_row)


def _lookup(payload: bytes) -> Command | None:
    if not payload:
        return None
    for row in _TABLE.get(payload[0], ()):
        if payload == row.prefix if row.exact else payload.startswith(row.prefix):
            return row
    return None


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------

class GdbServer:
    """One listening socket, at most one gdb client, and the machine's run loop.

    The machine runs in this thread: while it is running, `serve()` calls
    `target.resume(slice_instructions)` and between slices polls the socket without
    blocking (a new client, the 0x03 byte) and calls `poll_hook` (e.g. console input);
    while it is stopped it blocks on the socket, still calling `poll_hook` every
    `poll_interval` seconds when one is given.
    """

    def __init__(self, target: DebugTarget, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 *, label: str | None = None, slice_instructions: int = DEFAULT_SLICE,
                 poll_hook: Callable[[], None] | None = None,
                 poll_interval: float = 0.05) -> None:
        self.target = target
        self.host = host
        self.port = port
        self.label = label if label is not None else f"-gdb tcp:{host}:{port}"
        self.slice_instructions = slice_instructions
        self.poll_hook = poll_hook
        self.poll_interval = poll_interval
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._session: GdbSession | None = None
        self._decoder = PacketDecoder()
        self._unacked: bytes | None = None  # our last packet until gdb acks it
        self._running = False
        # The facade lets the first instruction of every resume() pass a breakpoint at pc,
        # so a breakpoint that falls exactly on a slice boundary is checked here.
        self._breakpoints = Breakpoints()
        self._fresh_resume = True
        self._result: ServeResult | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop_requested = False

    # --- state --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the machine is running (as opposed to stopped for the debugger).
        Settable, for a caller that drives `service()` itself."""
        return self._running

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value
        self._fresh_resume = True

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def result(self) -> ServeResult | None:
        """Set once the machine has ended (or serving was stopped)."""
        return self._result

    # --- socket setup -------------------------------------------------------------------
    def listen(self) -> None:
        """Bind and listen; on failure raise RvirtError with QEMU's wording.  With port 0
        the kernel picks a port, readable afterwards as `self.port`."""
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as exc:
            raise RvirtError(f"{self.label}: {exc.strerror}") from None
        try:
            # QEMU sets SO_REUSEADDR on its listeners; a port someone listens on still fails.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(1)
        except socket.gaierror as exc:
            sock.close()
            raise RvirtError(f"{self.label}: address resolution failed for "
                             f"{self.host}:{self.port}: {exc.strerror}") from None
        except OSError as exc:
            sock.close()
            raise RvirtError(f"{self.label}: Failed to find an available port: "
                             f"{exc.strerror}") from None
        self._listener = sock
        self.port = sock.getsockname()[1]

    def wait_for_client(self, timeout: float | None = None) -> bool:
        """Block until gdb connects (False if `timeout` seconds pass first)."""
        if self._client is not None:
            return True
        if self._listener is None:
            raise RuntimeError("listen() first")
        ready, _, _ = select.select([self._listener], [], [], timeout)
        if not ready:
            return False
        self._accept()
        return True

    def request_stop(self) -> None:
        """Make `serve()` return ServeResult(0, "stopped") soon; safe from other threads."""
        self._stop_requested = True
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def close(self) -> None:
        self._drop_client()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> GdbServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the loop -----------------------------------------------------------------------
    def serve(self, *, running: bool | None = None) -> ServeResult:
        """Run until the machine ends.  `running=True` starts the machine at once (`-s`
        without `-S`); `running=False` keeps it stopped until gdb resumes it (`-S`)."""
        if running is not None:
            self.running = running
        try:
            while self._result is None:
                timeout = self.poll_interval if self.poll_hook is not None else None
                self.service(timeout)
                if self._result is None and self.poll_hook is not None:
                    self.poll_hook()
        finally:
            if self._result is None:  # an exception (e.g. the console quit): let gdb go
                self._drop_client()
        assert self._result is not None
        return self._result

    def service(self, timeout: float | None = None) -> ServeResult | None:
        """Do one unit of work: a slice of the machine and a non-blocking poll when it is
        running; otherwise wait up to `timeout` seconds (None: until something happens)
        for the socket.  Returns the result once the machine has ended."""
        if self._result is None:
            if self._running:
                self._run_slice()
                if self._result is None:
                    # A hart waiting in wfi with nothing to wake it: wait for the socket a
                    # little instead of spinning.
                    self._poll(0.02 if getattr(self.target, "idle", False) else 0)
            else:
                self._poll(timeout)
        return self._result

    def _run_slice(self) -> None:
        if not self._fresh_resume and self._breakpoints:
            pc = self.target.read_register(REG_PC)
            if pc in self._breakpoints:
                self._report_stop(Stop("breakpoint", addr=pc))
                return
        self._fresh_resume = False
        try:
            stop = self.target.resume(self.slice_instructions)
        except MachineExit as exc:
            stop = Stop("exited", status=exc.status)
        if stop is not None:
            self._report_stop(stop)

    def _poll(self, timeout: float | None) -> None:
        if self._client is not None and self._decoder.pending:
            self._process_input()  # bytes that arrived behind a resume packet
            if self._result is not None:
                return
            timeout = 0  # work was done: only look at the socket, do not wait
        waiting: list[socket.socket] = [self._wake_r]
        if self._client is not None:
            waiting.append(self._client)
        elif self._listener is not None:
            waiting.append(self._listener)
        ready, _, _ = select.select(waiting, [], [], timeout)
        if self._wake_r in ready:
            self._wake_r.recv(64)
            if self._stop_requested:
                self._drop_client()
                self._result = ServeResult(0, "stopped")
                return
        if self._listener is not None and self._listener in ready:
            self._accept()
        elif self._client is not None and self._client in ready:
            try:
                data = self._client.recv(65536)
            except OSError:
                data = b""
            if not data:
                # gdb went away without `D`: the machine keeps its run state (QEMU).
                self._drop_client()
                return
            self._decoder.feed(data)
            self._process_input()

    # --- connection ---------------------------------------------------------------------
    def _accept(self) -> None:
        assert self._listener is not None
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # QEMU: nodelay=on
        self._client = conn
        self._session = GdbSession(self.target, self._breakpoints)
        self._session.interrupted = self._ctrl_c
        self._decoder = PacketDecoder()
        self._unacked = None
        self._running = False  # QEMU pauses the machine when gdb connects
        enable = getattr(self.target, "enable_history", None)
        if enable is not None:
            enable()  # reverse execution from here on (from reset with -s)

    def _ctrl_c(self) -> bool:
        """Whether gdb has sent 0x03 (Ctrl-C) behind the packet being handled; it is
        taken, and anything else stays for later."""
        client = self._client
        if client is None:
            return False
        decoder = self._decoder
        if decoder.pending and decoder.idle:  # it came with the packet, in one read
            if decoder.peek_byte() == 0x03:
                decoder.pop_byte()
                return True
            return False
        try:
            ready, _, _ = select.select([client], [], [], 0)
            if not ready or client.recv(1, socket.MSG_PEEK) != b"\x03":
                return False
            client.recv(1)
        except OSError:
            return False
        return True

    def _drop_client(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except OSError:
                pass
        self._client = None
        self._session = None
        self._unacked = None

    def _send_raw(self, data: bytes) -> None:
        if self._client is None:
            return
        try:
            self._client.sendall(data)
        except OSError:
            self._drop_client()

    def _send_packet(self, payload: bytes) -> None:
        frame = encode_packet(payload)
        self._unacked = frame
        self._send_raw(frame)

    # --- input --------------------------------------------------------------------------
    def _process_input(self) -> None:
        decoder = self._decoder
        while self._client is not None and self._result is None:
            if self._running:
                byte = decoder.pop_byte()
                if byte is None:
                    return
                if self._unacked is not None and byte in (ACK, NACK):
                    if byte == NACK:
                        self._send_raw(self._unacked)
                    else:
                        self._unacked = None
                    continue
                # Any other byte while running stops the machine, as in QEMU 7.2 (gdb
                # sends 0x03 for Ctrl-C); the reply is SIGINT.
                self._running = False
                self._send_stop(Stop("interrupt"))
                continue
            event = decoder.next_event()
            if event is None:
                return
            if isinstance(event, Packet):
                self._send_raw(b"+")
                self._dispatch(event.payload)
            elif isinstance(event, BadChecksum):
                self._send_raw(b"-")
            elif isinstance(event, Oversize):
                self._send_raw(b"+")
                self._send_packet(E_INVAL)
            elif isinstance(event, Nack):
                if self._unacked is not None:
                    self._send_raw(self._unacked)
            elif isinstance(event, Ack):
                self._unacked = None
            # Interrupt while stopped: nothing to stop (QEMU ignores it).  Dropped: a
            # packet cut short by a new `$`, forgotten.

    def _dispatch(self, payload: bytes) -> None:
        assert self._session is not None
        try:
            outcome = self._session.handle(payload)
        except MachineExit as exc:  # e.g. a monitor command that quits the machine
            self._report_stop(Stop("exited", status=exc.status))
            return
        for reply in outcome.replies:
            self._send_packet(reply)
        action = outcome.action
        if action in ("continue", "detach"):
            self._running = True
            self._fresh_resume = True
        elif action == "step":
            try:
                stop = self.target.step()
            except MachineExit as exc:
                stop = Stop("exited", status=exc.status)
            self._report_stop(stop)
        elif action == "kill":
            self.target.kill()
            self._drop_client()
            self._result = ServeResult(0, "killed")

    # --- stops --------------------------------------------------------------------------
    def _send_stop(self, stop: Stop) -> None:
        if self._session is not None:
            self._send_packet(self._session.stop_reply(stop))

    def _report_stop(self, stop: Stop) -> None:
        if stop.kind == "exited":
            self._send_stop(stop)  # W<status>, then the connection closes
            self._drop_client()
            self._result = ServeResult(stop.status, "exited")
            return
        self._running = False
        self._send_stop(stop)  # with no client attached, the machine just stays stopped
