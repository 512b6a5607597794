"""The `rvirt` command: a QEMU-compatible command line -> a configured Board -> run.

Accepts the flags the tutorial's `qemu-system-riscv32 -cpu rv32 -machine virt -m 150M -s
-nographic -bios <elf>` flow uses.  Every user error is one line on stderr and exit 1.
"""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from rvirt import __version__
from rvirt.board.memmap import parse_size
from rvirt.errors import RvirtError

USAGE = """\
usage: rvirt [options]   (a RISC-V virt machine; QEMU-compatible options)
       rvirt memmap KERNEL.elf [-m SIZE] [-o FILE.svg]   (the kernel on the memory map)

Machine:
  -machine virt | -M virt   the virt board (the only machine); QEMU's properties
                            are accepted where rvirt honours them (dumpdtb=FILE,
                            kernel=, firmware=, aclint=off, aia=none, ...) and
                            refused in one line where it cannot
  -cpu rv32                 the hart: RV32IMAC + Zicsr + Zifencei, M/S/U
  -m SIZE                   RAM size; MiB by default, or with a K/M/G/T suffix (default 128M)
  -smp 1                    one hart
Images:
  -bios FILE|none|default   firmware: an ELF loaded by physical address, or a raw image
                            at 0x80000000; execution starts at 0x80000000 after the ROM.
                            default (or no -bios): rvirt's built-in SBI firmware (SBI
                            v2.0, as OpenSBI), or QEMU's OpenSBI file when -L has it
  -kernel FILE              a kernel image: an ELF, or a raw Image at 0x80400000 after
                            the firmware (0x80000000 with -bios none); its address is
                            passed in fw_dynamic_info
  -append STR               the kernel's command line (/chosen/bootargs)
  -initrd FILE              an initial ramdisk, placed as QEMU places it (/chosen)
  -dtb FILE                 pass this device tree blob instead of the generated one
  -L DIR                    look for QEMU's firmware (opensbi-riscv32-generic-
                            fw_dynamic.bin) and -bios files in DIR
Debugging:
  -s                        gdb stub on 127.0.0.1:1234 (shorthand for -gdb tcp::1234)
  -S                        do not start the CPU: wait at 0x1000 for gdb to continue
  -gdb tcp::PORT            gdb stub on 127.0.0.1:PORT
  -gdb tcp:HOST:PORT        gdb stub on HOST:PORT (e.g. tcp:0.0.0.0:1234 for every interface)
  -debugger                 rvirt's own: stop at 0x1000 at an `(rvirt) ` prompt that takes
                            gdb's commands (break, step, next, finish, bt, p, x, info ...);
                            no gdb needed.  Commands are read from stdin when it is not a
                            terminal.  Replaces the gdb stub (-s is then ignored)
Console and display:
  -nographic                UART on this terminal; C-a x quits, C-a h helps
  -serial mon:stdio         the same console
  -serial file:PATH         the UART's output to a file instead
  -display none             no display (rvirt never has one)
  -no-reboot                exit instead of resetting when the guest asks for a reset
Timing:
  -icount shift=N           each instruction is 2^N ns of virtual time (default 0)
  -clock virtual|host       virtual (default): time follows instructions, runs repeat
                            exactly; host: mtime follows the host clock, as QEMU
                            without -icount
Logging (QEMU 7.2's formats):
  -d ITEM[,ITEM...]         log in_asm, exec, cpu, int, guest_errors, unimp on stderr
                            (-d help lists them); in_asm names the function and line
  -D FILE                   write the -d log to FILE instead
Diagnostics (rvirt's own):
  -no-hints                 no `rvirt: hint:` lines about classic mistakes (a kernel
                            linked outside RAM, no trap handler, no stack, a store to
                            the boot ROM, an access where no device is)
  -profile FILE             when the run ends, write where the instructions went, by
                            call stack: FILE.folded (flamegraph.pl, speedscope),
                            FILE.svg (a flame graph) or FILE.txt (top functions)
Execution:
  -accel native             compile hot code to machine code with LLVM (the default;
                            needs llvmlite, else it runs as tcg; the interpreter still
                            steps and runs under breakpoints/watchpoints)
  -accel tcg                run hot code translated to Python blocks
  -accel interp             the reference interpreter only (default when RVIRT_ACCEL=interp)
Other:
  -h, -help, --help         this help
  -version, --version       print the version
"""


