"""A small GDB remote-protocol client for tests: drives QEMU's stub and rvirt's alike.

Written independently of `rvirt.debug.rsp` (its own framing code) so the two check each
other.  It speaks the way gdb 13 does to QEMU 7.2: acks on, `qSupported:multiprocess+`
first, so thread ids come back as `p01.01`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

INTERRUPT = b"\x03"
GDB_FEATURES = ("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
                "vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;"
                "memory-tagging+;xmlRegisters=i386")


class RspError(Exception):
    """The stub answered with an error packet, or the conversation broke down."""


class ConnectionClosed(RspError):
    """The stub closed the connection."""


def frame(payload: bytes) -> bytes:
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xFF)


def escape_binary(data: bytes) -> bytes:
    """Binary data for a packet body as gdb sends it: `#`, `$`, `}` and `*` become `}`
    followed by the byte XOR 0x20 (GDB manual, "Overview")."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def _decode_body(raw: bytes) -> bytes:
    """Undo `}` escapes and `X*n` run-length encoding in a received packet body."""
    out = bytearray()
    i = 0
    while i < len(raw):
        b = raw[i]
        if b == 0x7D and i + 1 < len(raw):
            out.append(raw[i + 1] ^ 0x20)
            i += 2
        elif b == 0x2A and i + 1 < len(raw) and out:
            out.extend(out[-1:] * (raw[i + 1] - 29))
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


def is_output_packet(payload: bytes) -> bool:
    """`O<hex>` console output (not the reply `OK`)."""
    if len(payload) < 3 or payload[:1] != b"O" or len(payload) % 2 == 0:
        return False
    try:
        bytes.fromhex(payload[1:].decode())
    except ValueError:
        return False
    return True


