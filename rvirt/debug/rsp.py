"""GDB Remote Serial Protocol framing, as pure functions and one incremental decoder.

Owns: checksums, `$payload#cc` encoding, `}` escapes, run-length decoding, acks, the raw
0x03 interrupt byte, the packet-size limit, and hex helpers for little-endian register
values.  Knows nothing of packets' meaning (that is `rvirt.debug.gdbstub`) nor of sockets.

Reference: the GDB manual, appendix "Remote Serial Protocol", node "Overview" (framing,
escapes, run-length encoding) and node "Interrupts" (the 0x03 byte).  Where the manual
leaves room, this follows QEMU 7.2's `gdb_read_byte` (gdbstub/gdbstub.c).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The size advertised in qSupported (`PacketSize=1000`, hex): QEMU's MAX_PACKET_LENGTH.
# A payload that decodes to more bytes than this is dropped.
PACKET_SIZE = 0x1000

INTERRUPT = 0x03  # Ctrl-C, sent raw outside any packet ("Interrupts")
ACK = ord("+")
NACK = ord("-")
_START = ord("$")
_END = ord("#")
_ESCAPE = ord("}")
_RLE = ord("*")
_ESCAPE_XOR = 0x20

# Bytes that must be escaped inside binary data ("Overview": '#', '$', '}' always, and '*'
# in what a stub sends, so it is not read as run-length encoding).  The same four bytes
# are the ones with a framing meaning inside a received packet body.
_SPECIAL_RE = re.compile(rb"[#$}*]")
_HEX_RE = re.compile(rb"[0-9a-fA-F]+")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


# --------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------

def checksum(data: bytes) -> int:
    """The packet checksum: the sum of the payload bytes as sent, modulo 256."""
    return sum(data) & 0xFF


def escape(data: bytes) -> bytes:
    """Escape binary data for a packet body: `}` then the byte XOR 0x20."""
    return _SPECIAL_RE.sub(lambda m: bytes((_ESCAPE, m.group()[0] ^ _ESCAPE_XOR)), data)


def unescape(data: bytes) -> bytes:
    """Undo `escape`.  A lone `}` at the end is dropped (it escapes nothing)."""
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == _ESCAPE:
            nxt = next(it, None)
            if nxt is not None:
                out.append(nxt ^ _ESCAPE_XOR)
        else:
            out.append(b)
    return bytes(out)


def encode_packet(payload: bytes) -> bytes:
    """Frame an (already escaped, if binary) payload as `$payload#cc`."""
    return b"$" + payload + b"#%02x" % checksum(payload)


def rle_decode(body: bytes) -> bytes:
    """Expand run-length encoding in an unescaped packet body.

    `X*n` stands for X followed by (n - 29) more copies of X ("Overview").  A `*` with
    nothing before it, or with a count byte outside the printable range, is dropped
    together with its count, as QEMU does.
    """
    out = bytearray()
    i = 0
    n = len(body)
    while i < n:
        b = body[i]
        if b == _RLE and i + 1 < n:
            count = body[i + 1]
            if out and _valid_rle_count(count):
                out.extend(out[-1:] * (count - 29))
            i += 2
            continue
        if b != _RLE:
            out.append(b)
        i += 1
    return bytes(out)


def _valid_rle_count(count: int) -> bool:
    # Printable, and not '#' or '$' which would be read as framing ("Overview").
    return 32 <= count <= 126 and count not in (_END, _START)


# --------------------------------------------------------------------------------------
# Hex helpers
# --------------------------------------------------------------------------------------

def hex_encode(data: bytes) -> bytes:
    """Bytes as lowercase hex digits, two per byte (what `m`, `g`, `O` carry)."""
    return data.hex().encode()


def hex_decode(text: bytes) -> bytes:
    """Hex digits to bytes; ValueError on an odd length or a non-hex digit."""
    if len(text) % 2 or (text and not _HEX_RE.fullmatch(text)):
        raise ValueError(f"bad hex data {text[:16]!r}")
    return bytes.fromhex(text.decode())


def parse_hex(text: bytes) -> int:
    """A strict unsigned hex number (no sign, prefix, spaces or underscores)."""
    if not _HEX_RE.fullmatch(text):
        raise ValueError(f"bad hex number {text[:16]!r}")
    return int(text, 16)


def le_hex(value: int, size: int) -> bytes:
    """A register value as `size` little-endian bytes in hex (the `g`/`p` encoding)."""
    return hex_encode((value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


def le_unhex(text: bytes) -> int:
    """Little-endian hex bytes (as in `P`/`G`) to an integer."""
    return int.from_bytes(hex_decode(text), "little")


# --------------------------------------------------------------------------------------
# Decoding: a byte stream to events
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Packet:
    """A well-formed packet; the receiver acks it with `+`.  `payload` is unescaped and
    run-length expanded."""

    payload: bytes


@dataclass(frozen=True)
class BadChecksum:
    """A complete packet whose checksum (or checksum digits) was wrong: reply `-`."""


@dataclass(frozen=True)
class Oversize:
    """A complete packet with a good checksum but longer than PACKET_SIZE once decoded.
    Its content was discarded; the receiver acks it and replies with an error."""

    length: int


@dataclass(frozen=True)
class Dropped:
    """A packet cut short by a new `$`; nothing is owed to the sender for it."""


@dataclass(frozen=True)
class Ack:
    """A `+` outside any packet."""


@dataclass(frozen=True)
class Nack:
    """A `-` outside any packet: the peer wants the last packet again."""


@dataclass(frozen=True)
class Interrupt:
    """The raw 0x03 byte outside any packet."""


Event = Packet | BadChecksum | Oversize | Dropped | Ack | Nack | Interrupt

_IDLE, _BODY, _ESC, _COUNT, _SUM1, _SUM2 = range(6)


class PacketDecoder:
    """Turns received bytes into events, one at a time.

    `feed()` queues bytes; `next_event()` consumes only as many as it needs for one event,
    so bytes after a packet stay queued (the stub handles a resume packet before it reads
    what follows).  Bytes outside packets other than `+`, `-` and 0x03 are ignored.  A `$`
    always starts a new packet, so the stream resynchronises after any junk.
    """

    def __init__(self, max_payload: int = PACKET_SIZE) -> None:
        self.max_payload = max_payload
        self._buf = bytearray()
        self._pos = 0
        self._reset_packet()
        self._state = _IDLE

    def _reset_packet(self) -> None:
        self._body = bytearray()
        self._sum = 0
        self._size = 0  # decoded length, counted even after the body stops being kept
        self._overflow = False
        self._csum = 0

    # --- input ------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    @property
    def pending(self) -> int:
        """How many fed bytes have not been consumed yet."""
        return len(self._buf) - self._pos

    @property
    def idle(self) -> bool:
        """True between packets."""
        return self._state == _IDLE

    def peek_byte(self) -> int | None:
        """The next unconsumed byte, left in place (None if there is none)."""
        return self._buf[self._pos] if self._pos < len(self._buf) else None

    def pop_byte(self) -> int | None:
        """Take one unconsumed byte without decoding it (used while the machine runs,
        when any byte means "stop", as in QEMU)."""
        if self._pos >= len(self._buf):
            return None
        b = self._buf[self._pos]
        self._pos += 1
        return b

    def events(self) -> list[Event]:
        """Every event the queued bytes complete."""
        out: list[Event] = []
        while (ev := self.next_event()) is not None:
            out.append(ev)
        return out

    # --- the state machine -------------------------------------------------------------
    def _append(self, data: bytes | bytearray) -> None:
        self._size += len(data)
        if self._overflow:
            return
        if self._size > self.max_payload:
            self._overflow = True
            self._body = bytearray()
        else:
            self._body += data

    def _start(self) -> None:
        self._reset_packet()
        self._state = _BODY

    def next_event(self) -> Event | None:
        buf = self._buf
        n = len(buf)
        while self._pos < n:
            state = self._state
            if state == _BODY:
                # Copy plain bytes in bulk up to the next byte with a framing meaning.
                m = _SPECIAL_RE.search(buf, self._pos)
                stop = m.start() if m else n
                if stop > self._pos:
                    chunk = buf[self._pos:stop]
                    self._sum += sum(chunk)
                    self._append(chunk)
                    self._pos = stop
                    continue
            b = buf[self._pos]
            self._pos += 1
            if state == _IDLE:
                if b == _START:
                    self._start()
                elif b == ACK:
                    return Ack()
                elif b == NACK:
                    return Nack()
                elif b == INTERRUPT:
                    return Interrupt()
                # anything else between packets is noise
            elif b == _START:
                # '$' is never part of a body (it travels escaped): the packet in progress
                # was truncated.  Drop it and start over.
                self._start()
                return Dropped()
            elif state == _BODY:
                if b == _END:
                    self._state = _SUM1
                elif b == _ESCAPE:
                    self._sum += b
                    self._state = _ESC
                else:  # '*'
                    self._sum += b
                    self._state = _COUNT
            elif state == _ESC:
                if b == _END:  # nothing left to escape: the body ended (as QEMU)
                    self._state = _SUM1
                else:
                    self._sum += b
                    self._append(bytes((b ^ _ESCAPE_XOR,)))
                    self._state = _BODY
            elif state == _COUNT:
                if b == _END:  # a dangling '*': the body ended
                    self._state = _SUM1
                    continue
                self._sum += b
                self._state = _BODY
                if _valid_rle_count(b) and self._size > 0:
                    repeat = b - 29
                    if self._overflow or self._size + repeat > self.max_payload:
                        self._append(bytes(repeat))  # only counts, marks overflow
                    else:
                        self._append(self._body[-1:] * repeat)
                # an invalid count (or nothing to repeat) is ignored, as QEMU does
            elif state == _SUM1:
                if b not in _HEX_DIGITS:
                    self._state = _IDLE
                    return BadChecksum()
                self._csum = int(chr(b), 16) << 4
                self._state = _SUM2
            else:  # _SUM2
                self._state = _IDLE
                if b not in _HEX_DIGITS:
                    return BadChecksum()
                if (self._csum | int(chr(b), 16)) != self._sum & 0xFF:
                    return BadChecksum()
                if self._overflow:
                    return Oversize(self._size)
                return Packet(bytes(self._body))
        return None
