"""The gdb stub's command table and server (rvirt.debug.gdbstub, rvirt.debug.targetxml),
driven over a real loopback socket against a small fake machine that implements the
DebugTarget facade; plus a fuzz test, a session with real gdb-multiarch, and a check of
the target description against the one QEMU 7.2 serves."""

from __future__ import annotations

import contextlib
import itertools
import re
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rvirt.debug import targetxml
from rvirt.debug.gdbstub import (
    COMMANDS,
    GdbServer,
    GdbSession,
    ServeResult,
    parse_thread_id,
)
from rvirt.debug.rsp import PACKET_SIZE, escape, hex_encode
from rvirt.debug.target import CSR_REGNUM_BASE, REG_PC, REG_PRIV, Stop
from rvirt.errors import MachineExit, RvirtError
from tests.debug.gdbstub.rspclient import RspClient, frame
from tests.tooling import gdb_stub, need

T05 = b"T05thread:p01.01;"
T02 = b"T02thread:p01.01;"
RAM_BASE = 0x8000_0000
ROM_BASE = 0x1000
BOOT_ROM = [0x00000297, 0x02828613, 0xF1402573, 0x0202A583, 0x0182A283, 0x00028067,
            0x80000000, 0x00000000]
CSRS = {0x300: "mstatus", 0x301: "misa", 0x304: "mie", 0x305: "mtvec", 0x340: "mscratch",
        0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip", 0xF14: "mhartid"}
HELP_TEXT = "help [cmd]  -- show help\ninfo registers  -- show the cpu registers\n"


class FakeTarget:
    """A toy machine behind the DebugTarget facade.

    Each "instruction" just moves pc on by 4.  `accesses` makes the instruction at a pc
    load or store a word (so watchpoints have something to see), `exits` makes the one at
    a pc end the machine with a status.  Breakpoints stop before the instruction at their
    address, except as the first instruction of resume(), as the facade specifies.
    """

    xlen = 32
    harts = 1
    hart = 0

    def hart_waiting(self, hart: int) -> bool:
        return False

    def __init__(self) -> None:
        self.x = [0] * 32
        self.pc = ROM_BASE
        self.priv = 3
        self.csrs = dict.fromkeys(CSRS, 0)
        self.csrs[0x301] = 0x401411AD
        self.rom = bytearray(b"".join(w.to_bytes(4, "little") for w in BOOT_ROM))
        self.ram = bytearray(0x10000)
        self.breakpoints: list[int] = []
        self.watchpoints: list[tuple[str, int, int]] = []
        self.accesses: dict[int, tuple[str, int, int]] = {}
        self.exits: dict[int, int] = {}
        self.executed = 0
        self.resume_calls = 0
        self.on_resume: Callable[[], None] | None = None
        self.stopped = threading.Event()  # set when resume() returns a stop
        self.killed = False
        self.monitor_commands: list[str] = []

    # registers
    def read_register(self, regnum: int) -> int | None:
        if regnum < 32:
            return self.x[regnum]
        if regnum == REG_PC:
            return self.pc
        if regnum == REG_PRIV:
            return self.priv
        return self.csrs.get(regnum - CSR_REGNUM_BASE)

    def write_register(self, regnum: int, value: int) -> bool:
        if regnum < 32:
            if regnum:
                self.x[regnum] = value
            return True
        if regnum == REG_PC:
            self.pc = value
            return True
        if regnum == REG_PRIV:
            self.priv = value & 3
            return True
        if regnum - CSR_REGNUM_BASE in self.csrs:
            self.csrs[regnum - CSR_REGNUM_BASE] = value
            return True
        return False

    def csr_names(self) -> dict[int, str]:
        return dict(CSRS)

    # memory
    def _region(self, addr: int, length: int) -> tuple[bytearray, int] | None:
        for base, mem in ((ROM_BASE, self.rom), (RAM_BASE, self.ram)):
            if base <= addr and addr + length <= base + len(mem):
                return mem, addr - base
        return None

    def read_memory(self, addr: int, length: int) -> bytes | None:
        found = self._region(addr, length)
        if found is None:
            return None
        mem, off = found
        return bytes(mem[off:off + length])

    def write_memory(self, addr: int, data: bytes) -> bool:
        found = self._region(addr, len(data))
        if found is None:
            return False
        mem, off = found
        mem[off:off + len(data)] = data
        return True

    # breakpoints
    def add_breakpoint(self, addr: int) -> None:
        self.breakpoints.append(addr)

    def remove_breakpoint(self, addr: int) -> None:
        if addr in self.breakpoints:
            self.breakpoints.remove(addr)

    def add_watchpoint(self, kind: str, addr: int, length: int) -> None:
        self.watchpoints.append((kind, addr, length))

    def remove_watchpoint(self, kind: str, addr: int, length: int) -> None:
        if (kind, addr, length) in self.watchpoints:
            self.watchpoints.remove((kind, addr, length))

    def clear_breakpoints(self) -> None:
        self.breakpoints.clear()
        self.watchpoints.clear()

    # execution
    def _execute(self) -> Stop | None:
        pc = self.pc
        if pc in self.exits:
            return Stop("exited", status=self.exits[pc])
        access = self.accesses.get(pc)
        if access is not None:
            op, addr, value = access
            for kind, waddr, wlen in self.watchpoints:
                hit = kind == "awatch" or (kind == "watch") == (op == "store")
                if hit and waddr <= addr < waddr + wlen:
                    return Stop("watch", addr=addr, watch=kind)  # before the access
            if op == "store":
                self.write_memory(addr, value.to_bytes(4, "little"))
        self.pc = (pc + 4) & 0xFFFFFFFF
        self.executed += 1
        return None

    def step(self) -> Stop:
        return self._execute() or Stop("step")

    def resume(self, max_instructions: int) -> Stop | None:
        self.resume_calls += 1
        if self.on_resume is not None:
            self.on_resume()
        for i in range(max_instructions):
            if i and self.pc in self.breakpoints:
                self.stopped.set()
                return Stop("breakpoint", addr=self.pc)
            stop = self._execute()
            if stop is not None:
                self.stopped.set()
                return stop
        return None

    def monitor(self, command: str) -> str:
        self.monitor_commands.append(command)
        if command == "help":
            return HELP_TEXT
        if command == "info registers":
            return f" pc       {self.pc:08x}\n mstatus  {self.csrs[0x300]:08x}\n"
        return f"unknown command: '{command}'\n"

    def kill(self) -> None:
        self.killed = True


class Rig:
    """A GdbServer serving a FakeTarget on a loopback port from a background thread."""

    def __init__(self, *, running: bool = False, **server_args: object) -> None:
        self.target = FakeTarget()
        self.server = GdbServer(self.target, "127.0.0.1", 0, **server_args)  # type: ignore[arg-type]
        self.server.listen()
        self.result: ServeResult | None = None
        self.error: BaseException | None = None
        self.clients: list[RspClient] = []
        self._thread = threading.Thread(target=self._serve, args=(running,), daemon=True)
        self._thread.start()

    def _serve(self, running: bool) -> None:
        try:
            self.result = self.server.serve(running=running)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def connect(self, *, handshake: bool = True) -> RspClient:
        client = RspClient.connect(self.server.port)
        self.clients.append(client)
        if handshake:
            client.handshake()
        return client

    def wait_resumed_without_client(self) -> None:
        """Block until the machine runs a slice while no gdb is connected."""
        ran = threading.Event()

        def check() -> None:
            if not self.server.connected:
                ran.set()

        self.target.on_resume = check
        assert ran.wait(30), "the machine never ran without a client"
        self.target.on_resume = None

    def join(self) -> ServeResult | None:
        self._thread.join(30)
        assert not self._thread.is_alive(), "the server did not finish"
        if self.error is not None:
            raise self.error
        return self.result

    def finish(self) -> None:
        for client in self.clients:
            client.close()
        self.server.request_stop()
        self.join()
        self.server.close()


@contextlib.contextmanager
def rig_running(**kwargs: object) -> Iterator[Rig]:
    rig = Rig(**kwargs)  # type: ignore[arg-type]
    try:
        yield rig
    finally:
        rig.finish()


@pytest.fixture
def rig() -> Iterator[Rig]:
    with rig_running() as r:
        yield r


@pytest.fixture
def gdb(rig: Rig) -> RspClient:
    """A client that has done gdb's handshake."""
    return rig.connect()


def regs_hex(values: list[int]) -> str:
    return "".join(v.to_bytes(4, "little").hex() for v in values)


# --- handshake and queries ----------------------------------------------------------------

def test_connect_sequence_as_gdb_13_sends_it(rig: Rig) -> None:
    c = rig.connect(handshake=False)
    assert c.handshake(read_xml=False) == (
        b"PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+")
    assert c.command("vMustReplyEmpty") == b""
    assert c.command("Hgp0.0") == b"OK"
    assert c.read_xfer("target.xml").startswith(b'<?xml version="1.0"?>')
    assert c.command("qTStatus") == b""
    assert c.command("?") == T05
    assert c.command("qfThreadInfo") == b"mp01.01"
    assert c.command("qsThreadInfo") == b"l"
    assert c.command("qAttached:1") == b"1"
    assert c.command("qAttached") == b"1"
    assert c.command("Hc-1") == b"OK"
    assert c.command("qOffsets") == b""
    g = c.command("g")
    assert len(g) == 264 and g[-8:] == b"00100000"  # 33 registers, pc = 0x1000
    assert c.command("m1000,4") == b"97020000"
    assert c.command("mffc,4") == b"E14"
    assert c.command("qSymbol::") == b""
    assert c.command("qC") == b"QCp01.01"


def test_thread_ids_are_plain_until_multiprocess_is_agreed(rig: Rig) -> None:
    c = rig.connect(handshake=False)
    assert c.command("?") == b"T05thread:01;"
    assert c.command("qC") == b"QC01"
    assert c.command("qfThreadInfo") == b"m01"
    c.command("qSupported:swbreak+")
    assert c.command("?") == b"T05thread:01;"
    c.command("qSupported:multiprocess+")
    assert c.command("?") == T05
    c.command("qSupported")  # once agreed, it stays for the connection
    assert c.command("qC") == b"QCp01.01"


def test_question_mark_clears_breakpoints(rig: Rig, gdb: RspClient) -> None:
    assert gdb.insert_breakpoint(0x80000010) == b"OK"
    assert gdb.command("Z2,80000050,4") == b"OK"
    assert gdb.halt_reason() == T05
    assert rig.target.breakpoints == [] and rig.target.watchpoints == []


def test_thread_packets(gdb: RspClient) -> None:
    for ok in ("Hg0", "Hgp0.0", "Hgp1.1", "Hc-1", "Hcp1.-1", "T1", "Tp1.1", "T0"):
        assert gdb.command(ok) == b"OK", ok
    for bad in ("Hgp2.1", "Hgp1.2", "Hx0", "Hg", "H", "Tp1.-1", "T-1", "Tp2.1", "T", "Tzz"):
        assert gdb.command(bad) == b"E22", bad
    assert gdb.command("qThreadExtraInfo,p1.1") == hex_encode(b"CPU#0 [running]")
    assert gdb.command("qThreadExtraInfo,p1.2") == b"E22"
    assert gdb.command("qThreadExtraInfo,") == b"E22"


def test_extended_mode_and_attach(gdb: RspClient) -> None:
    assert gdb.command("!") == b"OK"
    assert gdb.command("vAttach;1") == T05


@pytest.mark.parametrize("packet", [
    "qTStatus", "QStartNoAckMode", "qOffsets", "qSymbol::", "qCRC:1000,4", "qL1200",
    "vFile:open:6a7573742070726f62696e67,0,1c0", "vRun;", "qXfer:memory-map:read::0,ffb",
    "qGetTLSAddr:1,0,0", "Z5,1000,4", "x1000,4", "vCont", "bz", "QNonStop:1",
    "vCont;t:p1.1", "vCont;r1000,2000", "vCont;", "i", "qfoo",
])
def test_unsupported_packets_get_an_empty_reply(gdb: RspClient, packet: str) -> None:
    assert gdb.command(packet) == b""
    assert gdb.command("?") == T05  # and the stub carries on


def test_reverse_execution_is_refused(gdb: RspClient) -> None:
    assert gdb.command("bs") == b"E22"
    assert gdb.command("bc") == b"E22"


# --- registers ----------------------------------------------------------------------------

def test_read_all_registers(rig: Rig, gdb: RspClient) -> None:
    rig.target.x[1:4] = [0x11, 0x22, 0x80001234]
    regs = gdb.read_registers()
    assert len(regs) == 33
    assert regs[:4] == [0, 0x11, 0x22, 0x80001234]
    assert regs[32] == ROM_BASE


def test_write_all_registers(rig: Rig, gdb: RspClient) -> None:
    values = list(range(0, 33 * 0x100, 0x100))
    values[32] = 0x80000040
    assert gdb.command("G" + regs_hex(values)) == b"OK"
    assert rig.target.x[1:] == values[1:32]
    assert rig.target.x[0] == 0 and rig.target.pc == 0x80000040
    # a short G writes what it carries
    assert gdb.command("G" + regs_hex([0, 7])) == b"OK"
    assert rig.target.x[1] == 7 and rig.target.x[2] == 0x200
    assert gdb.command("G0") == b"E22"
    assert gdb.command("Gzz") == b"E22"


def test_read_one_register(rig: Rig, gdb: RspClient) -> None:
    rig.target.x[5] = 0x1234
    assert gdb.command("p5") == b"34120000"
    assert gdb.command("p20") == b"00100000"  # pc
    assert gdb.command("p41") == b"03000000"  # priv
    assert gdb.command("p343") == b"ad111440"  # misa = 66 + 0x301
    assert gdb.command("p21") == b"E14"  # f0: there is no FPU
    assert gdb.command("p40") == b"E14"  # fcsr position, nothing
    assert gdb.command("p2000") == b"E14"
    assert gdb.command("p") == b"E22"
    assert gdb.command("pxyz") == b"E22"


def test_write_one_register(rig: Rig, gdb: RspClient) -> None:
    assert gdb.command("P5=34120000") == b"OK"
    assert rig.target.x[5] == 0x1234
    assert gdb.command("P20=00000080") == b"OK"
    assert rig.target.pc == 0x80000000
    assert gdb.command("P342=08000000") == b"OK"  # mstatus
    assert rig.target.csrs[0x300] == 8
    assert gdb.command("P21=0000000000000000") == b"E14"
    assert gdb.command("P5") == b"E22"
    assert gdb.command("P5=") == b"E22"
    assert gdb.command("P5=xyz0") == b"E22"


# --- memory -------------------------------------------------------------------------------

def test_read_memory(rig: Rig, gdb: RspClient) -> None:
    assert gdb.read_words(ROM_BASE, 6) == BOOT_ROM[:6]
    assert gdb.command("m90000000,4") == b"E14"
    assert gdb.command("m10fe,4") == b"E14"  # partly outside: all or nothing
    assert gdb.command("m0,0") == b""
    whole = gdb.command("m80000000,800")
    assert whole == b"00" * 0x800
    assert gdb.command("m80000000,801") == b"E22"
    assert gdb.command("m100000000,4") == b"E14"
    for bad in ("m", "m1000", "m1000,", "mzz,4", "m1000,4,4"):
        assert gdb.command(bad) == b"E22", bad


def test_write_memory(rig: Rig, gdb: RspClient) -> None:
    assert gdb.command("M80000050,4:05000000") == b"OK"
    assert rig.target.ram[0x50:0x54] == b"\x05\x00\x00\x00"
    assert gdb.command("M80000050,2:0708ffff") == b"OK"  # extra data is ignored
    assert rig.target.ram[0x50:0x54] == b"\x07\x08\x00\x00"
    assert gdb.command("M80000050,0:") == b"E22"  # as QEMU 7.2 (test_rsp.py checks it there)
    # QEMU answers OK for a write that lands on nothing (the write is dropped)
    assert gdb.command("M90000000,4:01020304") == b"OK"
    assert gdb.command("M80000050,4:0102") == b"E22"  # fewer bytes than announced
    for bad in ("M80000050,4:zz000000", "M80000050,4:123", "M80000050,4", "M", "Mzz,1:00"):
        assert gdb.command(bad) == b"E22", bad
    assert rig.target.ram[0x50:0x54] == b"\x07\x08\x00\x00"


def test_binary_write(rig: Rig, gdb: RspClient) -> None:
    assert gdb.command("X80000050,0:") == b"OK"  # gdb's probe: X is supported
    # Bytes that travel escaped (# $ } *), the interrupt byte, NUL, ':' and 0xff.
    data = b"#$}*\x03\x00:\xff"
    assert gdb.write_memory_binary(0x80000050, data) == b"OK"
    assert bytes(rig.target.ram[0x50:0x58]) == data
    assert gdb.read_memory(0x80000050, 8) == data
    # M's rules: extra bytes are ignored, fewer than announced is E22, a write that lands
    # on nothing is OK (dropped, as QEMU does with M).
    assert gdb.command(b"X80000060,2:abcd") == b"OK"
    assert bytes(rig.target.ram[0x60:0x64]) == b"ab\x00\x00"
    assert gdb.command(b"X80000060,4:xy") == b"E22"
    assert gdb.command(b"X90000000,2:ab") == b"OK"
    for bad in (b"X", b"X80000060", b"X80000060,2", b"Xzz,1:a", b"X80000060,zz:ab",
                b"X100000000,1:a"):
        assert gdb.command(bad) == b"E22", bad
    assert bytes(rig.target.ram[0x60:0x64]) == b"ab\x00\x00"


def test_binary_write_of_a_whole_packet(rig: Rig, gdb: RspClient) -> None:
    # Every byte value, escaped: the packet is longer on the wire than the data.
    data = bytes(range(256)) * 4
    assert gdb.write_memory_binary(0x80001000, data) == b"OK"
    assert bytes(rig.target.ram[0x1000:0x1400]) == data


def test_memory_write_with_escaped_and_run_length_encoded_data(rig: Rig, gdb: RspClient) -> None:
    # gdb never needs it, but a decoder that does both must produce the right M payload
    gdb.send_packet(b"M80000060,4:1* " + escape(b"#") + b"2")
    assert gdb.read_reply() == b"E22"  # "1111#2" is not hex: the stub refuses it
    gdb.send_packet(b"M80000060,4:a* 1234a5")
    assert gdb.read_reply() == b"OK"
    assert rig.target.ram[0x60:0x64] == bytes.fromhex("aaaa1234")


# --- breakpoints, watchpoints and execution -----------------------------------------------

def test_software_breakpoint_and_continue(rig: Rig, gdb: RspClient) -> None:
    rig.target.pc = RAM_BASE
    assert gdb.insert_breakpoint(0x80000020) == b"OK"
    gdb.resume("vCont;c:p1.-1")
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x80000020
    assert gdb.remove_breakpoint(0x80000020) == b"OK"
    assert rig.target.breakpoints == []


def test_hardware_breakpoint_and_continue(rig: Rig, gdb: RspClient) -> None:
    assert gdb.insert_breakpoint(0x103C, kind=2, type_=1) == b"OK"
    gdb.resume("c")
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x103C
    assert gdb.remove_breakpoint(0x103C, kind=2, type_=1) == b"OK"


def test_software_and_hardware_breakpoints_at_one_address_are_two(rig: Rig,
                                                                  gdb: RspClient) -> None:
    assert gdb.insert_breakpoint(0x1010, type_=0) == b"OK"
    assert gdb.insert_breakpoint(0x1010, type_=1) == b"OK"
    assert rig.target.breakpoints == [0x1010]  # the machine holds a set of addresses
    assert gdb.remove_breakpoint(0x1010, type_=0) == b"OK"
    assert rig.target.breakpoints == [0x1010]  # the Z1 is still there
    gdb.resume()
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x1010
    assert gdb.remove_breakpoint(0x1010, type_=1) == b"OK"
    assert rig.target.breakpoints == []
    assert gdb.remove_breakpoint(0x1010, type_=1) == b"E22"  # nothing left to remove


def test_a_breakpoint_inserted_twice_needs_two_removals(rig: Rig, gdb: RspClient) -> None:
    # QEMU keeps a list: each Z0 adds an entry, each z0 takes one away (kind ignored).
    assert gdb.insert_breakpoint(0x1010, kind=2) == b"OK"
    assert gdb.insert_breakpoint(0x1010, kind=4) == b"OK"
    assert gdb.remove_breakpoint(0x1010, kind=4) == b"OK"
    assert rig.target.breakpoints == [0x1010]
    assert gdb.remove_breakpoint(0x1010, kind=2) == b"OK"
    assert rig.target.breakpoints == []
    assert gdb.remove_breakpoint(0x1010) == b"E22"


def test_removing_a_breakpoint_of_the_other_type_is_refused(rig: Rig, gdb: RspClient) -> None:
    """docs/differences.md, "z0 at the address of a Z1": QEMU 7.2 removes it, rvirt keeps
    the types apart."""
    assert gdb.insert_breakpoint(0x1010, type_=1) == b"OK"
    assert gdb.remove_breakpoint(0x1010, type_=0) == b"E22"
    assert rig.target.breakpoints == [0x1010]
    gdb.resume()
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x1010


def test_a_remaining_breakpoint_still_stops_on_a_slice_boundary() -> None:
    # The server's own check at slice boundaries sees the breakpoint that is left, too.
    with rig_running(slice_instructions=3) as rig:
        c = rig.connect()
        c.insert_breakpoint(0x100C, type_=0)
        c.insert_breakpoint(0x100C, type_=1)
        c.remove_breakpoint(0x100C, type_=1)
        c.resume()
        assert c.wait_stop() == T05
        assert c.pc() == 0x100C
        assert rig.target.executed == 3


def test_continue_from_a_breakpoint_makes_progress(rig: Rig, gdb: RspClient) -> None:
    gdb.insert_breakpoint(0x1000)
    gdb.insert_breakpoint(0x1008)
    gdb.resume("vCont;c:p1.1")
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x1008


@pytest.mark.parametrize("packet", ["c", "C05", "C0f;1000", "vCont;c", "vCont;C05:p1.-1",
                                    "vCont;c:p1.1", "vCont;c:-1", "vCont;c:p0.0"])
def test_every_way_to_continue(rig: Rig, gdb: RspClient, packet: str) -> None:
    gdb.insert_breakpoint(0x1010)
    gdb.resume(packet)
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x1010


def test_continue_at_an_address(rig: Rig, gdb: RspClient) -> None:
    gdb.insert_breakpoint(0x80000008)
    gdb.resume("c80000000")
    assert gdb.wait_stop() == T05
    assert gdb.pc() == 0x80000008


@pytest.mark.parametrize("packet", ["s", "S05", "vCont;s:p1.1;c:p1.-1", "vCont;S05:p1.1",
                                    "vCont;s"])
def test_every_way_to_step(rig: Rig, gdb: RspClient, packet: str) -> None:
    gdb.insert_breakpoint(0x1004)  # a step stops after one instruction regardless
    assert gdb.command(packet) == T05
    assert gdb.pc() == 0x1004
    assert gdb.command(packet) == T05
    assert gdb.pc() == 0x1008
    assert rig.target.executed == 2


def test_step_at_an_address(rig: Rig, gdb: RspClient) -> None:
    assert gdb.command("s80000000") == T05
    assert gdb.pc() == 0x80000004


def test_resume_packets_with_bad_arguments(gdb: RspClient) -> None:
    assert gdb.command("vCont?") == b"vCont;c;C;s;S"
    assert gdb.command("vCont;c:p2.1") == b"E22"
    assert gdb.command("vCont;c:p1.2") == b"E22"
    assert gdb.command("vCont;Czz") == b"E22"
    assert gdb.command("czz") == b"E22"
    assert gdb.command("C") == b"E22"
    assert gdb.command("sxyz") == b"E22"
    assert gdb.command("c100000000") == b"E22"
    assert gdb.halt_reason() == T05


def test_breakpoint_exactly_on_a_slice_boundary() -> None:
    # resume() lets its first instruction pass a breakpoint; the server must not lose one
    # that the previous slice ended on.
    with rig_running(slice_instructions=3) as rig:
        c = rig.connect()
        c.insert_breakpoint(0x100C)  # three instructions from 0x1000
        c.resume()
        assert c.wait_stop() == T05
        assert c.pc() == 0x100C
        assert rig.target.executed == 3


@pytest.mark.parametrize(("ztype", "op", "kind"), [
    (2, "store", "watch"), (3, "load", "rwatch"), (4, "store", "awatch"), (4, "load", "awatch"),
])
def test_watchpoints_stop_before_the_access(rig: Rig, gdb: RspClient, ztype: int, op: str,
                                            kind: str) -> None:
    rig.target.ram[0x50:0x54] = (5).to_bytes(4, "little")
    rig.target.accesses[0x1008] = ("load", 0x80000040, 0)  # outside the watched range
    rig.target.accesses[0x100C] = (op, 0x80000050, 7)
    assert gdb.command(f"Z{ztype},80000050,4") == b"OK"
    gdb.resume()
    assert gdb.wait_stop() == f"T05thread:p01.01;{kind}:80000050;".encode()
    assert gdb.pc() == 0x100C
    assert gdb.read_memory(0x80000050, 4) == (5).to_bytes(4, "little")
    assert gdb.command(f"z{ztype},80000050,4") == b"OK"
    assert rig.target.watchpoints == []


def test_watch_address_is_zero_padded_as_qemu_prints_it(rig: Rig, gdb: RspClient) -> None:
    rig.target.accesses[0x1004] = ("store", 0x1020, 1)
    gdb.command("Z2,1020,4")
    gdb.resume()
    assert gdb.wait_stop() == b"T05thread:p01.01;watch:00001020;"


def test_watchpoint_arguments(gdb: RspClient) -> None:
    assert gdb.command("Z2,80000050,0") == b"E22"  # zero length, as QEMU
    assert gdb.command("Z9,80000050,4") == b""
    assert gdb.command("Z2,80000050") == b"E22"
    assert gdb.command("Z0,zz,4") == b"E22"
    assert gdb.command("Z0,100000000,4") == b"E22"
    assert gdb.command("Z0,1000,4;X2,0a") == b"OK"  # a condition list is ignored


def test_interrupt_while_running(rig: Rig, gdb: RspClient) -> None:
    gdb.resume()
    assert gdb.interrupt() == T02
    first = gdb.read_registers()
    executed = rig.target.executed
    assert gdb.read_registers() == first  # stopped: nothing moves between two reads
    assert rig.target.executed == executed
    assert first[32] == 0x1000 + 4 * executed


def test_any_byte_while_running_stops_the_machine(rig: Rig, gdb: RspClient) -> None:
    gdb.resume()
    gdb.send_raw(b"x")
    assert gdb.wait_stop() == T02
    assert gdb.halt_reason() == T05


def test_interrupt_while_stopped_is_ignored(gdb: RspClient) -> None:
    gdb.send_raw(b"\x03")
    assert gdb.command("qC") == b"QCp01.01"


# --- monitor ------------------------------------------------------------------------------

def test_monitor_help_and_info_registers(rig: Rig, gdb: RspClient) -> None:
    assert gdb.monitor("help") == HELP_TEXT.replace("\n", "\r\n")
    rig.target.pc = 0x80000010
    assert gdb.monitor("info registers") == " pc       80000010\r\n mstatus  00000000\r\n"
    assert rig.target.monitor_commands == ["help", "info registers"]


def test_monitor_output_arrives_as_o_packets_then_ok(gdb: RspClient) -> None:
    gdb.send_packet("qRcmd," + b"help".hex())
    packets = [gdb.read_packet() for _ in range(3)]
    assert packets == [b"O" + hex_encode(b"help [cmd]  -- show help\r\n"),
                       b"O" + hex_encode(b"info registers  -- show the cpu registers\r\n"),
                       b"OK"]


def test_monitor_with_bad_hex(rig: Rig, gdb: RspClient) -> None:
    assert gdb.command("qRcmd,7") == b"E01"
    assert gdb.command("qRcmd,zz") == b"E01"
    assert rig.target.monitor_commands == []
    assert gdb.command("qRcmd,") == b"OK"  # an empty command prints nothing here
    assert rig.target.monitor_commands == [""]


# --- the target description ---------------------------------------------------------------

def parse_regs(document: bytes) -> list[dict[str, str]]:
    return [reg.attrib for reg in ET.fromstring(document).iter("reg")]


def test_target_xml_includes_cpu_virtual_and_csr_features(gdb: RspClient) -> None:
    doc = gdb.read_xfer("target.xml").replace(b"xi:include", b"include")
    root = ET.fromstring(doc)
    assert root.findtext("architecture") == "riscv:rv32"
    assert [inc.get("href") for inc in root.iter("include")] == [
        "riscv-32bit-cpu.xml", "riscv-32bit-virtual.xml", "riscv-csr.xml"]


def test_cpu_feature(gdb: RspClient) -> None:
    doc = gdb.read_xfer("riscv-32bit-cpu.xml")
    assert ET.fromstring(doc).get("name") == "org.gnu.gdb.riscv.cpu"
    regs = parse_regs(doc)
    assert [r["name"] for r in regs] == [*targetxml.GPR_NAMES, "pc"]
    assert regs[2]["name"] == "sp" and regs[8]["name"] == "fp" and regs[31]["name"] == "t6"
    assert all(r["bitsize"] == "32" and "regnum" not in r for r in regs)
    types = {r["name"]: r["type"] for r in regs}
    assert types["ra"] == types["pc"] == "code_ptr"
    assert types["sp"] == types["gp"] == types["tp"] == types["fp"] == "data_ptr"
    assert types["zero"] == types["a0"] == types["t6"] == "int"


def test_virtual_and_csr_features(gdb: RspClient) -> None:
    virtual = gdb.read_xfer("riscv-32bit-virtual.xml")
    assert ET.fromstring(virtual).get("name") == "org.gnu.gdb.riscv.virtual"
    assert parse_regs(virtual) == [{"name": "priv", "bitsize": "32", "regnum": "65"}]
    csr = gdb.read_xfer("riscv-csr.xml")
    assert ET.fromstring(csr).get("name") == "org.gnu.gdb.riscv.csr"
    regs = parse_regs(csr)
    assert [(r["name"], int(r["regnum"])) for r in regs] == [
        (name, 66 + num) for num, name in sorted(CSRS.items())]
    # every register the description names can be read with p
    for r in regs:
        assert gdb.command(f"p{int(r['regnum']):x}") != b"E14"


def test_qxfer_chunking(gdb: RspClient) -> None:
    whole = gdb.read_xfer("riscv-32bit-cpu.xml")
    assert gdb.command("qXfer:features:read:riscv-32bit-cpu.xml:0,10") == b"m" + whole[:16]
    assert gdb.read_xfer("riscv-32bit-cpu.xml", chunk=0x10) == whole
    end = len(whole)
    assert gdb.command(f"qXfer:features:read:riscv-32bit-cpu.xml:{end:x},10") == b"l"
    assert gdb.command(f"qXfer:features:read:riscv-32bit-cpu.xml:{end + 1:x},10") == b"E00"
    assert gdb.command(f"qXfer:features:read:riscv-32bit-cpu.xml:{end - 3:x},3") == (
        b"l" + whole[-3:])
    assert gdb.command("qXfer:features:read:target.xml:0,0") == b"m"
    assert gdb.command("qXfer:features:read:riscv-64bit-fpu.xml:0,ffb") == b"E00"
    assert gdb.command("qXfer:features:read:target.xml:10") == b"E22"
    assert gdb.command("qXfer:features:read:target.xml") == b"E22"
    assert gdb.command("qXfer:features:read:target.xml:zz,10") == b"E22"


def test_long_documents_come_in_qemu_sized_chunks() -> None:
    many = {0xB00 + i: f"mhpmcounter{i}" for i in range(3, 32)}
    many.update({0x300 + i: f"csr{i}" for i in range(64)})
    tdesc = targetxml.TargetDescription(many)
    doc = tdesc.documents["riscv-csr.xml"]
    assert len(doc) > 2 * targetxml.XFER_CHUNK
    first = tdesc.read("riscv-csr.xml", 0, 0xFFB)
    assert first == b"m" + doc[:0x7FD]  # QEMU's limit: (PacketSize - 5) / 2
    second = tdesc.read("riscv-csr.xml", 0x7FD, 0xFFB)
    assert second == b"m" + doc[0x7FD:0xFFA]
    last = tdesc.read("riscv-csr.xml", 0xFFA, 0xFFB)
    assert last == b"l" + doc[0xFFA:]
    assert tdesc.read("nope.xml", 0, 10) == b"E00"


def test_xfer_reply_escapes_binary_data() -> None:
    assert targetxml.xfer_reply(b"a$b}c", 0, 100) == b"la}\x04b}]c"
    assert targetxml.xfer_reply(b"abcdef", 2, 2) == b"mcd"
    assert targetxml.xfer_reply(b"abcdef", 4, 2) == b"lef"
    assert targetxml.xfer_reply(b"abcdef", 7, 2) == b"E00"


def test_description_is_built_per_connection(rig: Rig) -> None:
    c = rig.connect()
    before = c.read_xfer("riscv-csr.xml")
    extra = {**CSRS, 0x7B0: "dcsr"}
    rig.target.csr_names = lambda: extra  # type: ignore[method-assign]
    assert c.read_xfer("riscv-csr.xml") == before  # fixed for the connection
    c.close()
    c2 = rig.connect()
    assert b'name="dcsr" bitsize="32" regnum="2034"' in c2.read_xfer("riscv-csr.xml")


# --- detach, disconnect, kill, exit -------------------------------------------------------

def test_detach_resumes_the_machine_and_clears_breakpoints(rig: Rig, gdb: RspClient) -> None:
    gdb.insert_breakpoint(0x1010)
    gdb.command("Z2,80000050,4")
    assert gdb.command("D") == b"E22"  # with multiprocess, QEMU wants the pid
    assert gdb.command("D;1") == b"OK"
    assert rig.target.breakpoints == [] and rig.target.watchpoints == []
    gdb.close()
    rig.wait_resumed_without_client()
    c = rig.connect()  # a new gdb stops the machine
    assert c.halt_reason() == T05
    regs = c.read_registers()
    assert regs[32] > 0x1010  # it ran past where the breakpoint had been
    assert c.read_registers() == regs


def test_plain_detach_without_multiprocess(rig: Rig) -> None:
    c = rig.connect(handshake=False)
    assert c.command("D") == b"OK"
    assert c.interrupt() == b"T02thread:01;"  # it was running


def test_disconnect_while_stopped_leaves_the_machine_stopped(rig: Rig, gdb: RspClient) -> None:
    assert gdb.step() == T05
    calls = rig.target.resume_calls
    gdb.close()
    c = rig.connect()
    assert c.pc() == 0x1004
    assert rig.target.resume_calls == calls
    assert c.step() == T05
    assert c.pc() == 0x1008


def test_disconnect_while_running_keeps_it_running(rig: Rig, gdb: RspClient) -> None:
    gdb.insert_breakpoint(0x7FFFFFF0)  # never reached in this test
    gdb.resume()
    gdb.close()
    rig.wait_resumed_without_client()
    rig.connect()
    assert not rig.server.running  # attaching stopped it
    assert rig.target.executed > 0
    assert rig.target.breakpoints == [0x7FFFFFF0]  # breakpoints outlive the connection


def test_breakpoint_hit_with_nobody_attached_waits_for_gdb(rig: Rig, gdb: RspClient) -> None:
    far = 0x1000 + 4 * 25_001  # a few slices away, not on a slice boundary
    gdb.insert_breakpoint(far)
    gdb.resume()
    gdb.close()
    assert rig.target.stopped.wait(30)
    calls = rig.target.resume_calls
    c = rig.connect()
    assert c.halt_reason() == T05
    assert c.pc() == far
    assert rig.target.resume_calls == calls  # it stayed stopped


def test_vkill_ends_the_machine(rig: Rig, gdb: RspClient) -> None:
    assert gdb.command("vKill;1") == b"OK"
    assert gdb.at_eof()
    assert rig.join() == ServeResult(0, "killed")
    assert rig.target.killed


def test_legacy_kill(rig: Rig, gdb: RspClient) -> None:
    gdb.send_packet("k")
    assert gdb.read_packet() == b"W00"
    assert gdb.at_eof()
    assert rig.join() == ServeResult(0, "killed")
    assert rig.target.killed


def test_guest_exit_sends_w_and_closes(rig: Rig, gdb: RspClient) -> None:
    rig.target.exits[0x1010] = 0x2A
    gdb.resume()
    assert gdb.wait_stop() == b"W2a"
    assert gdb.at_eof()
    assert rig.join() == ServeResult(0x2A, "exited")


def test_guest_exit_during_a_step(rig: Rig, gdb: RspClient) -> None:
    rig.target.exits[0x1000] = 0x101
    assert gdb.step() == b"W01"  # the status byte, as gdb reads it
    assert rig.join() == ServeResult(0x101, "exited")


def test_guest_exit_with_nobody_attached(rig: Rig, gdb: RspClient) -> None:
    rig.target.exits[0x1100] = 3
    gdb.resume()
    gdb.close()
    assert rig.join() == ServeResult(3, "exited")


def test_machine_exit_raised_by_the_target_counts_as_an_exit(rig: Rig, gdb: RspClient) -> None:
    def quit_now(command: str) -> str:
        raise MachineExit(4, "monitor quit")

    rig.target.monitor = quit_now  # type: ignore[method-assign]
    gdb.send_packet("qRcmd," + b"quit".hex())
    assert gdb.read_packet() == b"W04"
    assert rig.join() == ServeResult(4, "exited")


# --- framing trouble on the wire ----------------------------------------------------------

def test_bad_checksum_gets_a_nack(gdb: RspClient) -> None:
    gdb.send_raw(b"$qC#00")
    assert gdb._byte() == ord("-")
    assert gdb.command("qC") == b"QCp01.01"


def test_nack_gets_the_last_reply_again(gdb: RspClient) -> None:
    gdb.send_raw(frame(b"qC"))
    assert gdb._byte() == ord("+")
    expected = frame(b"QCp01.01")
    got = bytes(gdb._byte() for _ in range(len(expected)))
    assert got == expected
    gdb.send_raw(b"-")
    again = bytes(gdb._byte() for _ in range(len(expected)))
    assert again == expected
    gdb.send_raw(b"+-")  # acked now: a later '-' asks for nothing
    assert gdb.command("?") == T05


def test_oversize_packet_is_refused_and_the_stub_carries_on(gdb: RspClient) -> None:
    gdb.send_packet(b"M80000000,801:" + b"00" * 0x801)
    assert gdb.read_reply() == b"E22"
    assert gdb.halt_reason() == T05


def test_truncated_packet_then_a_good_one(gdb: RspClient) -> None:
    gdb.send_raw(b"$m1000,")
    assert gdb.command("m1000,4") == b"97020000"


def test_junk_and_acks_between_packets(gdb: RspClient) -> None:
    gdb.send_raw(b"+++hello\r\n#12\x00\xff")
    assert gdb.command("qC") == b"QCp01.01"


# --- server life cycle --------------------------------------------------------------------

def test_machine_runs_before_any_gdb_and_stops_when_one_attaches() -> None:
    with rig_running(running=True) as rig:
        rig.wait_resumed_without_client()
        c = rig.connect()
        assert c.halt_reason() == T05
        executed = rig.target.executed
        assert executed > 0
        pc = c.pc()
        assert c.pc() == pc and rig.target.executed == executed


def test_poll_hook_runs_between_slices_and_may_end_the_machine() -> None:
    target = FakeTarget()
    calls: list[int] = []

    def hook() -> None:
        calls.append(target.resume_calls)
        if len(calls) == 5:
            raise MachineExit(0, "console quit")

    with GdbServer(target, "127.0.0.1", 0, poll_hook=hook, slice_instructions=100) as server:
        server.listen()
        with pytest.raises(MachineExit):
            server.serve(running=True)
    assert calls == [1, 2, 3, 4, 5]  # one slice, then the hook, each time
    assert target.executed == 500


def test_poll_hook_runs_while_stopped() -> None:
    target = FakeTarget()
    calls = []

    def hook() -> None:
        calls.append(target.resume_calls)
        if len(calls) == 3:
            raise MachineExit(0, "console quit")

    with GdbServer(target, "127.0.0.1", 0, poll_hook=hook, poll_interval=0.001) as server:
        server.listen()
        with pytest.raises(MachineExit):
            server.serve(running=False)
    assert calls == [0, 0, 0]


def test_exception_from_the_hook_drops_the_client() -> None:
    quit_now = threading.Event()

    def hook() -> None:
        if quit_now.is_set():
            raise MachineExit(0, "console quit")

    rig = Rig(poll_hook=hook, poll_interval=0.01)
    c = rig.connect()
    assert c.halt_reason() == T05
    quit_now.set()
    assert c.at_eof()
    with pytest.raises(MachineExit):
        rig.join()
    rig.server.close()


def test_service_runs_one_unit_at_a_time() -> None:
    target = FakeTarget()
    target.exits[0x1000 + 4 * 250] = 9
    with GdbServer(target, "127.0.0.1", 0, slice_instructions=100) as server:
        server.listen()
        server.running = True  # a caller may drive service() itself instead of serve()
        assert server.service(0) is None and target.executed == 100
        assert server.service(0) is None and target.executed == 200
        assert server.service(0) == ServeResult(9, "exited")
        assert server.result == ServeResult(9, "exited")


def test_wait_for_client() -> None:
    with GdbServer(FakeTarget(), "127.0.0.1", 0) as server:
        server.listen()
        assert server.wait_for_client(0) is False
        with socket.create_connection(("127.0.0.1", server.port)):
            assert server.wait_for_client(30) is True
            assert server.connected and not server.running


def test_a_failing_target_call_is_an_error_reply(rig: Rig, gdb: RspClient) -> None:
    def broken(addr: int, length: int) -> bytes | None:
        raise RuntimeError("bus exploded")

    rig.target.read_memory = broken  # type: ignore[method-assign]
    assert gdb.command("m80000000,4") == b"E22"
    assert gdb.halt_reason() == T05


def test_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        server = GdbServer(FakeTarget(), "127.0.0.1", port, label="-s")
        with pytest.raises(RvirtError) as err:
            server.listen()
        server.close()
    assert str(err.value) == "-s: Failed to find an available port: Address already in use"
    default = GdbServer(FakeTarget(), "127.0.0.1", port)
    assert default.label == f"-gdb tcp:127.0.0.1:{port}"
    default.close()


def test_bad_host_is_one_clear_error() -> None:
    server = GdbServer(FakeTarget(), "no-such-host.invalid", 1234)
    with pytest.raises(RvirtError, match="address resolution failed"):
        server.listen()
    server.close()


# --- the command table itself -------------------------------------------------------------

def test_command_table_prefixes_are_unambiguous() -> None:
    prefixes = [row.prefix for row in COMMANDS]
    assert len(prefixes) == len(set(prefixes))
    session = GdbSession(FakeTarget())
    assert session.handle(b"vCont?").replies == [b"vCont;c;C;s;S"]
    assert session.handle(b"qCRC:0,4").replies == [b""]  # not qC
    assert session.handle(b"bs").replies == [b"E22"]
    assert session.handle(b"").replies == [b""]


def test_parse_thread_id() -> None:
    assert parse_thread_id(b"p1.1") == (1, 1)
    assert parse_thread_id(b"p01.-1") == (1, -1)
    assert parse_thread_id(b"p-1") == (-1, -1)
    assert parse_thread_id(b"0") == (0, 0)
    assert parse_thread_id(b"-1") == (0, -1)
    with pytest.raises(ValueError):
        parse_thread_id(b"px.1")


def test_stop_replies() -> None:
    session = GdbSession(FakeTarget())
    session.multiprocess = True
    assert session.stop_reply(Stop("step")) == T05
    assert session.stop_reply(Stop("breakpoint", addr=0x1000)) == T05
    assert session.stop_reply(Stop("interrupt")) == T02
    assert session.stop_reply(Stop("watch", addr=0x80000050, watch="rwatch")) == (
        b"T05thread:p01.01;rwatch:80000050;")
    assert session.stop_reply(Stop("exited", status=0)) == b"W00"
    assert session.stop_reply(Stop("exited", status=0x1FF)) == b"Wff"


# --- fuzzing: nothing on the wire stops the stub ------------------------------------------

_HEADS = [b"?", b"g", b"G", b"p", b"P", b"m", b"M", b"X", b"Z", b"z", b"c", b"C", b"s", b"S",
          b"H", b"T", b"D", b"D;", b"q", b"Q", b"v", b"vCont;", b"vCont?", b"vAttach;", b"!",
          b"qXfer:features:read:", b"qRcmd,", b"qSupported:", b"qThreadExtraInfo,", b"b", b"bs"]
_ARGS = st.one_of(st.binary(max_size=48),
                  st.text("0123456789abcdefABCDEFp.,;:=-+xyz", max_size=40).map(str.encode))
_PAYLOADS = st.builds(lambda head, arg: head + arg, st.sampled_from(_HEADS), _ARGS)
_PIECES = st.one_of(
    _PAYLOADS.map(lambda p: frame(escape(p))),  # well-framed, arguments anything
    _PAYLOADS.map(lambda p: frame(p)),  # unescaped specials break the framing
    _PAYLOADS.map(lambda p: frame(p)[:-2] + b"%02x" % ((sum(p) + 1) & 0xFF)),  # bad checksum
    _PAYLOADS.map(lambda p: b"$" + p),  # truncated
    st.integers(PACKET_SIZE - 16, PACKET_SIZE + 64).map(lambda n: frame(b"M0,0:" + b"0" * n)),
    st.binary(max_size=64),
    st.sampled_from([b"\x03", b"+", b"-", b"}", b"*", b"#", b"$", b"#zz"]),
    # packets that set the machine running, so later junk arrives while it runs
    st.sampled_from([frame(b"c"), frame(b"vCont;c:p1.-1"), frame(b"D;1"), frame(b"s"),
                     frame(b"Z0,1010,4")]),
)


@pytest.fixture(scope="module")
def fuzz_rig() -> Iterator[Rig]:
    with rig_running() as rig:
        yield rig


_SENTINELS = itertools.count(1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=10))
def test_random_and_malformed_input_never_stops_the_stub(fuzz_rig: Rig,
                                                         pieces: list[bytes]) -> None:
    junk = b"".join(pieces)
    assume(b"$k" not in junk and b"vKill" not in junk)  # those end the machine, by design
    with RspClient.connect(fuzz_rig.server.port) as c:
        c.handshake(read_xml=False)
        c.send_raw(junk)
        # Stop the machine if the junk set it running; ignored if it is stopped.
        c.send_raw(b"\x03")
        # A sentinel write and read-back: every reply to the junk comes before its answer.
        # The sentinel is new each time, so no reply to the junk can look like it.
        sentinel = (b"sentinel" + next(_SENTINELS).to_bytes(8, "little")).hex()
        c.send_raw(frame(f"M80000100,10:{sentinel}".encode()) + frame(b"m80000100,10"))
        while c.read_packet() != sentinel.encode():
            pass
        assert c.halt_reason() == T05
    assert fuzz_rig.error is None and fuzz_rig.result is None