@dataclass
class Options:
    machine: str = "virt"
    cpu: str = "rv32"
    ram_size: int = 128 << 20
    bios: str | None = None
    kernel: str | None = None
    gdb: str | None = None
    wait_for_gdb: bool = False
    nographic: bool = False
    no_reboot: bool = False
    icount_shift: int = 0
    clock: str = "virtual"
    accel: str | None = None  # None: BoardConfig's default (RVIRT_ACCEL, else native)
    log_items: frozenset[str] = frozenset()  # -d
    hints: bool = True  # -no-hints turns them off
    profile: str | None = None  # -profile FILE
    log_file: str | None = None  # -D
    debugger: bool = False  # -debugger: the built-in debugger instead of the gdb stub
    serial_file: str | None = None  # -serial file:PATH
    dumpdtb: str | None = None  # -machine dumpdtb=FILE: write the device tree and exit
    append: str | None = None  # -append
    initrd: str | None = None  # -initrd
    dtb: str | None = None  # -dtb
    data_dirs: list[str] = field(default_factory=list)  # -L
    extra: list[str] = field(default_factory=list)


_TRUE = ("on", "yes", "true", "y")  # QEMU's qapi_bool_parse
_FALSE = ("off", "no", "false", "n")


def _bool(name: str, text: str) -> bool:
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise RvirtError(f"Parameter '{name}' expects 'on' or 'off'")


def _not_yet(what: str) -> Callable[[Options, str, str], None]:
    def refuse(o: Options, name: str, text: str) -> None:
        raise RvirtError(f"-machine virt,{name}={text}: {what}")
    return refuse


def _no_effect(o: Options, name: str, text: str) -> None:
    """A property that changes nothing QEMU's virt board shows a guest either (no core
    dumps, no memory merging, no migration, no display or USB controller on the board):
    honoured by checking it is a boolean."""
    _bool(name, text)


def _aclint(o: Options, name: str, text: str) -> None:
    if _bool(name, text):
        raise RvirtError("-machine virt,aclint=on: rvirt does not model the ACLINT layout "
                         "yet (it has the SiFive CLINT of aclint=off)")


def _aia(o: Options, name: str, text: str) -> None:
    if text in ("aplic", "aplic-imsic"):
        raise RvirtError(f"-machine virt,aia={text}: rvirt has no AIA interrupt controllers "
                         f"(it has the PLIC of aia=none)")
    if text != "none":
        raise RvirtError("Invalid AIA interrupt controller type: valid values are none, "
                         "aplic, and aplic-imsic")


def _aia_guests(o: Options, name: str, text: str) -> None:
    # Guest pages matter only to an IMSIC (aia=aplic-imsic), which rvirt refuses.
    if not text.isdigit() or int(text) > 7:
        raise RvirtError(f"Invalid number of AIA IMSIC guests: {text} (0 to 7)")


def _set(attr: str) -> Callable[[Options, str, str], None]:
    def set_option(o: Options, name: str, text: str) -> None:
        setattr(o, attr, text)
    return set_option


def _accel(o: Options, name: str, text: str) -> None:
    parse_accel(o, text)


# The properties of QEMU 7.2's virt machine (`-M virt,help`), each honoured or refused in
# one line.  -machine kernel=/firmware= are -kernel/-bios, as in QEMU.
MACHINE_PROPERTIES: dict[str, Callable[[Options, str, str], None]] = {
    "aclint": _aclint,
    "aia": _aia,
    "aia-guests": _aia_guests,
    "append": _set("append"),
    "boot": _not_yet("rvirt's virt board has no boot devices to order"),
    "confidential-guest-support": _not_yet("rvirt has no confidential guest support"),
    "dt-compatible": _not_yet("rvirt cannot change the device tree's compatible yet"),
    "dtb": _set("dtb"),
    "dump-guest-core": _no_effect,
    "dumpdtb": _set("dumpdtb"),
    "firmware": _set("bios"),
    "graphics": _no_effect,
    "initrd": _set("initrd"),
    "kernel": _set("kernel"),
    "mem-merge": _no_effect,
    "memory-backend": _not_yet("rvirt has no memory backends"),
    "memory-encryption": _not_yet("rvirt has no memory encryption"),
    "memory": _not_yet("use -m SIZE"),
    "phandle-start": _not_yet("rvirt numbers device tree phandles as QEMU does by default"),
    "smp": _not_yet("use -smp"),
    "suppress-vmdesc": _no_effect,
    "usb": _no_effect,
    "accel": _accel,  # the legacy -machine accel=
}


