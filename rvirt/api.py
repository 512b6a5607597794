"""The public Python API: `rvirt.Machine`, a thin typed face over the virt board of the
command line (rvirt.board.virt), for tests that boot a kernel and check what it did.

Every problem with what the caller gave is an `Error` (a subclass of RvirtError) with a
one-line message; docs/api.md lists them and shows every verb at work.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rvirt.board import memmap as MM
from rvirt.debug import history
from rvirt.debug.infos import DebugInfos, debug_infos
from rvirt.debug.machine_target import MachineTarget
from rvirt.debug.target import CSR_REGNUM_BASE, REG_PC
from rvirt.errors import RvirtError
from rvirt.isa.xlen import MASK

if TYPE_CHECKING:
    from rvirt.board.virt import Board
    from rvirt.debug.gdbstub import GdbServer

__all__ = [
    "AccessError", "ConfigError", "Console", "Error", "ImageError", "LoadWarning", "Machine",
    "MachineClosed", "NotFound", "RunResult", "Snapshot", "SnapshotError", "Symbols",
]

# Fixed by default so that two machines given the same inputs run the same way: the
# device tree's rng-seed (32 bytes) and the RTC's time at power-on (2024-01-01 00:00 UTC).
DEFAULT_RNG_SEED = bytes(32)
DEFAULT_RTC_EPOCH_NS = 1_704_067_200 * 10**9
SLICE = 1 << 16  # instructions per resume() between looks at the clock and the gdb stub
CHECKED_SLICE = 1 << 12  # the same while a callable `until` runs per instruction
MASK32 = MASK  # a register's bits

ABI_NAMES = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
             "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
             "s10", "s11", "t3", "t4", "t5", "t6")
REGISTERS: dict[str, int] = {**{n: i for i, n in enumerate(ABI_NAMES)},
                             **{f"x{i}": i for i in range(32)}, "fp": 8, "pc": REG_PC}
PRIVILEGES = {0: "U", 1: "S", 3: "M"}

Reason = Literal["until", "exit", "limit", "timeout", "idle"]


# --- errors ---------------------------------------------------------------------------------

class Error(RvirtError):
    """Base of every error the API raises for what it was given; the message is one line
    naming the file or the value and the problem."""


class ConfigError(Error):
    """A parameter of Machine(...) or an argument of a method is not valid (memory size,
    accelerator, icount shift, gdb port, an `until` of the wrong type, a negative count)."""


class ImageError(Error):
    """The bios or kernel image cannot be loaded (no such file, not a RISC-V ELF, a
    segment over the device tree or the boot ROM's reset vector)."""


class NotFound(Error, KeyError):
    """A name the machine does not know: a register, a CSR, a symbol or a FILE:LINE with
    no code.  Also a KeyError, so `symbols` is a plain Mapping."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AccessError(Error):
    """read()/write() where there is no RAM or ROM (or, through the MMU, no mapping)."""


class SnapshotError(Error):
    """A snapshot that does not fit this machine (another RAM size, icount shift or
    device set), or that was written by an incompatible rvirt."""


class MachineClosed(Error):
    """The machine was closed; make a new one."""


class LoadWarning(UserWarning):
    """What the command line prints as a warning or note (segments dropped because they
    lie outside RAM and ROM, a raw image, a tier that is not available); also kept in
    Machine.warnings."""


def _reworded(message: str) -> str:
    """The board's messages name command-line flags (`-bios FILE: ...`); here they name
    the parameter (`bios FILE: ...`)."""
    message = message.replace("(give more RAM with -m)", "(give the machine more memory)")
    return re.sub(r"^-(bios|kernel|m|accel|icount|clock) ",
                  lambda m: ("memory" if m.group(1) == "m" else m.group(1)) + " ", message)


# --- values ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunResult:
    """Why run() returned.

    reason: "until" (the condition was met: pc is at the address, before executing it),
    "exit" (the guest ended the machine; exit_code is its status), "limit" (the
    max_instructions budget is spent), "timeout" (timeout seconds passed), "idle" (the
    hart waits in wfi and nothing, no timer and no console input, can wake it).
    instructions: retired in this call.  pc: where the hart is now.
    """

    reason: Reason
    exit_code: int | None
    instructions: int
    pc: int


@dataclass(frozen=True)
class Snapshot:
    """The whole machine at an instruction boundary (hart, CSRs, RAM, ROM, every device,
    virtual time) plus the console output so far and how the machine was made.  Pickles;
    `Machine.from_snapshot` makes a new machine from one."""

    state: history.State
    console: bytes
    bios: str | None
    kernel: str | None
    memory: int
    accel: str
    icount: int
    rng_seed: bytes | None
    rtc_epoch_ns: int | None

    @property
    def instructions(self) -> int:
        """Instructions retired from power-on to this snapshot."""
        return self.state.instret


class Console:
    """UART0, as the -nographic console: what the guest printed, and keys to type."""

    def __init__(self, machine: Machine) -> None:
        self._machine = machine
        self._out = bytearray()

    @property
    def output(self) -> bytes:
        """Every byte the guest wrote to the console so far."""
        return bytes(self._out)

    @property
    def text(self) -> str:
        """`output` decoded as UTF-8 (bad bytes replaced)."""
        return self._out.decode("utf-8", "replace")

    def send(self, data: bytes | str) -> None:
        """Type `data` on the console: it enters the UART's receive FIFO as the guest
        makes room, raising the UART's receive interrupt as on the command line."""
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ConfigError(f"console.send: expected bytes or str, not "
                              f"{type(data).__name__}")
        self._machine._live_target().console_input(bytes(data))

    def _write(self, data: bytes) -> None:
        self._out += data


class Symbols(Mapping[str, int]):
    """Symbol name -> address, for every loaded ELF: the raw names of the symbol table,
    their demangled forms, and functions as gdb names them (`p0::entry`).  Looking a
    name up is quick; listing them all reads all the DWARF once."""

    def __init__(self, infos: DebugInfos, raw: dict[str, int], paths: list[str]) -> None:
        self._infos = infos
        self._raw = raw
        self._paths = paths
        self._all: dict[str, int] | None = None

    def get_address(self, name: str) -> int | None:
        # Raw names from the loader's table first: the same answer as the DWARF module's
        # (first definition wins in both), without reading the symbol table again.
        addr = self._raw.get(name)
        if addr is not None:
            return addr
        return self._infos.symbol(name)

    def __getitem__(self, name: str) -> int:
        addr = self.get_address(name) if isinstance(name, str) else None
        if addr is None:
            where = ", ".join(self._paths) or "the loaded images (none has symbols)"
            raise NotFound(f"symbol {name!r}: not found in {where}")
        return addr

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get_address(name) is not None

    def _everything(self) -> dict[str, int]:
        if self._all is None:
            from rvirt.debug.demangle import demangle
            out: dict[str, int] = {}
            for name, addr in self._raw.items():
                # what the DWARF module knows as names (not $x, .L labels, file names)
                if any(info.symbol(name) == addr for info in self._infos):
                    out.setdefault(name, addr)
                    out.setdefault(demangle(name), addr)
            for f in self._infos.functions():
                out.setdefault(f.name, f.low)
                out.setdefault(f.raw, f.low)
            self._all = out
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


class _Stops:
    """Stands in for the board's breakpoint set while run() has an `until`.  The
    interpreter asks `pc in breakpoints` before each instruction (after an interrupt or
    trap is taken), so both an address and a callable are checked exactly there.

    resume() asks once more at its start, to let an instruction at a breakpoint run
    (gdb's continue).  That first question is answered True only at the pc run() started
    from, before anything ran: run() always makes progress from there, and everything
    else, the pc after an interrupt taken at the start of a slice included, is checked.
    """

    def __init__(self, api: Machine, addresses: set[int],
                 predicate: Callable[[Machine], bool] | None) -> None:
        self.api = api
        self.addresses = addresses
        self.predicate = predicate
        self.start: tuple[int, int] | None = None  # (pc, instret) run() started from
        self.first_question = False
        self.memo: tuple[int, int, bool] | None = None  # one answer per position

    def __bool__(self) -> bool:
        return True

    def __contains__(self, pc: object) -> bool:
        h = self.api._live().hart
        if self.first_question:
            self.first_question = False
            return self.start == (pc, h.retired())
        if pc in self.addresses:
            return True
        if self.predicate is None or not isinstance(pc, int):
            return False
        n = h.retired()
        memo = self.memo
        if memo is not None and memo[0] == n and memo[1] == pc:
            return memo[2]
        h.pc = pc  # the interpreter keeps pc in a local during a batch
        hit = bool(self.predicate(self.api))
        self.memo = (n, pc, hit)
        return hit


# --- the machine ----------------------------------------------------------------------------

class Machine:
    """A virt machine with one rv32 hart, as `rvirt -machine virt -cpu rv32 -m MEMORY
    -bios BIOS [-kernel KERNEL] -icount shift=ICOUNT -accel ACCEL` makes it, stopped at
    the reset vector (0x1000) until run() is called.

    bios: an ELF (loaded by physical address) or raw image at 0x80000000, or "none";
      None with a kernel means "none", as on the command line.
    kernel: a second image; its address goes to the ROM's fw_dynamic_info.
    memory: RAM size, "128M" style (MiB without a suffix) or bytes as an int.
    accel: "native" (hot blocks compiled by LLVM), "tcg" (hot blocks translated to
      Python) or "interp"; None: the RVIRT_ACCEL environment variable, else "native".
    icount: each instruction is 2**icount ns of virtual time (0..10).
    gdb_port: start the gdb stub on 127.0.0.1:PORT (0: any free port, see gdb_port);
      run() serves it: when gdb connects it takes over until it detaches.
    rng_seed, rtc_epoch_ns: the device tree's rng-seed and the RTC's start, fixed by
      default so that runs repeat exactly; None for fresh random bytes and host time.
    """

    def __init__(self, bios: str | os.PathLike[str] | None = None,
                 kernel: str | os.PathLike[str] | None = None, memory: str | int = "128M",
                 accel: str | None = None, icount: int = 0, *, no_reboot: bool = False,
                 gdb_port: int | None = None, rng_seed: bytes | None = DEFAULT_RNG_SEED,
                 rtc_epoch_ns: int | None = DEFAULT_RTC_EPOCH_NS) -> None:
        from rvirt.board.virt import ACCELS, Board, BoardConfig
        self._board: Board | None = None
        self._target: MachineTarget | None = None  # the board as debuggers see it
        self._paths: list[str] = []  # the ELFs, for symbols and lines (also once closed)
        self._last_pc: int | None = None
        self._last_instret = 0
        self._last_priv = "M"
        self._server: GdbServer | None = None
        self._infos: DebugInfos | None = None
        self._symbols: Symbols | None = None
        self._running = False
        self.warnings: list[str] = []
        self.console = Console(self)
        bios_path = _path("bios", bios)
        kernel_path = _path("kernel", kernel)
        if bios_path is None:
            if kernel_path is None:
                # The command line boots the built-in firmware with nothing after it;
                # a Machine wants a program to run.
                raise ImageError("bios: no firmware or kernel given (pass bios=FILE, "
                                 "bios='default' with kernel=FILE, or kernel=FILE)")
            bios_path = "none"
        ram_size = _memory(memory)
        if accel is not None and accel not in ACCELS:
            raise ConfigError(f"accel {accel!r}: unknown accelerator (rvirt has "
                              f"{', '.join(ACCELS)})")
        if not isinstance(icount, int) or isinstance(icount, bool) or not 0 <= icount <= 10:
            raise ConfigError(f"icount {icount!r}: expected a shift from 0 to 10")
        if gdb_port is not None and (not isinstance(gdb_port, int) or isinstance(gdb_port, bool)
                                     or not 0 <= gdb_port <= 65535):
            raise ConfigError(f"gdb_port {gdb_port!r}: expected a TCP port from 0 to 65535")
        if rng_seed is not None and (not isinstance(rng_seed, bytes) or len(rng_seed) != 32):
            raise ConfigError("rng_seed: expected 32 bytes or None")
        if rtc_epoch_ns is not None and (not isinstance(rtc_epoch_ns, int)
                                         or rtc_epoch_ns < 0):
            raise ConfigError(f"rtc_epoch_ns {rtc_epoch_ns!r}: expected ns since the epoch "
                              f"(>= 0) or None")
        try:
            cfg = BoardConfig(ram_size=ram_size, bios=bios_path, kernel=kernel_path,
                                icount_shift=icount, no_reboot=no_reboot,
                                rng_seed=rng_seed, rtc_epoch_ns=rtc_epoch_ns)
            if accel is not None:
                cfg.accel = accel
        except RvirtError:  # RVIRT_ACCEL set to something unknown
            raise ConfigError(f"RVIRT_ACCEL {os.environ.get('RVIRT_ACCEL')}: unknown "
                              f"accelerator (rvirt has {', '.join(ACCELS)})") from None
        notices: list[str] = []
        self._notices: list[str] | None = notices  # held until the machine is made
        try:
            board = Board(cfg, console=self.console._write, notice=self._notice)
        except RvirtError as e:
            raise ImageError(_reworded(str(e))) from None
        self._notices = None
        for text in notices:
            warnings.warn(text, LoadWarning, stacklevel=2)
        target = MachineTarget(board)
        if gdb_port is not None:
            from rvirt.debug.gdbstub import GdbServer
            server = GdbServer(target, "127.0.0.1", gdb_port, label=f"gdb_port {gdb_port}")
            try:
                server.listen()
            except RvirtError as e:
                server.close()
                raise ConfigError(str(e)) from None
            self._server = server
        self._board = board
        self._target = target
        self._paths = [img.path for img in board.images if not img.raw]

    def _notice(self, message: str) -> None:
        """A line the command line would print: loading warnings, and notes the board
        gives later (a tier that is not available)."""
        text = _reworded(message.removeprefix("warning: "))
        self.warnings.append(text)
        if self._notices is not None:
            self._notices.append(text)  # warned about from __init__, at the caller's line
        else:
            warnings.warn(text, LoadWarning, stacklevel=2)

    # --- life -------------------------------------------------------------------------------
    def _live(self) -> Board:
        if self._board is None:
            raise MachineClosed("the machine is closed")
        return self._board

    def _live_target(self) -> MachineTarget:
        self._live()
        assert self._target is not None
        return self._target

    @property
    def board(self) -> Board:
        """The board itself (rvirt.board.virt.Board): internal, may change."""
        return self._live()

    @property
    def closed(self) -> bool:
        return self._board is None

    def exec_stats(self) -> dict[str, Any]:
        """What translation did in this run: blocks made and dropped, native compiles
        and their times in ms (empty once closed)."""
        return {} if self._board is None else self._board.exec_stats()

    def close(self) -> None:
        """Stop the gdb stub and let the RAM go.  Closing twice is harmless."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._board is not None:
            self._last_pc = self._board.hart.pc
            self._last_instret = self._board.hart.retired()
            self._last_priv = self.priv
            self._board.close()  # disk images flushed and unlocked
        self._board = None
        self._target = None

    def __enter__(self) -> Machine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def summary(self) -> str:
        """One line on where the hart is (or was when closed): pc, function and line,
        privilege, instructions retired.  What the pytest plugin shows on a failure."""
        if self._board is not None:
            pc, instret, priv = self.pc, self.instret, self.priv
        elif self._last_pc is not None:
            pc, instret, priv = self._last_pc, self._last_instret, self._last_priv
        else:
            return "the machine was never made"
        place = self.where(pc)
        at = f"pc {pc:#010x}" + ("" if place == f"{pc:#x}" else f" in {place}")
        return f"{at}, {priv}-mode, {instret} instructions retired" + (
            " (closed)" if self._board is None else "")

    def __repr__(self) -> str:
        if self._board is None:
            return "<rvirt.Machine closed>"
        b = self._board
        return (f"<rvirt.Machine bios={b.config.bios!r} pc={b.hart.pc:#010x} "
                f"instret={b.hart.retired()}>")

    @property
    def gdb_port(self) -> int | None:
        """The port the gdb stub listens on (the one chosen when 0 was asked), or None."""
        return None if self._server is None else self._server.port

    def wait_for_gdb(self, timeout: float | None = None) -> bool:
        """Block until gdb connects to the stub (False if `timeout` seconds pass first);
        the next run() then lets gdb drive the machine, as `-S` waits on the command
        line."""
        if self._server is None:
            raise ConfigError("wait_for_gdb: the machine has no gdb stub (give gdb_port)")
        self._live()
        return self._server.wait_for_client(timeout)

    # --- registers and memory ---------------------------------------------------------------
    @property
    def pc(self) -> int:
        return self._live().hart.pc

    @pc.setter
    def pc(self, value: int) -> None:
        self.set_reg("pc", value)

    @property
    def priv(self) -> Literal["U", "S", "M"]:
        """The hart's privilege mode."""
        return PRIVILEGES[self._live().hart.priv]  # type: ignore[return-value]

    @property
    def ram(self) -> range:
        """The RAM's physical addresses: range(0x80000000, 0x80000000 + memory)."""
        return range(MM.DRAM_BASE, MM.DRAM_BASE + self._live().config.ram_size)

    @property
    def instret(self) -> int:
        """Instructions retired since power-on (or the last system reset)."""
        return self._live().hart.retired()

    def reg(self, name: str) -> int:
        """A register by ABI name (`a0`, `sp`, `fp`), `x0`..`x31` or `pc`: unsigned."""
        value = self._live().read_register(_regnum(name))
        assert value is not None
        return value

    def set_reg(self, name: str, value: int) -> None:
        """Set a register (x0 stays zero); negative values are taken as 32-bit two's
        complement."""
        self._live_target().write_register(_regnum(name), _word(name, value))

    def _csrnum(self, name: str | int) -> int:
        if isinstance(name, int) and not isinstance(name, bool):
            if name in self._live().hart.csrs:
                return name
        elif isinstance(name, str):
            for num, csr_name in self._live().csr_names().items():
                if csr_name == name.lower():
                    return num
        raise NotFound(f"csr {name!r}: rvirt's rv32 hart has no such CSR")

    def csr(self, name: str | int) -> int:
        """A CSR by name (`mstatus`, `mcause`) or number, read as a debugger reads it (no
        side effects, no privilege check)."""
        value = self._live().read_register(CSR_REGNUM_BASE + self._csrnum(name))
        assert value is not None
        return value

    def set_csr(self, name: str | int, value: int) -> None:
        """Write a CSR as a debugger does (its WARL rules apply; read-only ones ignore it)."""
        num = self._csrnum(name)
        self._live_target().write_register(CSR_REGNUM_BASE + num, _word(str(name), value))

    def read(self, addr: int, n: int, *, physical: bool = False) -> bytes:
        """`n` bytes at `addr`, as the hart sees them now (through Sv32 when it is on),
        or at the physical address.  RAM and ROM only: device registers are not read,
        as a debugger does not read them."""
        b = self._live()
        _address("read", addr)
        if not isinstance(n, int) or isinstance(n, bool) or n < 0 or addr + n > 1 << 32:
            raise ConfigError(f"read: {n!r} bytes at {addr:#x} do not fit the 32-bit "
                              f"address space")
        data = b.bus.debug_read(addr, n) if physical else b.read_memory(addr, n)
        if data is None:
            raise AccessError(f"read of {n} bytes at {addr:#010x}: "
                              f"{_nothing_there(physical)}")
        return data

    def write(self, addr: int, data: bytes, *, physical: bool = False) -> None:
        """Write RAM (or ROM) at `addr`, through the MMU unless `physical`.  Code written
        over is fetched afresh (translations are dropped)."""
        b = self._live()
        _address("write", addr)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ConfigError(f"write: expected bytes, not {type(data).__name__}")
        data = bytes(data)
        if addr + len(data) > 1 << 32:
            raise ConfigError(f"write: {len(data)} bytes at {addr:#x} do not fit the 32-bit "
                              f"address space")
        if physical:
            b.drop_translations()
            ok = b.bus.debug_write(addr, data)
        else:
            ok = self._live_target().write_memory(addr, data)
        if not ok:
            raise AccessError(f"write of {len(data)} bytes at {addr:#010x}: "
                              f"{_nothing_there(physical)}")

    # --- what the ELFs say --------------------------------------------------------------------
    def _debug_infos(self) -> DebugInfos:
        """The board's own DebugInfo per ELF (the one the hints, logs and profile read),
        kept so that names and lines still answer once the machine is closed."""
        if self._infos is None:
            if self._board is not None:
                self._infos = debug_infos(self._board)
            else:
                self._infos = DebugInfos(self._paths)
        return self._infos

    @property
    def symbols(self) -> Symbols:
        """Symbol name -> address (see Symbols)."""
        if self._symbols is None:
            b = self._live()
            self._symbols = Symbols(self._debug_infos(), dict(b.symbols), self._paths)
        return self._symbols

    def line(self, addr: int) -> tuple[str, int] | None:
        """(file, line) of the code at `addr` as gdb names it (`src/main.rs`, 37), or None."""
        return self._debug_infos().line_at(addr)

    def function(self, addr: int) -> str | None:
        """The name of the function holding `addr` as gdb shows it (`p0::entry`), or None."""
        f = self._debug_infos().function_at(addr)
        return f.name if f is not None else None

    def where(self, addr: int | None = None) -> str:
        """`p0::entry at src/main.rs:37`, `_start+0x8`, or the address; default the pc."""
        if addr is None:
            addr = self.pc
        return self._debug_infos().where(addr)

    def _until(self, until: Until) -> tuple[set[int], Callable[[Machine], bool] | None]:
        if until is None:
            return set(), None
        if isinstance(until, bool):
            raise ConfigError("until: expected a symbol, 'file:line', an address or a "
                              "callable, not a bool")
        if isinstance(until, int):
            _address("until", until)
            return {until}, None
        if isinstance(until, str):
            m = re.fullmatch(r"(.*[^:]):(\d+)", until)
            if m is None:
                return {self.symbols[until]}, None
            found = set(self._debug_infos().addresses_of_line(m.group(1), int(m.group(2))))
            if not found:
                where = ", ".join(self._paths) or "the loaded images (none has line info)"
                raise NotFound(f"until {until!r}: no code for that line in {where}")
            return found, None
        if callable(until):
            return set(), until
        raise ConfigError(f"until: expected a symbol, 'file:line', an address or a callable, "
                          f"not {type(until).__name__}")

    # --- running ----------------------------------------------------------------------------
    def run(self, until: Until = None, max_instructions: int | None = None,
            timeout: float | None = None) -> RunResult:
        """Run from the current pc until `until` holds, the guest exits, max_instructions
        have run, or timeout seconds have passed, whichever comes first.

        until: a symbol (`"p0::entry"`, `"_start"`), `"file.rs:LINE"`, an address, or a
          callable taking this machine and returning True to stop, asked before every
          instruction (slower: the interpreter runs, one call per instruction).  Stops
          are exact, before the instruction there runs, like a gdb breakpoint; the
          instruction at the pc run() starts from always runs, so run() makes progress.
        max_instructions: counts instructions run, those that trap included (a trap
          loop ends too); RunResult.instructions counts those that retired.
        """
        b = self._live()
        if self._running:
            raise ConfigError("run: the machine is already running (run() from inside an "
                              "until callable)")
        stops, predicate = self._until(until)
        if max_instructions is not None and (not isinstance(max_instructions, int)
                                             or isinstance(max_instructions, bool)
                                             or max_instructions < 0):
            raise ConfigError(f"max_instructions {max_instructions!r}: expected a count "
                              f">= 0 or None")
        if timeout is not None and (not isinstance(timeout, int | float)
                                    or isinstance(timeout, bool) or timeout <= 0):
            raise ConfigError(f"timeout {timeout!r}: expected seconds > 0 or None")
        h = b.hart
        if b.exit_status is not None:
            return RunResult("exit", b.exit_status, 0, h.pc)
        deadline = None if timeout is None else time.monotonic() + timeout
        watcher = _Stops(self, stops, predicate) if stops or predicate else None
        slice_size = CHECKED_SLICE if predicate is not None else SLICE
        done = 0  # instructions run (trapping ones included), as resume() counts them
        retired = 0
        own_breakpoints = b.breakpoints
        self._running = True
        if watcher is not None:
            watcher.start = (h.pc, h.retired())
            b.breakpoints = watcher  # type: ignore[assignment]
        try:
            while True:
                if max_instructions is not None and done >= max_instructions:
                    return RunResult("limit", None, retired, h.pc)
                if deadline is not None and time.monotonic() >= deadline:
                    return RunResult("timeout", None, retired, h.pc)
                if self._server is not None:
                    before = h.instret
                    ended = self._serve_gdb(own_breakpoints, watcher, deadline)
                    retired += h.instret - before if h.instret >= before else h.instret
                    if ended is not None:
                        return RunResult("exit", ended, retired, h.pc)
                budget = slice_size if max_instructions is None else min(
                    slice_size, max_instructions - done)
                if watcher is not None:
                    watcher.first_question = True
                before = h.instret
                stop = self._live_target().resume(budget)
                if watcher is not None:
                    watcher.start = None  # only the very first instruction goes unchecked
                retired += h.instret - before if h.instret >= before else h.instret
                done += b.progress
                if stop is not None:
                    if stop.kind == "exited":
                        return RunResult("exit", stop.status, retired, h.pc)
                    return RunResult("until", None, retired, h.pc)
                if h.waiting and b.progress == 0:
                    return RunResult("idle", None, retired, h.pc)
        finally:
            b.breakpoints = own_breakpoints
            self._running = False

    def _serve_gdb(self, own: set[int], watcher: _Stops | None,
                   deadline: float | None) -> int | None:
        """Between slices: let gdb connect; while it is connected it drives the machine
        (QEMU stops the machine when gdb attaches), with run()'s stops taken out.  The
        exit status when the machine ended meanwhile (gdb's kill ends it with 0)."""
        server = self._server
        assert server is not None
        b = self._live()
        server.running = False
        server.service(0)
        if not server.connected:
            return None
        b.breakpoints = own
        try:
            while server.connected and server.result is None:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                server.service(0.05)
        finally:
            if watcher is not None:
                watcher.start = None  # from here on every instruction is checked
                b.breakpoints = watcher  # type: ignore[assignment]
        result = server.result
        if result is None:
            return None
        if b.exit_status is None:
            b.exit_status = result.status  # killed: ended, as QEMU exits
        return result.status

    # --- snapshots ----------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The whole machine now, console output included (see Snapshot)."""
        b = self._live()
        cfg = b.config
        return Snapshot(history.capture(b), self.console.output, cfg.bios, cfg.kernel,
                        cfg.ram_size, cfg.accel, cfg.icount_shift, cfg.rng_seed,
                        cfg.rtc_epoch_ns)

    def restore(self, snap: Snapshot) -> None:
        """Put the machine back in the state of `snap` (taken on this machine or on one
        made the same way), console output included."""
        b = self._live()
        if self._running:
            raise ConfigError("restore: not while the machine runs (from an until callable)")
        if not isinstance(snap, Snapshot):
            raise ConfigError(f"restore: expected a Snapshot, not {type(snap).__name__}")
        try:
            history.restore(b, snap.state, self._live_target().history)
        except history.StateMismatch as e:
            raise SnapshotError(f"restore: {e}") from None
        self.console._out[:] = snap.console

    @classmethod
    def from_snapshot(cls, snap: Snapshot, **overrides: Any) -> Machine:
        """A new machine made as the snapshot's was (same images, memory, accel, icount,
        unless overridden), in the snapshot's state."""
        if not isinstance(snap, Snapshot):
            raise ConfigError(f"from_snapshot: expected a Snapshot, not {type(snap).__name__}")
        params: dict[str, Any] = dict(bios=snap.bios, kernel=snap.kernel, memory=snap.memory,
                                      accel=snap.accel, icount=snap.icount,
                                      rng_seed=snap.rng_seed, rtc_epoch_ns=snap.rtc_epoch_ns)
        params.update(overrides)
        machine = cls(**params)
        try:
            machine.restore(snap)
        except Error:
            machine.close()
            raise
        return machine


Until = str | int | Callable[[Machine], bool] | None  # what run(until=...) takes


# --- argument checks ----------------------------------------------------------------------------

def _path(what: str, value: str | os.PathLike[str] | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise ConfigError(f"{what}: expected a path, not {type(value).__name__}")
    return os.fspath(value)


def _memory(memory: str | int) -> int:
    from rvirt.board.memmap import parse_size
    if isinstance(memory, bool) or not isinstance(memory, str | int):
        raise ConfigError(f"memory: expected a size like '128M' or bytes, not "
                          f"{type(memory).__name__}")
    if isinstance(memory, int):
        if memory <= 0:
            raise ConfigError(f"memory {memory}: RAM size must be larger than 0")
        size = (memory + 0xFFF) & ~0xFFF  # QEMU rounds RAM up to a page
    else:
        try:
            size = parse_size(memory)
        except RvirtError as e:
            raise ConfigError(_reworded(str(e))) from None
    if MM.DRAM_BASE + size > 1 << 32:
        raise ConfigError(f"memory {memory}: {size >> 20}M is too large for rv32 virt "
                          f"(at most 2048M)")
    return size


def _regnum(name: str) -> int:
    num = REGISTERS.get(name.lower()) if isinstance(name, str) else None
    if num is None:
        raise NotFound(f"register {name!r}: expected an ABI name (a0, sp, ...), x0..x31 "
                       f"or pc")
    return num


def _word(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            -(1 << 31) <= value <= MASK32):
        raise ConfigError(f"{name} = {value!r}: expected a 32-bit integer")
    return value & MASK32


def _address(what: str, addr: int) -> None:
    if isinstance(addr, bool) or not isinstance(addr, int) or not 0 <= addr <= MASK32:
        raise ConfigError(f"{what}: address {addr!r} is not a 32-bit address")


def _nothing_there(physical: bool) -> str:
    if physical:
        return "no RAM or ROM there (device registers are not read or written)"
    return ("not mapped, or no RAM or ROM there (device registers are not read or "
            "written)")