# --- real gdb against the stub ------------------------------------------------------------

@pytest.mark.tools
def test_gdb_multiarch_session(rig: Rig) -> None:
    gdb_path = need("gdb-multiarch")
    rig.target.x[8] = 0x1234
    rig.target.csrs[0x300] = 0x1888
    script = [
        "set pagination off",
        f"target remote 127.0.0.1:{rig.server.port}",
        "info registers pc",
        "p/x $s0",
        "p $priv",
        "p/x $mstatus",
        "p/x $misa",
        "x/2wx 0x1000",
        "stepi",
        "p/x $pc",
        "break *0x1010",
        "continue",
        "p/x $pc",
        "set $t0 = 0x55",
        "set {int}0x80000050 = 7",
        "monitor help",
        "detach",
    ]
    args = [gdb_path, "-nx", "-batch"]
    for line in script:
        args += ["-ex", line]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    text = out.stdout + out.stderr
    assert re.search(r"pc\s+0x1000", text), text
    assert "= 0x1234" in text
    assert "= 3" in text or "prv:3" in text
    assert "= 0x1888" in text
    assert "= 0x401411ad" in text
    assert re.search(r"0x1000:\s+0x00000297\s+0x02828613", text), text
    assert "= 0x1004" in text  # stepi
    assert "= 0x1010" in text  # the breakpoint
    assert "help [cmd]" in text
    assert rig.target.x[5] == 0x55
    assert rig.target.ram[0x50] == 7
    assert rig.target.breakpoints == []  # detach removed everything