def parse_machine(o: Options, spec: str) -> None:
    """-machine [type=]virt[,PROP=VALUE...]: the machine and its properties, as QEMU 7.2
    parses them; an unknown property fails with QEMU's own words."""
    parts = spec.split(",")
    kind = parts[0][5:] if parts[0].startswith("type=") else parts[0]
    if kind != "virt":
        raise RvirtError(f"-machine {kind}: unsupported machine type (rvirt has only 'virt')")
    o.machine = kind
    props: dict[str, str] = {}  # a property given twice: the last one counts, as in QEMU
    for part in parts[1:]:
        if not part:
            continue
        name, eq, text = part.partition("=")
        if not eq:
            raise RvirtError(f"-machine {spec}: Expected '=' after parameter '{name}'")
        if name not in MACHINE_PROPERTIES:
            raise RvirtError(f"Property 'virt-machine.{name}' not found")
        props.pop(name, None)
        props[name] = text
    for name, text in props.items():
        MACHINE_PROPERTIES[name](o, name, text)


def parse_accel(o: Options, v: str) -> None:
    o.accel = v.split(",", 1)[0]  # QEMU takes tcg,thread=...: options ignored
    if o.accel not in ("native", "tcg", "interp"):
        raise RvirtError(f"-accel {v}: unsupported accelerator (rvirt has native, "
                         f"LLVM-compiled blocks, tcg, Python blocks, and interp, "
                         f"the interpreter)")


def parse_args(argv: list[str]) -> Options:
    o = Options()
    i = 0

    def value(flag: str) -> str:
        nonlocal i
        if i + 1 >= len(argv):
            raise RvirtError(f"{flag}: requires an argument")
        i += 1
        return argv[i]

    while i < len(argv):
        a = argv[i]
        flag = a[1:] if a.startswith("--") else a  # QEMU accepts -opt and --opt
        if flag in ("-h", "-help"):
            print(USAGE, end="")
            raise SystemExit(0)
        elif flag == "-version":
            print(f"rvirt {__version__} (RISC-V virt machine, QEMU 7.2 compatible)")
            raise SystemExit(0)
        elif flag in ("-machine", "-M"):
            parse_machine(o, value(a))
        elif flag == "-cpu":
            o.cpu = value(a).split(",", 1)[0]
            if o.cpu not in ("rv32", "any", "max"):
                raise RvirtError(f"-cpu {o.cpu}: unsupported CPU (rvirt has 'rv32')")
        elif flag == "-m":
            o.ram_size = parse_size(value(a))
        elif flag == "-smp":
            v = value(a)
            if v.split(",", 1)[0] not in ("1", "cpus=1"):
                raise RvirtError(f"-smp {v}: rvirt has a single hart (-smp 1)")
        elif flag == "-bios":
            o.bios = value(a)
        elif flag == "-kernel":
            o.kernel = value(a)
        elif flag == "-append":
            o.append = value(a)
        elif flag == "-initrd":
            o.initrd = value(a)
        elif flag == "-dtb":
            o.dtb = value(a)
        elif flag == "-L":
            o.data_dirs.append(value(a))
        elif flag == "-s":
            o.gdb = "tcp::1234"
        elif flag == "-S":
            o.wait_for_gdb = True
        elif flag == "-gdb":
            o.gdb = value(a)
        elif flag == "-nographic":
            o.nographic = True
        elif flag == "-serial":
            v = value(a)
            if v.startswith("file:"):
                o.serial_file = v[5:]  # QEMU's -serial file:PATH: the UART's output there
            elif v not in ("mon:stdio", "stdio"):
                raise RvirtError(f"-serial {v}: unsupported (use mon:stdio or file:PATH)")
        elif flag == "-display":
            v = value(a)
            if v.split(",", 1)[0] != "none":
                raise RvirtError(f"-display {v}: unsupported (rvirt has no display: use none)")
        elif flag == "-no-reboot":
            o.no_reboot = True
        elif flag == "-clock":
            o.clock = value(a)
            if o.clock not in ("virtual", "host"):
                raise RvirtError(f"-clock {o.clock}: expected virtual or host")
        elif flag == "-icount":
            v = value(a)
            m = re.match(r"^(?:shift=)?(\d+)(?:,.*)?$", v)
            if not m or int(m.group(1)) > 10:
                raise RvirtError(f"-icount {v}: expected shift=N with N from 0 to 10")
            o.icount_shift = int(m.group(1))
        elif flag == "-d":
            from rvirt.diag import log
            v = value(a)
            if v == "help":
                print(log.help_text(), end="")
                raise SystemExit(0)
            o.log_items = log.parse_items(v)
        elif flag == "-D":
            o.log_file = value(a)
        elif flag == "-debugger":
            o.debugger = True
        elif flag == "-no-hints":
            o.hints = False
        elif flag == "-profile":
            from rvirt.diag.profile import check_path
            o.profile = value(a)
            check_path(o.profile)
        elif flag == "-accel":
            parse_accel(o, value(a))
        else:
            what = "unknown option" if a.startswith("-") else "unexpected argument"
            raise RvirtError(f"{what} '{a}' (see rvirt --help)")
        i += 1
    return o


