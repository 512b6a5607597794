"""The `rvirt` command: a QEMU-compatible command line -> a configured Board -> run.

Accepts the flags the tutorial's `qemu-system-riscv32 -cpu rv32 -machine virt -m 150M -s
-nographic -bios <elf>` flow uses.  Every user error is one line on stderr and exit 1.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from rvirt import __version__
from rvirt.board.memmap import parse_size
from rvirt.errors import RvirtError

if TYPE_CHECKING:
    from rvirt.debug.machine_target import MachineTarget

USAGE = """\
usage: rvirt [options]   (a RISC-V virt machine; QEMU-compatible options)
       rvirt memmap KERNEL.elf [-m SIZE] [-o FILE.svg]   (the kernel on the memory map)

Machine:
  -machine virt | -M virt   the virt board (the only machine); QEMU's properties
                            are accepted where rvirt honours them (dumpdtb=FILE,
                            kernel=, firmware=, aclint=on|off, aia=none, ...) and
                            refused in one line where it cannot
  -cpu rv32                 the hart: RV32IMAC + Zicsr + Zifencei, M/S/U
  -m SIZE                   RAM size; MiB by default, or with a K/M/G/T suffix (default 128M)
  -smp N | -smp cpus=N      N harts (1..8), run in turns of a fixed number of
                            instructions in virtual time: the same interleaving and
                            output every run, on every tier (maxcpus, cores, threads
                            ... as QEMU; one socket)
  -smp-quantum N            instructions a hart runs before the next one's turn
                            (default 4096); another value gives another interleaving
  -smp-seed N               turns of 1 to 2*quantum instructions and the next hart drawn
                            from N: another interleaving, the same every run
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
Devices (virtio-mmio transports at 0x10001000..0x10008000, PLIC sources 1..8):
  -drive file=F,format=raw,if=none,id=ID[,readonly=on][,snapshot=on][,cache=MODE]
                            a raw disk image for a -device (locked as QEMU locks it;
                            snapshot=on keeps the guest's writes in memory)
  -drive file=F,format=raw,if=virtio
                            the image on a virtio-blk-device of its own
  -device virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N][,serial=S]
  -device virtio-rng-device[,bus=virtio-mmio-bus.N]
                            a device on transport N (default: the free one at the
                            highest address, as QEMU); rng bytes are seeded, repeatable
  -global virtio-mmio.force-legacy=on|off
                            legacy (version 1, the default) or modern (version 2)
                            transports
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
  -nographic                UART on this terminal; C-a x quits, C-a h helps, C-a c
                            switches to the monitor's (qemu) prompt and back
  -serial mon:stdio         the same console
  -serial stdio             the console without C-a keys; Ctrl-C stops rvirt
  -serial file:PATH         the UART's output to a file instead
  -chardev stdio,id=ID[,mux=on][,signal=on|off]
                            the console as a named device; mux=on: the C-a keys;
                            signal=on (default): Ctrl-C stops rvirt, off: to the guest
  -serial chardev:ID        the UART on that device
  -mon chardev=ID[,mode=readline]
                            the monitor on that device (needs mux=on), via C-a c
  -monitor stdio|none       the monitor on this terminal (C-a c), or no monitor
  -net none, -nic none      no network (rvirt has none; other values are refused)
  -display none             no display (rvirt never has one)
  -no-reboot                exit instead of resetting when the guest asks for a reset
Semihosting:
  -semihosting              serve the guest's RISC-V semihosting calls (console, files
                            in the working directory only, clock, exit status)
  -semihosting-config enable=on[,target=native|auto][,chardev=ID][,userspace=on][,arg=STR]
                            the same; chardev=ID: console calls print there (else on
                            stderr); userspace=on: from U-mode too
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
  -accel native,cache=off   compile everything again: no code cache (by default native
                            code is kept in $RVIRT_CACHE_DIR, else ~/.cache/rvirt, for
                            the next run of the same code)
  -accel native,cache-size=N[K|M|G]
                            the code cache's size bound (default 128M; the least
                            recently used entries go first)
Other:
  -h, -help, --help         this help
  -version, --version       print the version