class RspClient:
    """One connection to a gdb stub."""

    def __init__(self, sock: socket.socket, timeout: float = 20.0) -> None:
        self.sock = sock
        self.sock.settimeout(timeout)
        self._buf = bytearray()
        self.output = bytearray()  # text of `O` packets seen so far
        self.sent: list[bytes] = []  # payloads sent, for failure messages

    @classmethod
    def connect(cls, port: int, host: str = "127.0.0.1", *, retry_for: float = 20.0,
                timeout: float = 20.0, alive: Callable[[], bool] | None = None) -> RspClient:
        """Connect, retrying while the stub is not listening yet (a process just started);
        `alive` (e.g. `lambda: proc.poll() is None`) stops the retries early."""
        deadline = time.monotonic() + retry_for
        while True:
            try:
                sock = socket.create_connection((host, port), timeout=timeout)
            except OSError:
                if time.monotonic() > deadline or (alive is not None and not alive()):
                    raise
                time.sleep(0.05)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return cls(sock, timeout)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> RspClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- bytes --------------------------------------------------------------------------
    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> None:
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise RspError(f"no answer from the stub (last sent: {self.sent[-3:]!r})") from None
        except ConnectionResetError:
            data = b""
        if not data:
            raise ConnectionClosed("the stub closed the connection")
        self._buf += data

    def _byte(self) -> int:
        if not self._buf:
            self._fill()
        b = self._buf[0]
        del self._buf[0]
        return b

    def at_eof(self) -> bool:
        """True when the stub has closed the connection and nothing is left to read."""
        if self._buf:
            return False
        try:
            self._fill()
        except ConnectionClosed:
            return True
        return False

    # --- packets ------------------------------------------------------------------------
    def send_packet(self, payload: bytes | str, *, tries: int = 3) -> None:
        """Send a packet and wait for its `+` (resending on `-`)."""
        if isinstance(payload, str):
            payload = payload.encode()
        self.sent.append(payload)
        for _ in range(tries):
            self.send_raw(frame(payload))
            while True:
                b = self._byte()
                if b == ord("+"):
                    return
                if b == ord("-"):
                    break
                # anything else before the ack is noise
        raise RspError(f"stub kept rejecting {payload[:40]!r}")

    def read_packet(self) -> bytes:
        """The next packet from the stub (acked with `+`); acks and noise are skipped."""
        while True:
            while self._byte() != ord("$"):
                pass
            raw = bytearray()
            while (b := self._byte()) != ord("#"):
                raw.append(b)
            digits = bytes((self._byte(), self._byte()))
            if int(digits, 16) == sum(raw) & 0xFF:
                self.send_raw(b"+")
                return _decode_body(bytes(raw))
            self.send_raw(b"-")

    def read_reply(self) -> bytes:
        """The next packet that is not `O` output (which is collected in `self.output`)."""
        while True:
            payload = self.read_packet()
            if is_output_packet(payload):
                self.output += bytes.fromhex(payload[1:].decode())
                continue
            return payload

    def command(self, payload: bytes | str) -> bytes:
        """Send a packet and return the stub's reply."""
        self.send_packet(payload)
        return self.read_reply()

    def checked(self, payload: bytes | str) -> bytes:
        """`command`, raising RspError for an `Exx` reply."""
        reply = self.command(payload)
        if reply[:1] == b"E" and len(reply) == 3:
            raise RspError(f"{payload!r} -> {reply!r}")
        return reply

    # --- what gdb does --------------------------------------------------------------------
    def handshake(self, *, read_xml: bool = True) -> bytes:
        """qSupported as gdb 13 sends it, then (like gdb) target.xml, without which QEMU
        7.2 leaves `p`/`P` unanswered.  Returns the stub's feature list."""
        features = self.command(GDB_FEATURES)
        if read_xml:
            self.read_xfer("target.xml")
        return features

    def halt_reason(self) -> bytes:
        return self.command("?")

    def read_registers(self, size: int = 4) -> list[int]:
        """`g`: the g-packet registers (x0-x31, pc on rv32) as integers."""
        data = bytes.fromhex(self.checked("g").decode())
        return [int.from_bytes(data[i:i + size], "little") for i in range(0, len(data), size)]

    def read_register(self, regnum: int) -> int:
        return int.from_bytes(bytes.fromhex(self.checked(f"p{regnum:x}").decode()), "little")

    def write_register(self, regnum: int, value: int, size: int = 4) -> None:
        self.checked(f"P{regnum:x}=" + value.to_bytes(size, "little").hex())

    def pc(self) -> int:
        return self.read_registers()[32]

    def read_memory(self, addr: int, length: int) -> bytes:
        return bytes.fromhex(self.checked(f"m{addr:x},{length:x}").decode())

    def read_words(self, addr: int, count: int) -> list[int]:
        data = self.read_memory(addr, 4 * count)
        return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]

    def write_memory(self, addr: int, data: bytes) -> None:
        self.checked(f"M{addr:x},{len(data):x}:{data.hex()}")

    def write_memory_binary(self, addr: int, data: bytes) -> bytes:
        """`X`: the stub's reply (OK, an error, or empty where X is unsupported)."""
        return self.command(f"X{addr:x},{len(data):x}:".encode() + escape_binary(data))

    def insert_breakpoint(self, addr: int, kind: int = 4, type_: int = 0) -> bytes:
        return self.command(f"Z{type_},{addr:x},{kind:x}")

    def remove_breakpoint(self, addr: int, kind: int = 4, type_: int = 0) -> bytes:
        return self.command(f"z{type_},{addr:x},{kind:x}")

    def step(self) -> bytes:
        """One instruction with `s`; returns the stop reply."""
        return self.command("s")

    def resume(self, packet: str = "vCont;c:p1.-1") -> None:
        """Start the machine; the stop reply comes later (`wait_stop`)."""
        self.send_packet(packet)

    def wait_stop(self) -> bytes:
        return self.read_reply()

    def interrupt(self) -> bytes:
        """Ctrl-C: the raw 0x03 byte; returns the stop reply."""
        self.send_raw(INTERRUPT)
        return self.read_reply()

    def monitor(self, command: str) -> str:
        """`monitor COMMAND`: the text of the `O` packets before the final `OK`."""
        start = len(self.output)
        reply = self.command("qRcmd," + command.encode().hex())
        if reply != b"OK":
            raise RspError(f"monitor {command!r} -> {reply!r}")
        return self.output[start:].decode("utf-8", "replace")

    def read_xfer(self, annex: str, chunk: int = 0xFFB, obj: str = "features") -> bytes:
        """A whole qXfer object, chunk by chunk (`m` = more, `l` = last)."""
        data = bytearray()
        while True:
            reply = self.command(f"qXfer:{obj}:read:{annex}:{len(data):x},{chunk:x}")
            if reply[:1] not in (b"m", b"l"):
                raise RspError(f"qXfer {annex} at {len(data):#x} -> {reply!r}")
            data += reply[1:]
            if reply[:1] == b"l":
                return bytes(data)