def gdb_address(spec: str) -> tuple[str, int]:
    """`-gdb` device -> (host, port).  With no host (tcp::PORT, and -s) rvirt listens on
    127.0.0.1 only; QEMU listens on every interface, which lets anyone on the network
    read and write the guest.  An explicit host is honoured."""
    main = spec.split(",", 1)[0]
    m = re.match(r"^tcp:([^:]*):(\d+)$", main)
    if not m or int(m.group(2)) > 65535:
        raise RvirtError(f"-gdb {spec}: unsupported gdb device (use tcp::PORT or "
                         f"tcp:HOST:PORT)")
    return (m.group(1) or "127.0.0.1"), int(m.group(2))


def build_machine(o: Options, console_out: Callable[[bytes], None] | None = None):  # noqa: ANN201
    from rvirt.board.virt import Board, BoardConfig
    # No -bios is -bios default, as QEMU: the firmware, then -kernel in S-mode
    cfg = BoardConfig(ram_size=o.ram_size, bios=o.bios, kernel=o.kernel,
                        icount_shift=o.icount_shift, no_reboot=o.no_reboot, clock=o.clock,
                        append=o.append, initrd=o.initrd, dtb=o.dtb,
                        data_dirs=tuple(o.data_dirs))
    if o.accel is not None:
        cfg.accel = o.accel
    return Board(cfg, console=console_out)


class _Terminated(Exception):  # noqa: N818
    def __init__(self, signum: int) -> None:
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    raise _Terminated(signum)


def _serial_file(o: Options) -> Callable[[bytes], None] | None:
    if o.serial_file is None:
        return None
    try:
        out = open(o.serial_file, "wb")  # noqa: SIM115 - open while the machine runs
    except OSError as e:
        raise RvirtError(f"-serial file:{o.serial_file}: {e.strerror}") from None

    def write(data: bytes) -> None:
        out.write(data)
        out.flush()
    return write


def _open_log(o: Options):  # noqa: ANN202
    """The -d log, writing to the -D file (created, as QEMU does, even when empty)."""
    from rvirt.diag.log import QemuLog
    out = None
    if o.log_file is not None:
        try:
            out = open(o.log_file, "w")  # noqa: SIM115 - closed when the run ends
        except OSError as e:
            raise RvirtError(f"-D {o.log_file}: {e.strerror}") from None
    return QemuLog(o.log_items, out)


