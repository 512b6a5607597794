"""RSP framing (rvirt.debug.rsp): checksums, escapes, run-length encoding, acks, junk and
the size limit; and the test client (tests/debug/gdbstub/rspclient.py) against QEMU's own stub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rvirt.debug import rsp
from rvirt.debug.rsp import (
    PACKET_SIZE,
    Ack,
    BadChecksum,
    Dropped,
    Interrupt,
    Nack,
    Oversize,
    Packet,
    PacketDecoder,
)
from tests import tooling
from tests.debug.gdbstub.rspclient import RspClient, frame, is_output_packet
from tests.tooling import RVIRT, NoGdbStub, first_port_taken, gdb_stub, need

# Frames copied from gdb 13.1's `set debug remote 1` log talking to QEMU 7.2
# (shared/ref/evidence/gdb-debug-remote-kernel1.txt): gdb computed these checksums.
GDB_FRAMES = [
    b"$vMustReplyEmpty#3a",
    b"$Hgp0.0#ad",
    b"$qXfer:features:read:target.xml:0,ffb#79",
    b"$?#3f",
    b"$g#67",
    b"$m1000,4#8e",
    b"$mffc,4#fc",
    b"$Z0,1004,4#db",
    b"$vCont;c:p1.-1#0f",
    b"$vCont;c:p1.1#e2",
    b"$p342#09",
    b"$p41#d5",
    b"$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;"
    b"exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;"
    b"xmlRegisters=i386#77",
]


def decode_all(data: bytes) -> list[rsp.Event]:
    d = PacketDecoder()
    d.feed(data)
    return d.events()


# --- checksums and encoding ----------------------------------------------------------

@pytest.mark.parametrize("framed", GDB_FRAMES)
def test_checksum_matches_gdb(framed: bytes) -> None:
    payload = framed[1:-3]
    assert rsp.checksum(payload) == int(framed[-2:], 16)
    assert rsp.encode_packet(payload) == framed


def test_checksum_wraps_modulo_256() -> None:
    assert rsp.checksum(b"\xff\x02") == 0x01
    assert rsp.encode_packet(b"") == b"$#00"


def test_escape_covers_the_four_special_bytes() -> None:
    assert rsp.escape(b"a$b#c}d*e") == b"a}\x04b}\x03c}]d}\x0ae"
    assert rsp.unescape(b"a}\x04b}\x03c}]d}\x0ae") == b"a$b#c}d*e"
    assert rsp.escape(b"\x03plain\x00") == b"\x03plain\x00"


@given(st.binary(max_size=300))
def test_escape_round_trip(data: bytes) -> None:
    escaped = rsp.escape(data)
    assert not set(escaped) & set(b"$#*")
    assert rsp.unescape(escaped) == data


def test_rle_decode_examples_from_the_manual() -> None:
    # GDB manual, "Overview": "0* " is a run-length encoding of "0000".
    assert rsp.rle_decode(b"0* ") == b"0000"
    assert rsp.rle_decode(b"ab*\"c") == b"a" + b"b" * 6 + b"c"  # '"' is 34: 5 more
    assert rsp.rle_decode(b"*!x") == b"x"  # nothing to repeat: dropped
    assert rsp.rle_decode(b"a*\x07b") == b"ab"  # unprintable count: dropped


# --- hex helpers -----------------------------------------------------------------------

def test_register_hex_is_little_endian() -> None:
    assert rsp.le_hex(0x1000, 4) == b"00100000"
    assert rsp.le_hex(0x401411AD, 4) == b"ad111440"
    assert rsp.le_hex(-1, 4) == b"ffffffff"
    assert rsp.le_unhex(b"34120000") == 0x1234
    assert rsp.hex_encode(b"\x97\x02\x00\x00") == b"97020000"
    assert rsp.hex_decode(b"97020000") == b"\x97\x02\x00\x00"


@pytest.mark.parametrize("bad", [b"", b"+1", b"0x1", b" 1", b"1_0", b"-1", b"g"])
def test_parse_hex_is_strict(bad: bytes) -> None:
    with pytest.raises(ValueError):
        rsp.parse_hex(bad)


@pytest.mark.parametrize("bad", [b"123", b"zz", b"1 ", b"0x"])
def test_hex_decode_rejects_bad_data(bad: bytes) -> None:
    with pytest.raises(ValueError):
        rsp.hex_decode(bad)


# --- the decoder ---------------------------------------------------------------------------

def test_decodes_a_packet_and_leaves_the_rest_queued() -> None:
    d = PacketDecoder()
    d.feed(b"$g#67$?#3f")
    assert d.next_event() == Packet(b"g")
    assert d.pending == 5  # the second packet is not consumed yet
    assert d.next_event() == Packet(b"?")
    assert d.next_event() is None and d.idle


def test_acks_nacks_and_interrupt_between_packets() -> None:
    assert decode_all(b"+-\x03+") == [Ack(), Nack(), Interrupt(), Ack()]


def test_junk_between_packets_is_ignored() -> None:
    assert decode_all(b"hello\r\n#00$g#67garbage}*$?#3fzz") == [Packet(b"g"), Packet(b"?")]


def test_bad_checksum() -> None:
    assert decode_all(b"$g#68$g#67") == [BadChecksum(), Packet(b"g")]


def test_non_hex_checksum_digits() -> None:
    assert decode_all(b"$g#zz$g#6x") == [BadChecksum(), BadChecksum()]


def test_uppercase_checksum_digits_are_accepted() -> None:
    assert decode_all(b"$p342#09$Hgp0.0#AD") == [Packet(b"p342"), Packet(b"Hgp0.0")]


def test_dollar_inside_a_packet_restarts() -> None:
    # A packet cut short by a new '$' is dropped; the new one decodes.
    assert decode_all(b"$m1000,4$g#67") == [Dropped(), Packet(b"g")]
    assert decode_all(b"$m1000,4#$g#67") == [Dropped(), Packet(b"g")]
    assert decode_all(b"$m}$g#67") == [Dropped(), Packet(b"g")]


def test_escapes_in_a_packet_body() -> None:
    body = b"X80000000,4:" + rsp.escape(b"\x23\x24\x7d\x2a")
    assert decode_all(frame(body)) == [Packet(b"X80000000,4:#$}*")]


def test_interrupt_byte_inside_a_packet_is_data() -> None:
    assert decode_all(frame(b"X0,1:\x03")) == [Packet(b"X0,1:\x03")]


def test_escape_right_before_the_end_ends_the_body() -> None:
    # QEMU treats `}#` as the end of the packet; the checksum still covers the `}`.
    assert decode_all(b"$g}#" + b"%02x" % rsp.checksum(b"g}")) == [Packet(b"g")]


def test_run_length_encoding_in_a_packet() -> None:
    assert decode_all(frame(b"M0,4:0* 0000")) == [Packet(b"M0,4:00000000")]
    # nothing to repeat, an invalid count, a dangling '*' at the end: ignored
    assert decode_all(frame(b"*!g")) == [Packet(b"g")]
    assert decode_all(frame(b"g*\x07")) == [Packet(b"g")]
    assert decode_all(frame(b"g*")) == [Packet(b"g")]


def test_packet_size_limit() -> None:
    exact = b"M0,800:" + b"0" * (PACKET_SIZE - 7)
    assert decode_all(frame(exact)) == [Packet(exact)]
    over = exact + b"0"
    assert decode_all(frame(over) + b"$g#67") == [Oversize(PACKET_SIZE + 1), Packet(b"g")]
    # too long and corrupt: just a bad checksum
    assert decode_all(b"$" + over + b"#00") == [BadChecksum()]


def test_run_length_encoding_cannot_blow_past_the_limit() -> None:
    body = b"0" + b"*~" * 50  # each "*~" adds 126 - 29 = 97 copies
    assert decode_all(frame(body)) == [Oversize(1 + 50 * 97)]
    fits = b"0" + b"*~" * 42
    assert decode_all(frame(fits)) == [Packet(b"0" * (1 + 42 * 97))]


def test_pop_byte_takes_raw_bytes() -> None:
    d = PacketDecoder()
    d.feed(b"$c#63\x03$?#3f")
    assert d.next_event() == Packet(b"c")
    assert d.pop_byte() == 0x03
    assert d.next_event() == Packet(b"?")
    assert d.pop_byte() is None


@given(st.lists(st.binary(max_size=200).map(rsp.escape), max_size=5), st.data())
def test_any_chunking_gives_the_same_events(bodies: list[bytes], data: st.DataObject) -> None:
    stream = b"+".join(frame(body) for body in bodies) + b"\x03"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    d = PacketDecoder()
    events: list[rsp.Event] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        d.feed(stream[start:cut])
        events += d.events()
        start = cut
    assert events == decode_all(stream)
    packets = [ev.payload for ev in events if isinstance(ev, Packet)]
    assert packets == [rsp.unescape(body) for body in bodies]


@given(st.binary(max_size=400))
def test_random_bytes_never_break_the_decoder(junk: bytes) -> None:
    d = PacketDecoder()
    d.feed(junk)
    d.events()
    d.feed(b"$?#3f")
    assert d.events()[-1] == Packet(b"?")


# --- the client's own helpers -------------------------------------------------------------

def test_output_packets_are_told_from_ok() -> None:
    assert is_output_packet(b"O6869")
    assert not is_output_packet(b"OK")
    assert not is_output_packet(b"O")
    assert not is_output_packet(b"O6")


# --- the client against QEMU 7.2, and against rvirt run the same way ---------------------

MACHINE_ARGS = ["-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios", "none",
                "-S"]


@pytest.fixture(params=["qemu", "rvirt"])
def stub_client(request: pytest.FixtureRequest) -> Iterator[RspClient]:
    """A client connected to a paused machine's stub: QEMU's, or rvirt's with the same
    command line, so each test below checks the two answer alike."""
    emulator = [need("qemu-system-riscv32")] if request.param == "qemu" else RVIRT
    with gdb_stub([*emulator, *MACHINE_ARGS]) as (_, client):
        yield client


BOOT_ROM = [0x00000297, 0x02828613, 0xF1402573, 0x0202A583, 0x0182A283, 0x00028067]


@pytest.mark.tools
def test_client_drives_the_reset_vector(stub_client: RspClient) -> None:
    c = stub_client
    # rvirt records history for reverse execution, so it adds what QEMU adds in replay mode
    reply = c.handshake().replace(b"ReverseStep+;ReverseContinue+;", b"")
    assert reply == b"PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+"
    assert c.halt_reason() == b"T05thread:p01.01;"
    regs = c.read_registers()
    assert len(regs) == 33 and regs[32] == 0x1000
    assert c.read_memory(0x1000, 0x18) == b"".join(w.to_bytes(4, "little") for w in BOOT_ROM)
    assert c.read_words(0x1000, 6) == BOOT_ROM
    pcs = []
    for _ in range(6):
        assert c.step() == b"T05thread:p01.01;"
        pcs.append(c.pc())
    assert pcs == [0x1004, 0x1008, 0x100C, 0x1010, 0x1014, 0x80000000]
    assert c.read_register(0x41) == 3  # priv: M
    assert c.read_register(66 + 0xF14) == 0  # mhartid


@pytest.mark.tools
def test_client_interrupts_and_reads_monitor_output(stub_client: RspClient) -> None:
    c = stub_client
    c.handshake()
    c.resume("vCont;c:p1.-1")
    assert c.interrupt() == b"T02thread:p01.01;"
    text = c.monitor("info registers")
    assert "pc" in text and "mhartid" in text
    assert c.command("m90000000,4") == b"E14"
    assert c.command("D;1") == b"OK"


@pytest.mark.tools
def test_breakpoints_of_both_types_at_one_address(stub_client: RspClient) -> None:
    """A Z0 and a Z1 at one address are two breakpoints: removing one leaves the other,
    which still stops the machine; a breakpoint inserted twice needs two removals; and a
    removal with nothing to remove is E22 (QEMU's -ENOENT)."""
    c = stub_client
    c.handshake()
    c.halt_reason()
    assert c.insert_breakpoint(0x1008, type_=0) == b"OK"
    assert c.insert_breakpoint(0x1008, type_=1) == b"OK"
    assert c.insert_breakpoint(0x1010) == b"OK"  # where a run stops once 0x1008 is clear
    assert c.remove_breakpoint(0x1008, type_=0) == b"OK"
    c.resume()
    assert (c.wait_stop(), c.pc()) == (b"T05thread:p01.01;", 0x1008)
    assert c.remove_breakpoint(0x1008, type_=1) == b"OK"
    c.write_register(32, 0x1000)
    c.resume()
    assert (c.wait_stop(), c.pc()) == (b"T05thread:p01.01;", 0x1010)
    assert c.remove_breakpoint(0x1008, type_=1) == b"E22"
    assert c.remove_breakpoint(0x1008, type_=0) == b"E22"
    # twice in, once out: still there
    assert c.insert_breakpoint(0x1008) == b"OK"
    assert c.insert_breakpoint(0x1008, kind=2) == b"OK"
    assert c.remove_breakpoint(0x1008) == b"OK"
    c.write_register(32, 0x1000)
    c.resume()
    assert (c.wait_stop(), c.pc()) == (b"T05thread:p01.01;", 0x1008)


@pytest.mark.tools
def test_z0_at_the_address_of_a_z1(stub_client: RspClient, request: pytest.FixtureRequest
                                   ) -> None:
    """docs/differences.md, "z0 at the address of a Z1": QEMU 7.2 files both types as
    one kind of breakpoint, so z0 removes the Z1; rvirt keeps the types apart."""
    c = stub_client
    c.handshake()
    assert c.insert_breakpoint(0x1008, type_=1) == b"OK"
    if request.node.callspec.params["stub_client"] == "qemu":
        assert c.remove_breakpoint(0x1008, type_=0) == b"OK"
        assert c.remove_breakpoint(0x1008, type_=1) == b"E22"  # already gone
    else:
        assert c.remove_breakpoint(0x1008, type_=0) == b"E22"
        assert c.remove_breakpoint(0x1008, type_=1) == b"OK"


@pytest.mark.tools
def test_binary_memory_write(stub_client: RspClient, request: pytest.FixtureRequest) -> None:
    """docs/differences.md, "`X` (binary memory write)": QEMU 7.2 answers X empty, so gdb
    writes with M; rvirt writes the (unescaped) bytes and answers OK."""
    c = stub_client
    c.handshake()
    data = b"#$}*\x03\x00:\xff"  # the four escaped bytes among others
    if request.node.callspec.params["stub_client"] == "qemu":
        assert c.command("X80000050,0:") == b""
        assert c.write_memory_binary(0x80000050, data) == b""
        assert c.read_memory(0x80000050, len(data)) == bytes(len(data))  # nothing written
    else:
        assert c.command("X80000050,0:") == b"OK"
        assert c.write_memory_binary(0x80000050, data) == b"OK"
        assert c.read_memory(0x80000050, len(data)) == data


@pytest.mark.tools
def test_empty_writes_and_missing_watchpoints_are_refused(stub_client: RspClient) -> None:
    """`M addr,0:` and a `z2`/`z3`/`z4` of a watchpoint that is not there answer E22, as
    QEMU 7.2 does (a write of nothing is malformed; removing nothing is -ENOENT)."""
    c = stub_client
    c.handshake()
    assert c.command("M80000050,0:") == b"E22"
    assert c.command("M80000050,4:05000000") == b"OK"
    assert c.read_memory(0x80000050, 4) == bytes([5, 0, 0, 0])
    for type_ in (2, 3, 4):
        assert c.command(f"z{type_},80000050,4") == b"E22"
        assert c.command(f"Z{type_},80000050,4") == b"OK"
        assert c.command(f"z{type_},80000050,2") == b"E22"  # not the one inserted
        assert c.command(f"z{type_},80000050,4") == b"OK"
        assert c.command(f"z{type_},80000050,4") == b"E22"  # already gone


# --- starting a stub on a free port ---------------------------------------------------------

@pytest.mark.tools
@pytest.mark.parametrize("emulator", ["qemu", "rvirt"])
def test_a_port_taken_before_the_emulator_binds_it_is_replaced(emulator: str) -> None:
    """free_port's port can be taken by someone else before the emulator binds it; the
    emulator then exits with "Failed to find an available port", and gdb_stub starts it
    again on another port instead of failing the test."""
    command = [need("qemu-system-riscv32")] if emulator == "qemu" else RVIRT
    with first_port_taken() as chosen:
        with gdb_stub([*command, *MACHINE_ARGS]) as (_, client):
            assert client.handshake().startswith(b"PacketSize=1000;")
            assert client.halt_reason() == b"T05thread:p01.01;"
            port = client.sock.getpeername()[1]
    assert len(chosen) == 2 and port == chosen[1] != chosen[0]


def test_a_stub_that_fails_for_another_reason_is_not_started_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a taken port is worth another try; any other failure to start is raised at
    once, with the line the emulator printed."""
    chosen: list[int] = []
    real_free_port = tooling.free_port

    def counting_free_port() -> int:
        chosen.append(real_free_port())
        return chosen[-1]

    monkeypatch.setattr(tooling, "free_port", counting_free_port)
    with pytest.raises(NoGdbStub, match="unsupported machine type") as failure:
        with gdb_stub([*RVIRT, "-machine", "nonesuch"]):
            pass
    assert not isinstance(failure.value, tooling.PortTaken)
    assert len(chosen) == 1