"""


class Options:
    """What the command line asked for.  A plain class, not a dataclass: generating
    the methods of a dataclass this size cost every start-up milliseconds."""

    machine: str = "virt"
    cpu: str = "rv32"
    ram_size: int = 128 << 20
    harts: int = 1  # -smp
    aclint: bool = False  # -machine virt,aclint=on: ACLINT MSWI, MTIMER and SSWI
    quantum: int = 1 << 12  # -smp-quantum: a hart's turn, in instructions
    smp_seed: int | None = None  # -smp-seed
    bios: str | None = None
    kernel: str | None = None
    gdb: str | None = None
    wait_for_gdb: bool = False
    nographic: bool = False
    no_reboot: bool = False
    icount_shift: int = 0
    clock: str = "virtual"
    accel: str | None = None  # None: BoardConfig's default (RVIRT_ACCEL, else native)
    code_cache: bool = True  # -accel native,cache=off turns the code cache off
    code_cache_bound: int | None = None  # -accel native,cache-size=N
    log_items: frozenset[str] = frozenset()  # -d
    hints: bool = True  # -no-hints turns them off
    profile: str | None = None  # -profile FILE
    log_file: str | None = None  # -D
    debugger: bool = False  # -debugger: the built-in debugger instead of the gdb stub
    serial_file: str | None = None  # -serial file:PATH
    dumpdtb: str | None = None  # -machine dumpdtb=FILE: write the device tree and exit
    drives: dict[str, dict[str, str]]  # -drive if=none, by id
    virtio_drives: list[dict[str, str]]  # -drive if=virtio
    devices: list[tuple[str, dict[str, str]]]  # -device
    virtio_legacy: bool = True  # -global virtio-mmio.force-legacy
    append: str | None = None  # -append
    initrd: str | None = None  # -initrd
    dtb: str | None = None  # -dtb
    data_dirs: list[str]  # -L
    extra: list[str]
    # Console and monitor (-chardev, -serial, -mon, -monitor): see console_setup
    chardevs: dict[str, Chardev]
    serial: str | None = None  # -serial mon:stdio | stdio | chardev:ID (file: above)
    mon: str | None = None  # -mon chardev=ID: the chardev's id
    monitor: str | None = None  # -monitor none | stdio
    # -semihosting / -semihosting-config
    semihosting: bool = False
    semihosting_userspace: bool = False
    semihosting_chardev: str | None = None
    semihosting_args: list[str]

    def __init__(self, **values: object) -> None:
        # the containers are per instance; the rest are the class defaults above
        self.drives = {}
        self.virtio_drives = []
        self.devices = []
        self.data_dirs = []
        self.extra = []
        self.chardevs = {}
        self.semihosting_args = []
        for name, value in values.items():
            if not hasattr(self, name):
                raise TypeError(f"Options has no field {name!r}")
            setattr(self, name, value)


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
    o.aclint = _bool(name, text)


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


def _opts(flag: str, spec: str) -> tuple[str, dict[str, str]]:
    """QEMU's option syntax: `first,key=value,...`, a comma doubled to stand for itself.
    The first part is returned on its own when it has no `=`."""
    parts = [p.replace("\0", ",") for p in spec.replace(",,", "\0").split(",")]
    first = ""
    if parts and "=" not in parts[0]:
        first = parts.pop(0)
    props: dict[str, str] = {}
    for part in parts:
        if not part:
            continue
        name, eq, text = part.partition("=")
        if not eq:
            raise RvirtError(f"{flag} {spec}: Expected '=' after parameter '{name}'")
        props[name] = text
    return first, props


DRIVE_KEYS = ("file", "if", "format", "id", "readonly", "snapshot", "cache", "media")


def parse_drive(o: Options, spec: str) -> None:
    """-drive: raw images only, for -device virtio-blk-device (if=none) or a virtio-blk
    of their own (if=virtio)."""
    first, props = _opts("-drive", spec)
    if first:
        props.setdefault("file", first)
    for k in props:
        if k not in DRIVE_KEYS:
            raise RvirtError(f"-drive {spec}: rvirt does not support the option '{k}' "
                             f"(it has {', '.join(DRIVE_KEYS)})")
    for k in ("readonly", "snapshot"):
        if k in props:
            props[k] = "on" if _bool(k, props[k]) else "off"
    if "file" not in props:
        raise RvirtError(f"-drive {spec}: rvirt needs file=IMAGE (it has no empty drives)")
    if props.get("format") != "raw":
        raise RvirtError(f"-drive {spec}: give format=raw (rvirt reads raw images only, "
                         f"and does not guess formats)")
    if props.get("media", "disk") != "disk":
        raise RvirtError(f"-drive {spec}: rvirt has disks only (media=disk)")
    kind = props.get("if")
    props["spec"] = spec
    if kind == "none":
        drive_id = props.get("id")
        if not drive_id:
            raise RvirtError(f"-drive {spec}: if=none needs id=NAME for a -device to use")
        if drive_id in o.drives:
            raise RvirtError(f"-drive {spec}: Duplicate ID '{drive_id}' for drive")
        o.drives[drive_id] = props
    elif kind == "virtio":
        o.virtio_drives.append(props)
    elif kind is None:
        raise RvirtError(f"-drive {spec}: machine type does not support if=ide,bus=0,unit=0 "
                         f"(give if=none with a -device, or if=virtio)")
    else:
        raise RvirtError(f"-drive {spec}: rvirt supports if=none and if=virtio only")


DEVICE_PROPS = {"virtio-blk-device": ("drive", "bus", "serial"),
                "virtio-rng-device": ("bus",)}


def parse_device(o: Options, spec: str) -> None:
    driver, props = _opts("-device", spec)
    driver = props.pop("driver", driver)
    if driver not in DEVICE_PROPS:
        raise RvirtError(f"-device {spec}: '{driver}' is not a valid device model name "
                         f"(rvirt has {', '.join(DEVICE_PROPS)})")
    for k in props:
        if k not in DEVICE_PROPS[driver]:
            raise RvirtError(f"-device {spec}: rvirt's {driver} has no property '{k}' "
                             f"(it has {', '.join(DEVICE_PROPS[driver])})")
    bus = props.get("bus")
    if bus is not None and not re.fullmatch(r"virtio-mmio-bus\.\d+", bus):
        raise RvirtError(f"-device {spec}: Bus '{bus}' not found (the buses are "
                         f"virtio-mmio-bus.0 to virtio-mmio-bus.7)")
    props["spec"] = spec
    o.devices.append((driver, props))


def parse_global(o: Options, spec: str) -> None:
    """-global DRIVER.PROP=VALUE (or driver=,property=,value=): only virtio-mmio's
    force-legacy, the one rvirt honours."""
    if spec.startswith("driver="):
        _, props = _opts("-global", spec)
        driver, prop, text = props.get("driver", ""), props.get("property", ""), \
            props.get("value", "")
    else:
        target, eq, text = spec.partition("=")
        driver, _, prop = target.rpartition(".")
        if not eq or not driver:
            raise RvirtError(f"-global {spec}: expected DRIVER.PROPERTY=VALUE")
    if (driver, prop) != ("virtio-mmio", "force-legacy"):
        raise RvirtError(f"-global {spec}: rvirt honours only virtio-mmio.force-legacy")
    o.virtio_legacy = _bool("force-legacy", text)


def virtio_specs(o: Options):  # noqa: ANN201
    """The board's virtio devices: -device in order, then -drive if=virtio, as QEMU
    creates them."""
    from rvirt.board.virt import VirtioSpec
    specs = []
    used: set[str] = set()

    def image(d: dict[str, str], kind: str, bus: int | None, what: str,
              serial: str = "") -> VirtioSpec:
        return VirtioSpec(kind, bus, d["file"], d.get("readonly") == "on",
                          d.get("snapshot") == "on", d.get("cache", "writeback"), serial,
                          what)

    for driver, props in o.devices:
        what = f"-device {props['spec']}"
        bus = props.get("bus")
        n = int(bus.rsplit(".", 1)[1]) if bus is not None else None
        if driver == "virtio-blk-device":
            drive_id = props.get("drive")
            if drive_id is None:
                raise RvirtError(f"{what}: drive property not set")
            if drive_id not in o.drives:
                raise RvirtError(f"{what}: Property 'virtio-blk-device.drive' can't find "
                                 f"value '{drive_id}'")
            if drive_id in used:
                raise RvirtError(f"{what}: Property 'virtio-blk-device.drive' can't take "
                                 f"value '{drive_id}', it's in use")
            used.add(drive_id)
            specs.append(image(o.drives[drive_id], driver, n, what, props.get("serial", "")))
        else:
            specs.append(VirtioSpec(driver, n, what=what))
    for d in o.virtio_drives:
        specs.append(image(d, "virtio-blk-device", None, f"-drive {d['spec']}"))
    return tuple(specs)


def parse_smp(spec: str) -> int:
    """QEMU's `-smp [cpus=]N[,maxcpus=N][,sockets=S][,dies=D][,clusters=C][,cores=C]
    [,threads=T]`: the number of harts (QEMU's virt board puts them in one socket
    unless told otherwise; rvirt has one socket, and no hot-plug)."""
    parts = spec.split(",")
    fields: dict[str, str] = {}
    for k, part in enumerate(parts):
        name, eq, v = part.partition("=")
        if not eq and k == 0:
            name, v = "cpus", part
        if name not in ("cpus", "maxcpus", "sockets", "dies", "clusters", "cores",
                        "threads") or not v.isdigit():
            raise RvirtError(f"-smp {spec}: expected [cpus=]N with maxcpus, sockets, dies, "
                             f"clusters, cores or threads =N")
        fields[name] = v
    topo = [int(fields.get(n, "1")) for n in ("sockets", "dies", "clusters", "cores",
                                                "threads")]
    product = topo[0] * topo[1] * topo[2] * topo[3] * topo[4]
    cpus = int(fields["cpus"]) if "cpus" in fields else product
    if int(fields.get("sockets", "1")) != 1:
        raise RvirtError(f"-smp {spec}: rvirt's virt board has one socket")
    if any(n in fields for n in ("dies", "clusters", "cores", "threads")) and product != cpus:
        raise RvirtError(f"-smp {spec}: cpus={cpus} is not sockets*dies*clusters*cores*"
                         f"threads = {product}")
    if int(fields.get("maxcpus", cpus)) != cpus:
        raise RvirtError(f"-smp {spec}: rvirt has no CPU hot-plug (maxcpus must be cpus)")
    return cpus


_CACHE_SIZE_RE = re.compile(r"(\d+)([KMG]?)$", re.IGNORECASE)


def parse_accel(o: Options, v: str) -> None:
    """-accel NAME[,cache=on|off][,cache-size=N[K|M|G]] (native's code cache); QEMU's
    own options (tcg,thread=...) are ignored."""
    o.accel, *opts = v.split(",")
    if o.accel not in ("native", "tcg", "interp"):
        raise RvirtError(f"-accel {v}: unsupported accelerator (rvirt has native, "
                         f"LLVM-compiled blocks, tcg, Python blocks, and interp, "
                         f"the interpreter)")
    for opt in opts:
        name, _, text = opt.partition("=")
        if name == "cache":
            o.code_cache = _bool("cache", text)
        elif name == "cache-size":
            m = _CACHE_SIZE_RE.match(text)
            if not m or not int(m.group(1)):
                raise RvirtError(f"-accel {v}: cache-size={text}: expected a size such as "
                                 "64M")
            o.code_cache_bound = int(m.group(1)) << {"": 20, "k": 10, "m": 20,
                                                     "g": 30}[m.group(2).lower()]


# --- console, monitor, network and semihosting options (QEMU 7.2's qemu-options.hx) ---
class Chardev:
    """-chardev stdio,id=ID[,mux=on|off][,signal=on|off] (the only backend rvirt has)."""

    def __init__(self, id: str, mux: bool = False, signal: bool = True) -> None:
        self.id = id
        self.mux = mux
        self.signal = signal  # QEMU's stdio default: Ctrl-C stops the emulator


def _keyvals(flag: str, spec: str, implied: str, allowed: tuple[str, ...]
             ) -> list[tuple[str, str]]:
    """QEMU's option syntax: `[implied=]VALUE,KEY=VALUE,...`; an unknown key fails with
    QEMU's words ("Invalid parameter")."""
    out = []
    for n, part in enumerate(spec.split(",")):
        key, eq, val = part.partition("=")
        if not eq:
            if n == 0:
                key, val = implied, part
            elif part in allowed:  # QEMU's bare `KEY` means KEY=on
                val = "on"
            else:
                raise RvirtError(f"{flag} {spec}: Invalid parameter '{part}'")
        if key not in allowed:
            raise RvirtError(f"{flag} {spec}: Invalid parameter '{key}'")
        out.append((key, val))
    return out


def _flag_bool(flag: str, spec: str, name: str, text: str) -> bool:
    try:
        return _bool(name, text)
    except RvirtError as e:
        raise RvirtError(f"{flag} {spec}: {e}") from None


def parse_chardev(o: Options, spec: str) -> None:
    backend = spec.split(",", 1)[0]
    if backend != "stdio":
        raise RvirtError(f"-chardev {spec}: unsupported character device backend "
                         f"'{backend}' (rvirt has only stdio)")
    kv = dict(_keyvals("-chardev", spec, "backend",
                       ("backend", "id", "mux", "signal", "logfile", "logappend")))
    if "id" not in kv:
        raise RvirtError(f"-chardev {spec}: chardev: no id specified")
    if "logfile" in kv or "logappend" in kv:
        raise RvirtError(f"-chardev {spec}: rvirt cannot log a chardev to a file")
    if kv["id"] in o.chardevs:
        raise RvirtError(f"-chardev {spec}: attempt to add duplicate property 'id'")
    if o.chardevs:  # QEMU's own words: one terminal cannot feed two chardevs
        raise RvirtError(f"-chardev {spec}: cannot use stdio by multiple character devices")
    o.chardevs[kv["id"]] = Chardev(
        kv["id"], _flag_bool("-chardev", spec, "mux", kv.get("mux", "off")),
        _flag_bool("-chardev", spec, "signal", kv.get("signal", "on")))


def parse_serial(o: Options, v: str) -> None:
    if v.startswith("file:"):
        o.serial_file = v[5:]  # QEMU's -serial file:PATH: the UART's output there
    elif v in ("mon:stdio", "stdio") or v.startswith("chardev:"):
        o.serial = v
    else:
        raise RvirtError(f"-serial {v}: unsupported (use mon:stdio, stdio, chardev:ID "
                         f"or file:PATH)")


def parse_mon(o: Options, spec: str) -> None:
    kv = dict(_keyvals("-mon", spec, "chardev", ("chardev", "mode", "pretty")))
    mode = kv.get("mode", "readline")
    if mode == "control":
        raise RvirtError(f"-mon {spec}: rvirt has no QMP (mode=control); use mode=readline")
    if mode != "readline":
        raise RvirtError(f"-mon {spec}: Parameter 'mode' does not accept value '{mode}'")
    if "pretty" in kv:
        _flag_bool("-mon", spec, "pretty", kv["pretty"])
    o.mon = kv.get("chardev", "")


def parse_monitor(o: Options, v: str) -> None:
    if v not in ("none", "stdio"):
        raise RvirtError(f"-monitor {v}: unsupported (rvirt's monitor is on this terminal: "
                         f"use stdio or none)")
    o.monitor = v


def parse_net(o: Options, flag: str, v: str) -> None:
    """-net none / -nic none: no network, which rvirt's board has anyway."""
    if v.split(",", 1)[0] != "none":
        raise RvirtError(f"{flag} {v}: rvirt has no network devices (only {flag} none)")


def parse_semihosting_config(o: Options, spec: str) -> None:
    flag = "-semihosting-config"
    for key, val in _keyvals(flag, spec, "enable",
                             ("enable", "target", "chardev", "userspace", "arg")):
        if key == "enable":
            o.semihosting = _flag_bool(flag, spec, key, val)
        elif key == "userspace":
            o.semihosting_userspace = _flag_bool(flag, spec, key, val)
        elif key == "chardev":
            o.semihosting_chardev = val
        elif key == "arg":
            o.semihosting_args.append(val)
        elif val == "gdb":
            raise RvirtError(f"{flag} {spec}: rvirt's gdb stub cannot serve semihosting "
                             f"calls (use target=native or auto)")
        elif val not in ("native", "auto"):
            raise RvirtError(f"{flag} {spec}: unsupported semihosting-config {spec}")


class ConsoleSetup:
    """How the terminal is shared (console_setup)."""

    def __init__(self, mux: bool, signal: bool, monitor: bool) -> None:
        self.mux = mux  # C-a escapes interpreted
        self.signal = signal  # Ctrl-C stops the emulator
        self.monitor = monitor  # C-a c reaches the monitor


def console_setup(o: Options) -> ConsoleSetup:
    """How this terminal is shared, as QEMU 7.2's vl.c and chardev/char-mux.c decide it.
    rvirt's UART is always on this terminal (it has no display), so without -serial it
    is mon:stdio whether or not -nographic is given."""
    serial_id = o.serial[8:] if o.serial and o.serial.startswith("chardev:") else None
    if serial_id is not None and serial_id not in o.chardevs:
        raise RvirtError(f"-serial {o.serial}: could not connect serial device to character "
                         f"backend '{o.serial}'")
    if o.mon is not None and o.mon not in o.chardevs:
        raise RvirtError(f'-mon chardev={o.mon}: chardev "{o.mon}" not found')
    if o.semihosting_chardev is not None and o.semihosting_chardev not in o.chardevs:
        raise RvirtError(f"semihosting chardev '{o.semihosting_chardev}' not found")
    chardev = o.chardevs[serial_id] if serial_id is not None else None
    if o.chardevs and chardev is None and (o.mon is not None or o.semihosting_chardev):
        # the chardev on stdio, and the UART's console on it too
        raise RvirtError(f"-chardev stdio,id={next(iter(o.chardevs))}: cannot use stdio by "
                         f"multiple character devices (give -serial chardev:ID)")
    if o.monitor == "stdio" and (chardev is not None or o.serial == "stdio"):
        raise RvirtError("-monitor stdio: cannot use stdio by multiple character devices")
    if chardev is not None:
        users = 1 + (o.mon is not None) + (o.semihosting_chardev is not None)
        if users > 1 and not chardev.mux:
            raise RvirtError(f"Device '{chardev.id}' is in use (give the chardev mux=on)")
        return ConsoleSetup(chardev.mux, chardev.signal, chardev.mux and o.mon is not None)
    if o.serial == "stdio":
        return ConsoleSetup(False, True, False)
    # mon:stdio (given, or implied); -monitor none takes the monitor away only when no
    # mon: prefix asked for it
    monitor = o.serial == "mon:stdio" or o.monitor != "none"
    return ConsoleSetup(True, False, monitor)


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
            o.harts = parse_smp(value(a))
        elif flag == "-smp-quantum":
            v = value(a)
            if not v.isdigit() or int(v) < 1:
                raise RvirtError(f"-smp-quantum {v}: expected a number of instructions >= 1")
            o.quantum = int(v)
        elif flag == "-smp-seed":
            v = value(a)
            if not v.isdigit():
                raise RvirtError(f"-smp-seed {v}: expected a number >= 0")
            o.smp_seed = int(v)
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
            parse_serial(o, value(a))
        elif flag == "-chardev":
            parse_chardev(o, value(a))
        elif flag == "-mon":
            parse_mon(o, value(a))
        elif flag == "-monitor":
            parse_monitor(o, value(a))
        elif flag in ("-net", "-nic"):
            parse_net(o, flag, value(a))
        elif flag == "-semihosting":
            o.semihosting = True
        elif flag == "-semihosting-config":
            parse_semihosting_config(o, value(a))
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
        elif flag == "-drive":
            parse_drive(o, value(a))
        elif flag == "-device":
            parse_device(o, value(a))
        elif flag == "-global":
            parse_global(o, value(a))
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
                      virtio=virtio_specs(o), virtio_legacy=o.virtio_legacy,
                      harts=o.harts, quantum=o.quantum, smp_seed=o.smp_seed,
                      aclint=o.aclint, append=o.append, initrd=o.initrd, dtb=o.dtb,
                      data_dirs=tuple(o.data_dirs))
    if o.virtio_drives:
        # QEMU 7.2 puts an if=virtio drive on virtio-blk-pci (the virt board's PCIe
        # host), which rvirt does not have
        print("rvirt: -drive if=virtio: the disk is a virtio-blk-device on a virtio-mmio "
              "transport (QEMU puts it on PCI, which rvirt has not)", file=sys.stderr)
    if o.semihosting:
        cfg.semihosting = True
        cfg.semihosting_userspace = o.semihosting_userspace
        cfg.semihosting_console = o.semihosting_chardev is not None
        # QEMU 7.2: the arg= values, else the -kernel file name (semihosting_arg_fallback)
        cfg.semihosting_cmdline = " ".join(o.semihosting_args) or (o.kernel or "")
    if o.accel is not None:
        cfg.accel = o.accel
    if o.code_cache:
        # Native code kept between runs (rvirt.exec.codecache): RVIRT_CACHE_DIR, else
        # the user's cache directory.
        from rvirt.exec.codecache import default_dir
        cfg.code_cache = default_dir()
        cfg.code_cache_bound = o.code_cache_bound
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
    machine.close()
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
    setup = console_setup(o)
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
    # QEMU's os_setup_signal_handling takes SIGINT, SIGHUP and SIGTERM itself, whatever
    # the disposition it inherited: a shell's background job starts with SIGINT ignored,
    # and Ctrl-C on the terminal (signal=on) must still stop the emulator.
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, _on_signal)
    interactive = sys.stdin is not None and not sys.stdin.closed
    stopped = [o.wait_for_gdb]  # -S: the CPU waits for the monitor's `cont` (or gdb)
    monitor = _console_monitor(machine, server, stopped) if setup.monitor else None
    if machine.semihost is not None and interactive:
        machine.semihost.read_console = _read_stdin
    try:
        with (Console(to_guest, mux=setup.mux, signal=setup.signal, monitor=monitor)
              if interactive else _NoConsole()) as console:
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
            # -S with no gdb stub: the CPU stays stopped, as on QEMU, until the monitor's
            # `cont` (or C-a x)
            while stopped[0]:
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
    finally:
        _write_stats(machine)
        machine.close()  # disk images flushed and unlocked
        if server is not None:
            server.close()
        if log is not None:
            log.close()
        if machine.profile is not None and o.profile is not None:
            machine.profile.write(o.profile)


def _write_stats(machine) -> None:  # noqa: ANN001
    """RVIRT_STATS=<file>: append what translation did in this run as one JSON line
    (the bench's compile counts); nothing when unset."""
    path = os.environ.get("RVIRT_STATS")
    if not path:
        return
    import json  # only here: start-up pays for nothing it does not use

    try:
        with open(path, "a") as f:
            f.write(json.dumps(machine.exec_stats()) + "\n")
    except OSError as e:
        print(f"rvirt: RVIRT_STATS {path}: {e.strerror}", file=sys.stderr)


def _run_debugger(o: Options, machine, hints, log) -> int:  # noqa: ANN001
    from rvirt.debug.frontend import run_debugger
    from rvirt.debug.machine_target import MachineTarget
    if o.gdb is not None:
        print("rvirt: -debugger: the gdb stub is not started (the built-in debugger has "
              "the machine)", file=sys.stderr)
    try:
        return run_debugger(MachineTarget(machine), hints=hints)
    finally:
        machine.close()
        if log is not None:
            log.close()
        if machine.profile is not None and o.profile is not None:
            machine.profile.write(o.profile)


def _console_monitor(machine, server, stopped: list[bool]  # noqa: ANN001
                     ) -> Callable[[str], str]:
    """The monitor behind C-a c: rvirt's monitor commands (rvirt.debug.monitor, the ones
    gdb's `monitor` runs), `quit`, and `cont` (which starts a CPU held by -S)."""
    from rvirt.console import ConsoleQuit
    targets: list[MachineTarget] = []  # the debug facade, made at the first command that needs it

    def monitor(command: str) -> str:
        # The debug modules are imported at the first command, not at start-up: most
        # runs never open the monitor.
        from rvirt.debug.machine_target import MachineTarget
        from rvirt.debug.monitor import COMMANDS, help_text, run_monitor_command
        cmd = " ".join(command.split())
        if cmd in ("quit", "q"):
            raise ConsoleQuit
        if cmd in ("cont", "c"):
            stopped[0] = False
            return ""
        if not targets:
            targets.append(server.target if server is not None else MachineTarget(machine))
        target = targets[0]
        if cmd in ("help", "?", "h"):
            width = max(len(k) for k in COMMANDS) + 2
            return (help_text(target) + f"{'cont':<{width}}start the CPU held by -S\n"
                    f"{'quit':<{width}}quit the emulator\n")
        return run_monitor_command(target, cmd)
    return monitor


def _read_stdin(n: int) -> bytes:
    """Semihosting's console reads (SYS_READC, SYS_READ of ":tt"): wait for what is
    typed at the terminal.  C-a escapes are not looked at meanwhile."""
    import os
    try:
        return os.read(sys.stdin.fileno(), n)
    except (OSError, ValueError):
        return b""


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


def command() -> NoReturn:
    """The `rvirt` command (and `python -m rvirt`): main(), then the process ends at once.

    Python's own exit (collecting the machine's object graph, tearing down every module)
    took longer than a guest that exits at once runs.  Nothing is left to flush by then:
    run() closed the machine, its logs and files in its `finally`, the UART's file is
    flushed on every write and semihosting's files are unbuffered descriptors; a
    compile thread still at work is dropped, as its block would never run."""
    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say
            pass
    os._exit(status)