def _dump_dtb(o: Options) -> int:
    """-machine dumpdtb=FILE: the device tree the guest would get, then exit (QEMU 7.2
    says so on stderr and exits 0)."""
    machine = build_machine(o)
    try:
        with open(o.dumpdtb, "wb") as f:  # type: ignore[arg-type]
            f.write(machine.dtb)
    except OSError as e:
        raise RvirtError(f"-machine dumpdtb={o.dumpdtb}: {e.strerror}") from None
    print(f"rvirt: info: dtb dumped to {o.dumpdtb}. Exiting.", file=sys.stderr)
    return 0


def run(o: Options) -> int:
    from rvirt.console import Console, ConsoleQuit
    if o.dumpdtb is not None:
        return _dump_dtb(o)
    log = _open_log(o) if o.log_items or o.log_file else None
    machine = build_machine(o, _serial_file(o))
    if log is not None:
        log.attach(machine)
    hints = None
    if o.hints:
        from rvirt.diag.hints import Hints
        hints = Hints(machine)
        hints.attach()
    if o.profile is not None:
        from rvirt.diag.profile import Profile
        Profile(machine).attach()
    if o.debugger:
        return _run_debugger(o, machine, hints, log)
    server = None
    to_guest = machine.console_input
    if o.gdb is not None:
        from rvirt.debug.gdbstub import GdbServer
        from rvirt.debug.machine_target import MachineTarget
        host, port = gdb_address(o.gdb)
        label = "-s" if o.gdb == "tcp::1234" else f"-gdb {o.gdb}"
        target = MachineTarget(machine)
        server = GdbServer(target, host, port, label=label)
        server.listen()
        # Recorded from reset, so gdb can go back to the start even when it attaches late
        target.enable_history()
        to_guest = target.console_input  # logged, so a replay hands it over again
    signal.signal(signal.SIGTERM, _on_signal)
    interactive = sys.stdin is not None and not sys.stdin.closed
    try:
        with Console(to_guest) if interactive else _NoConsole() as console:
            if interactive and o.serial_file is None:
                # Idle waits meet the console's input (Board.set_input_wait): in real
                # time on a terminal, as QEMU's -icount sleep=on; input already piped in
                # at once; with none, the deterministic skip.
                machine.set_input_wait(console.poll, console.is_terminal)
            if server is not None:
                server.poll_hook = console.poll
                result = server.serve(running=not o.wait_for_gdb)
                if getattr(result, "reason", "") == "killed" or machine.killed:
                    print("rvirt: terminated via gdb stub", file=sys.stderr)
                return result.status
            if o.wait_for_gdb:
                # -S with no gdb stub: the CPU stays stopped, as on QEMU, until C-a x
                while True:
                    console.poll(0.1)
            while True:
                stop = machine.resume(1 << 16)
                if stop is not None and stop.kind == "exited":
                    return stop.status
                console.poll(0.02 if machine.idle else 0)
    except ConsoleQuit:
        return 0
    except _Terminated as t:
        print(f"rvirt: terminating on signal {t.signum}", file=sys.stderr)
        return 0
    except KeyboardInterrupt:
        print("rvirt: terminating on signal 2", file=sys.stderr)
        return 0
    finally:
        if server is not None:
            server.close()
        if log is not None:
            log.close()
        if machine.profile is not None and o.profile is not None:
            machine.profile.write(o.profile)


def _run_debugger(o: Options, machine, hints, log) -> int:  # noqa: ANN001
    from rvirt.debug.frontend import run_debugger
    from rvirt.debug.machine_target import MachineTarget
    if o.gdb is not None:
        print("rvirt: -debugger: the gdb stub is not started (the built-in debugger has "
              "the machine)", file=sys.stderr)
    try:
        return run_debugger(MachineTarget(machine), hints=hints)
    finally:
        if log is not None:
            log.close()
        if machine.profile is not None and o.profile is not None:
            machine.profile.write(o.profile)


class _NoConsole:
    def __enter__(self) -> _NoConsole:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def poll(self, timeout: float = 0.0) -> None:
        if timeout:
            import time
            time.sleep(timeout)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["memmap"]:  # a subcommand: reads an ELF, starts no machine
        from rvirt.tools.memmap import main as memmap
        return memmap(args[1:])
    try:
        o = parse_args(args)
        return run(o)
    except RvirtError as e:
        print(f"rvirt: {e}", file=sys.stderr)
        return e.status
    except BrokenPipeError:
        return 1