# --- the description against QEMU's -------------------------------------------------------

@pytest.mark.tools
def test_target_description_matches_qemu() -> None:
    qemu = need("qemu-system-riscv32")
    with gdb_stub([qemu, "-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic",
                   "-bios", "none", "-S"]) as (_, c):
        c.handshake()
        qemu_target = c.read_xfer("target.xml").decode()
        qemu_cpu = c.read_xfer("riscv-32bit-cpu.xml")
        qemu_virtual = c.read_xfer("riscv-32bit-virtual.xml")
        qemu_csr = c.read_xfer("riscv-csr.xml")
        priv = c.read_register(65)
    assert "<architecture>riscv:rv32</architecture>" in qemu_target
    # The same cpu registers, sizes and types, in the same order (so the same numbers).
    ours = parse_regs(targetxml.cpu_feature().encode())
    assert [(r["name"], r["bitsize"], r.get("type")) for r in parse_regs(qemu_cpu)] == [
        (r["name"], r["bitsize"], r.get("type")) for r in ours]
    # priv: QEMU numbers it 65 by position after the fpu; ours says so explicitly.
    assert [r["name"] for r in parse_regs(qemu_virtual)] == ["priv"] and priv == 3
    # Fed QEMU's CSR list, our generator gives the same names and numbers.
    qemu_regs = parse_regs(qemu_csr)
    names = {int(r["regnum"]) - CSR_REGNUM_BASE: r["name"] for r in qemu_regs}
    assert parse_regs(targetxml.csr_feature(names).encode()) == qemu_regs
