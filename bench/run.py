"""rvirt against QEMU 7.2 on the same guest programs (bench/workloads/*.S), and the
start-up time of both to the first guest instruction.  Run by `make bench`; never part of
`make test`.

Every workload counts its own instructions: it reads minstret before and after its work
and prints `instret=<hex> checksum=<hex>` on the UART (bench/workloads/harness.h).
intmix_sv32 and intmix_bare run intmix's loop in S-mode with Sv32 paging on and off
(bench/workloads/smode.h) and count it there with the instret counter, so their rows
give rvirt's speed with and without address translation side by side.

* rvirt is timed in this process around `Board.run()` on a fresh machine, --runs times
  (median) per execution tier (`-accel interp`, the reference interpreter; `-accel tcg`,
  Python blocks; `-accel native`, LLVM-compiled blocks), so Python's start-up and the
  machine's construction are not in its MIPS (translation and compiling are: each run
  starts cold).  The native tier runs each workload with NATIVE_SCALE times its ITERS
  (Workload.native_scale), so that its time is not all compile time, after a run with
  the other tiers' ITERS whose report must be theirs; the same program
  is also run as `python -m rvirt ...` (default tier) and that process's wall time is
  reported beside it.
* examples/p0 (the tutorial kernel, which counts forever) runs a fixed number of
  instructions on each tier; it has no QEMU column.
* QEMU runs the same source assembled with a larger ITERS, chosen here so that the run
  takes about --qemu-seconds.  QEMU's instruction count for it comes from the guest too,
  from a separate run with `-icount shift=0,sleep=off` (without -icount, QEMU 7.2's minstret
  counts host clock ticks).  The timed runs use the plain command line users type; QEMU's MIPS is
  that count over (median wall time - QEMU's median start-up time), the start-up being
  measured with bench/workloads/exit.S.
* rvirt's modules are byte-compiled first, as installing a package does, so start-up
  loads bytecode rather than compiling every source file (which an editable install
  with PYTHONDONTWRITEBYTECODE set would do on every start).
* A short QEMU `-icount shift=0,sleep=off` run with rvirt's ITERS must print exactly rvirt's count
  and checksum; a mismatch is reported and makes the bench exit 1.
"""

from __future__ import annotations

import argparse
import atexit
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ROOT / "bench" / "workloads"
CROSS = "riscv64-unknown-elf-"
MARCH = "rv32imac_zicsr_zifencei"
RAM = "150M"
MACHINE_ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", RAM, "-nographic")
RVIRT = (sys.executable, "-m", "rvirt")
MAX_ITERS = (1 << 31) - 1  # `li a0, ITERS`: a signed 32-bit constant
# QEMU's counting runs.  sleep=off: with the default sleep=on the virtual clock has
# already run for a host-timed, random ~0.1 ms when the first instruction executes, so
# where mtime ticks fall in the instruction stream (and so which timer interrupts a run
# takes) changes from run to run; sleep=off starts it at 0 every time.
ICOUNT = "shift=0,sleep=off"

# Linked like tests/tooling.py's programs: everything from 0x80000000, where the ROM jumps.
LINKER_SCRIPT = """\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.init) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.* .sdata .sdata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.*) }
}
"""


class BenchError(Exception):
    """A missing tool or a run that did not behave; reported as one line."""


@dataclass(frozen=True)
class Workload:
    name: str
    rvirt_iters: int  # about 4-5 million instructions on rvirt
    what: str
    # False when the count depends on where timer interrupts land: then only the
    # checksum must match QEMU -icount (see the note printed under the table).
    exact_count: bool = True
    native_scale: int = 0  # ITERS multiplier of the native tier's timed runs (0: NATIVE_SCALE)


WORKLOAD_LIST = (
    Workload("intmix", 160_000, "calls, loads/stores, mul/mulhu/remu, shifts, branches"),
    Workload("intmix_bare", 160_000, "intmix's loop in S-mode, satp = 0 (paging off; "
             "the twin of intmix_sv32)"),
    Workload("intmix_sv32", 160_000, "intmix's loop in S-mode under Sv32 paging (identity "
             "4 MiB megapages over RAM)"),
    Workload("memcpy", 1_800, "1 KiB word copy (unrolled x4) + rotate-add checksum"),
    Workload("traps", 200_000, "an ecall every 8 instructions, a timer interrupt every "
             "20 ticks", exact_count=False, native_scale=2),
    Workload("syscalls", 40_000, "a U-mode program under Sv32 making 2 system calls an "
             "iteration to an S-mode kernel (ecall, table dispatch, sret)", native_scale=2),
)
TIERS = ("interp", "tcg", "native")
NATIVE_SCALE = 50
BILLION = 1_000_000_000  # instructions of the peak-memory run (p0 on the native tier)
P0_ELF = ROOT / "examples" / "p0" / "target" / "riscv32imac-unknown-none-elf" / "debug" / "p0"
P0_INSTRUCTIONS = 4_000_000


@dataclass
class Report:
    instret: int
    checksum: int


@dataclass
class Row:
    workload: Workload
    instructions: int
    rvirt_seconds: float  # the translator (tcg)
    rvirt_total: int
    rvirt_process_seconds: float | None
    interp_seconds: float = 0.0
    interp_total: int = 0
    qemu_iters: int | None = None
    qemu_instructions: int | None = None
    qemu_wall: float | None = None
    qemu_net: float | None = None
    agrees: bool | None = None
    native_seconds: float = 0.0
    native_total: int = 0
    native_instructions: int = 0

    @property
    def native_mips(self) -> float | None:
        return self.native_total / self.native_seconds / 1e6 if self.native_seconds else None

    @property
    def rvirt_mips(self) -> float:
        return self.rvirt_total / self.rvirt_seconds / 1e6

    @property
    def interp_mips(self) -> float:
        return self.interp_total / self.interp_seconds / 1e6

    @property
    def qemu_mips(self) -> float | None:
        if self.qemu_instructions is None or not self.qemu_net:
            return None
        return self.qemu_instructions / self.qemu_net / 1e6


def versus() -> str:
    """The heading of a bench's tables: what ran against what."""
    return (f"rvirt {' '.join(MACHINE_ARGS)} (Python {sys.version.split()[0]}) vs "
            f"qemu-system-riscv32 {' '.join(MACHINE_ARGS)}")


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BenchError(f"{name} is not installed (make test installs it)")
    return path


# C workloads (bench/workloads/*.c): freestanding, no library; loops stay loops rather
# than calls of a memset or memcpy that nothing provides.
C_FLAGS = ("-O2", "-Wall", "-ffreestanding", "-fno-builtin",
           "-fno-tree-loop-distribute-patterns", "-mcmodel=medany")


class Builder:
    """Assembles (or compiles) workloads into a temporary directory, one ELF per
    (source, ITERS).  A workload is bench/workloads/NAME.S, or NAME.c when there is no .S."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.gcc = tool(CROSS + "gcc")
        self.ld = tool(CROSS + "ld")
        self.lds = out / "bench.ld"
        self.lds.write_text(LINKER_SCRIPT)

    def build(self, name: str, iters: int | None = None) -> Path:
        stem = name if iters is None else f"{name}-{iters}"
        obj = self.out / f"{stem}.o"
        elf = self.out / f"{stem}.elf"
        defines = [] if iters is None else [f"-DITERS={iters}"]
        src = WORKLOADS / f"{name}.S"
        flags: tuple[str, ...] = ()
        if not src.is_file():
            src, flags = WORKLOADS / f"{name}.c", C_FLAGS
        run_tool([self.gcc, f"-march={MARCH}", "-mabi=ilp32", "-c", "-nostdlib", *flags,
                  "-I", str(WORKLOADS), *defines, "-o", str(obj), str(src)])
        run_tool([self.ld, "-m", "elf32lriscv", "--no-warn-rwx-segments", "-T",
                  str(self.lds), "-o", str(elf), str(obj)])
        return elf


def run_tool(cmd: Sequence[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        first = (r.stderr.strip().splitlines() or ["(no output)"])[0]
        raise BenchError(f"{Path(cmd[0]).name} failed: {first}")


def parse_report(text: str, who: str) -> Report:
    for line in text.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "instret" in fields and "checksum" in fields:
            return Report(int(fields["instret"], 16), int(fields["checksum"], 16))
    raise BenchError(f"{who}: no 'instret=... checksum=...' line in its output {text!r}")


_CACHES: str | None = None


def cold_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an rvirt process with an empty code cache of its own
    (RVIRT_CACHE_DIR, rvirt.exec.codecache): a first run, which compiles what gets hot,
    and never reads nor fills the user's cache.  The benches time first runs unless a
    row says it is a second run."""
    global _CACHES
    if _CACHES is None:
        _CACHES = tempfile.mkdtemp(prefix="rvirt-bench-caches-")
        atexit.register(shutil.rmtree, _CACHES, True)
    out = dict(os.environ if env is None else env)
    out["RVIRT_CACHE_DIR"] = tempfile.mkdtemp(dir=_CACHES)
    return out


def timed_process(cmd: Sequence[str], who: str, timeout: float = 300) -> tuple[float, str]:
    """Wall time of a whole process, and its stdout; it must exit 0."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout,
                       cwd=ROOT, env=cold_env())
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip()
        raise BenchError(f"{who} exited {r.returncode}: {err[:200]}")
    return wall, r.stdout.decode(errors="replace")


COMPILE_MS: list[float] = []  # every native compile of the bench's runs, in ms


def timed_run(elf: Path, accel: str, budget: int | None = None, quiet: bool = False
              ) -> tuple[float, int, int | None, str]:
    """One run on a fresh Board in this process: seconds spent in Board.run(budget),
    instructions the hart retired, the exit status and the console output.  `quiet`
    drops the machine's notices.  Native compile times go to COMPILE_MS."""
    from rvirt.board.virt import Board, BoardConfig

    out = bytearray()
    extra = {"notice": lambda m: None} if quiet else {}
    machine = Board(BoardConfig(ram_size=150 << 20, bios=str(elf), accel=accel),
                      console=out.extend, **extra)
    t0 = time.perf_counter()
    status = machine.run(budget)
    seconds = time.perf_counter() - t0
    codegen = getattr(machine.translator, "codegen", None)
    COMPILE_MS.extend(getattr(codegen, "compile_ms", ()))
    return seconds, machine.hart.retired(), status, out.decode(errors="replace")


def rvirt_in_process(elf: Path, accel: str, runs: int) -> tuple[float, int, Report]:
    """Run on a fresh Board in this process `runs` times: the median seconds spent in
    Board.run(), instructions the hart retired in that time (ROM and harness
    included), and the guest's report (every run must give the same)."""
    times = []
    seen: list[tuple[int, Report]] = []
    for _ in range(runs):
        seconds, retired, status, out = timed_run(elf, accel)
        times.append(seconds)
        if status != 0:
            raise BenchError(f"rvirt (in process, {accel}) on {elf.name}: exit status {status}")
        seen.append((retired, parse_report(out, f"rvirt on {elf.name}")))
    if any(run != seen[0] for run in seen):
        raise BenchError(f"rvirt (in process, {accel}) on {elf.name}: runs differ: {seen}")
    total, report = seen[0]
    return statistics.median(times), total, report


def profile(name: str, accel: str, scale: float, top: int) -> None:
    """Where rvirt's time goes on one workload: cProfile around Board.run(), with the
    translated blocks (one generated function each) summed into one line."""
    import cProfile
    import pstats

    from rvirt.board.virt import Board, BoardConfig

    w = next((w for w in WORKLOAD_LIST if w.name == name), None)
    if w is None:
        names = ", ".join(x.name for x in WORKLOAD_LIST)
        raise BenchError(f"no workload {name!r} (one of {names})")
    with tempfile.TemporaryDirectory(prefix="rvirt-bench-") as tmp:
        elf = Builder(Path(tmp)).build(w.name, max(1, int(w.rvirt_iters * scale)))
        machine = Board(BoardConfig(ram_size=150 << 20, bios=str(elf), accel=accel),
                          console=lambda b: None)
        prof = cProfile.Profile()
        prof.runcall(machine.run)
    stats = pstats.Stats(prof)
    total = sum(tt for (_, _, tt, _, _) in stats.stats.values())  # type: ignore[attr-defined]
    rows: dict[str, list[float]] = {}
    for (file, line, func), (_, calls, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        label = "translated blocks" if file.startswith("<rvirt block") else (
            f"{Path(file).name}:{line}({func})")
        row = rows.setdefault(label, [0, 0.0])
        row[0] += calls
        row[1] += tottime
    print(f"{name} on -accel {accel}: {machine.hart.retired():,} instructions, "
          f"{total:.2f} s of own time under cProfile (which slows calls down)")
    for label, (calls, tottime) in sorted(rows.items(), key=lambda kv: -kv[1][1])[:top]:
        print(f"  {tottime / total:6.1%}  {int(calls):>10,} calls  {label}")


def bench_p0(scale: float, repeat: int) -> Row | None:
    """examples/p0 for a fixed instruction count on each tier (None if not built)."""
    if not P0_ELF.is_file():
        print("  p0: not built (make p0), skipped", flush=True)
        return None
    count = max(1, int(P0_INSTRUCTIONS * scale))
    print(f"  p0: rvirt, {count:,} instructions ...", flush=True)
    runs = {}
    for accel in TIERS:
        results = [timed_run(P0_ELF, accel, count, quiet=True) for _ in range(repeat)]
        runs[accel] = (statistics.median(r[0] for r in results), results[0][1])
    native = [timed_run(P0_ELF, "native", count * NATIVE_SCALE, quiet=True)
              for _ in range(repeat)]
    w = Workload("p0", 0, "examples/p0 (the tutorial kernel) counting in its loop")
    row = Row(w, runs["tcg"][1], runs["tcg"][0], runs["tcg"][1], None)
    row.interp_seconds, row.interp_total = runs["interp"]
    row.native_seconds = statistics.median(r[0] for r in native)
    row.native_total = row.native_instructions = native[0][1]
    return row


def peak_memory_mib(count: int) -> tuple[float, float]:
    """Peak resident memory (MiB) of a process that runs p0 for `count` instructions on
    the native tier, and its seconds in Board.run()."""
    code = (
        "import resource, sys, time\n"
        "from rvirt.board.virt import Board, BoardConfig\n"
        f"m = Board(BoardConfig(ram_size=150 << 20, bios={str(P0_ELF)!r}, "
        "accel='native'), console=lambda b: None, notice=lambda s: None)\n"
        f"t = time.perf_counter(); m.run({count}); t = time.perf_counter() - t\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, t)\n")
    _, out = timed_process([sys.executable, "-c", code], "rvirt (peak memory)", timeout=900)
    rss, seconds = out.split()
    return float(rss), float(seconds)


def median_wall(cmd: Sequence[str], who: str, runs: int) -> float:
    return statistics.median(timed_process(cmd, who)[0] for _ in range(runs))


def machine_build_seconds(elf: Path, runs: int) -> float:
    from rvirt.board.virt import Board, BoardConfig

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        Board(BoardConfig(ram_size=150 << 20, bios=str(elf)), console=lambda b: None)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_workload(w: Workload, b: Builder, qemu: str | None, qemu_seconds: float,
                   qemu_startup: float | None, scale: float, runs: int) -> Row:
    iters = max(1, int(w.rvirt_iters * scale))
    elf = b.build(w.name, iters)
    print(f"  {w.name}: rvirt, ITERS={iters} ...", flush=True)
    i_seconds, i_total, i_rep = rvirt_in_process(elf, "interp", runs)
    seconds, total, rep = rvirt_in_process(elf, "tcg", runs)
    if i_rep != rep or i_total != total:
        raise BenchError(f"{w.name}: the interpreter and the translator disagree: "
                         f"{i_rep} ({i_total} retired) vs {rep} ({total} retired)")
    wall, out = timed_process([*RVIRT, *MACHINE_ARGS, "-bios", str(elf)], "rvirt")
    if parse_report(out, "python -m rvirt") != rep:
        raise BenchError(f"{w.name}: python -m rvirt printed a different report than the "
                         f"in-process run")
    row = Row(w, rep.instret, seconds, total, wall, i_seconds, i_total)
    _, n_total, n_rep = rvirt_in_process(elf, "native", 1)
    if n_rep != rep or n_total != total:
        raise BenchError(f"{w.name}: the native tier and the translator disagree: "
                         f"{n_rep} ({n_total} retired) vs {rep} ({total} retired)")
    n_iters = min(MAX_ITERS, iters * (w.native_scale or NATIVE_SCALE))
    print(f"  {w.name}: rvirt native, ITERS={n_iters} ...", flush=True)
    n_elf = b.build(w.name, n_iters)
    row.native_seconds, row.native_total, n_rep = rvirt_in_process(n_elf, "native", runs)
    row.native_instructions = n_rep.instret
    if qemu is None or qemu_startup is None:
        return row

    # The same ITERS under QEMU -icount (ICOUNT): the count and checksum must be rvirt's.
    _, out = timed_process([qemu, *MACHINE_ARGS, "-bios", str(elf), "-icount", ICOUNT],
                           "qemu -icount")
    q_rep = parse_report(out, "qemu -icount")
    row.agrees = q_rep == rep if w.exact_count else q_rep.checksum == rep.checksum

    # Pick QEMU's ITERS from probe runs, each 8 times longer until one lasts long enough
    # to measure, so that the timed run lasts about qemu_seconds.
    probe_iters = iters * 64
    while True:
        probe = b.build(w.name, probe_iters)
        probe_wall, _ = timed_process([qemu, *MACHINE_ARGS, "-bios", str(probe)], "qemu")
        net = probe_wall - qemu_startup
        if net >= min(0.2, qemu_seconds / 4) or probe_iters * 8 > MAX_ITERS:
            break
        probe_iters *= 8
    net = max(net, 0.005)
    qemu_iters = min(MAX_ITERS, max(probe_iters, int(probe_iters * qemu_seconds / net)))
    big = b.build(w.name, qemu_iters)
    print(f"  {w.name}: QEMU, ITERS={qemu_iters} ...", flush=True)
    _, out = timed_process([qemu, *MACHINE_ARGS, "-bios", str(big), "-icount", ICOUNT],
                           "qemu -icount")
    counted = parse_report(out, "qemu -icount")
    walls = []
    for _ in range(3):
        wall_q, out = timed_process([qemu, *MACHINE_ARGS, "-bios", str(big)], "qemu")
        if parse_report(out, "qemu").checksum != counted.checksum:
            raise BenchError(f"{w.name}: QEMU's checksum differs with and without -icount")
        walls.append(wall_q)
    row.qemu_iters = qemu_iters
    row.qemu_instructions = counted.instret
    row.qemu_wall = statistics.median(walls)
    row.qemu_net = row.qemu_wall - qemu_startup
    return row


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def print_table(rows: list[Row]) -> None:
    head = ("workload", "instructions", "interp MIPS", "tcg MIPS", "tcg/interp",
            "native instructions", "native MIPS", "rvirt proc s", "QEMU instructions",
            "QEMU MIPS", "QEMU/tcg", "native/QEMU")
    lines = [head]
    for r in rows:
        q = r.qemu_mips
        n = r.native_mips
        lines.append((r.workload.name, f"{r.instructions:,}", f"{r.interp_mips:.2f}",
                      f"{r.rvirt_mips:.2f}", f"{r.rvirt_mips / r.interp_mips:.1f}x",
                      fmt(r.native_instructions or None, ","), fmt(n, ".1f"),
                      fmt(r.rvirt_process_seconds, ".2f"), fmt(r.qemu_instructions, ","),
                      fmt(q, ".0f"), "n/a" if q is None else f"{q / r.rvirt_mips:,.0f}x",
                      "n/a" if q is None or n is None else f"{n / q:.2f}x"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        print("  ".join(c.ljust(wd) if i == 0 else c.rjust(wd)
                        for i, (c, wd) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * wd for wd in widths))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a tenth of the rvirt work and short QEMU runs (a smoke test)")
    ap.add_argument("--runs", type=int, default=3,
                    help="in-process rvirt runs per workload and tier (median reported)")
    ap.add_argument("--startup-runs", type=int, default=7,
                    help="runs of the start-up probe per emulator (median reported)")
    ap.add_argument("--startup-only", action="store_true",
                    help="only the start-up figures (with --startup-runs 20: issue 19's check)")
    ap.add_argument("--qemu-seconds", type=float, default=2.0,
                    help="target length of each timed QEMU run")
    ap.add_argument("--no-qemu", action="store_true", help="rvirt only")
    ap.add_argument("--profile", metavar="WORKLOAD",
                    help="instead: profile rvirt on one workload (own time per function)")
    ap.add_argument("--accel", default="tcg", choices=TIERS, help="tier for --profile")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the peak-memory run (10**9 instructions of p0, native)")
    args = ap.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    if args.profile:
        try:
            profile(args.profile, args.accel, scale, 15)
        except BenchError as e:
            print(f"bench: {e}", file=sys.stderr)
            return 1
        return 0
    qemu_seconds = 0.3 if args.quick else args.qemu_seconds
    runs = max(1, 3 if args.quick else args.startup_runs)
    compileall.compile_dir(ROOT / "rvirt", quiet=1)
    try:
        qemu = None if args.no_qemu else tool("qemu-system-riscv32")
        with tempfile.TemporaryDirectory(prefix="rvirt-bench-") as tmp:
            b = Builder(Path(tmp))
            probe = b.build("exit")
            print(f"start-up: {runs} runs of each emulator on workloads/exit.S ...",
                  flush=True)
            python_s = median_wall([sys.executable, "-c", "pass"], "python", runs)
            import_s = median_wall([sys.executable, "-c", "import rvirt.cli, rvirt.board.virt"],
                                   "python", runs)
            build_s = machine_build_seconds(probe, runs)
            rvirt_start = median_wall([*RVIRT, *MACHINE_ARGS, "-bios", str(probe)], "rvirt",
                                      runs)
            starts = {accel: median_wall([*RVIRT, *MACHINE_ARGS, "-bios", str(probe),
                                          "-accel", accel], "rvirt", runs)
                      for accel in ("tcg", "native")}
            qemu_start = None
            if qemu is not None:
                qemu_start = median_wall([qemu, *MACHINE_ARGS, "-bios", str(probe)], "qemu",
                                         runs)
            if args.startup_only:
                print_startup(runs, rvirt_start, python_s, import_s, build_s, qemu_start,
                              starts)
                return 0
            print("workloads ...", flush=True)
            repeat = 1 if args.quick else max(1, args.runs)
            rows = [bench_workload(w, b, qemu, qemu_seconds, qemu_start, scale, repeat)
                    for w in WORKLOAD_LIST]
            p0 = bench_p0(scale, repeat)
            if p0 is not None:
                rows.append(p0)
            memory = None
            if not args.no_memory and P0_ELF.is_file():
                count = int(BILLION * scale)
                print(f"  peak memory: p0 for {count:,} instructions on -accel native ...",
                      flush=True)
                memory = (count, *peak_memory_mib(count))
    except (BenchError, subprocess.TimeoutExpired) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1

    print_startup(runs, rvirt_start, python_s, import_s, build_s, qemu_start, starts)
    print()
    print_table(rows)
    print()
    if COMPILE_MS:
        ms = sorted(COMPILE_MS)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"Native compile time per block (CPU time of IR, optimisation, machine "
              f"code; {len(ms)} compiles in the native runs above): "
              f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")
    if memory is not None:
        count, rss, secs = memory
        print(f"Peak memory: {rss:.0f} MiB resident for {count:,} instructions of p0 on "
              f"-accel native ({count / secs / 1e6:.0f} MIPS, {secs:.1f} s in Board.run)")
    print()
    for r in rows:
        print(f"  {r.workload.name}: {r.workload.what}")
    print("  instructions: the guest's own minstret delta around its work, rvirt's ITERS "
          "(QEMU's: its larger ITERS, from a -icount shift=0,sleep=off run)")
    print("  interp/tcg MIPS: instructions the hart retired / seconds in Board.run(), in "
          f"process, with -accel interp / -accel tcg (both retire the same count), median "
          f"of {repeat} run{'s' if repeat > 1 else ''};")
    print("  native MIPS: the same with -accel native, on the workload built with "
          f"native_scale (default {NATIVE_SCALE}) times the ITERS; native instructions: its "
          "minstret delta; compile time is in the run")
    print("  rvirt proc s: wall time of `python -m rvirt` (default tier) on the same ELF")
    print("  QEMU MIPS: instructions / (median wall of 3 plain runs - QEMU's start-up above)")
    for r in rows:
        if r.qemu_wall is not None:
            print(f"  {r.workload.name}: QEMU ITERS={r.qemu_iters}, wall {r.qemu_wall:.2f} s, "
                  f"start-up share {qemu_start / r.qemu_wall:.1%}")
    bad = [r.workload.name for r in rows if r.agrees is False]
    for r in rows:
        if r.agrees is not None:
            verdict = "agree" if r.agrees else "DISAGREE"
            what = "instret and checksum" if r.workload.exact_count else (
                "the checksum (instret is not compared: QEMU -icount counts each "
                "trapping ecall as an instruction and 1 ns, rvirt does not, so QEMU also "
                "takes more timer interrupts; see bench/probes)")
            print(f"  {r.workload.name}: rvirt and QEMU -icount {verdict} on {what} at "
                  f"ITERS={max(1, int(r.workload.rvirt_iters * scale))}")
    return 1 if bad else 0


def print_startup(runs: int, rvirt_start: float, python_s: float, import_s: float,
                  build_s: float, qemu_start: float | None, starts: dict[str, float]) -> None:
    print()
    print(versus())
    print()
    print("Start-up to the first guest instruction (whole-process wall time of a guest whose "
          "first instructions")
    print(f"write the finisher; median of {runs}):")
    print(f"  rvirt  {rvirt_start * 1000:7.0f} ms   (python alone {python_s * 1000:.0f} ms, "
          f"+ imports {(import_s - python_s) * 1000:.0f} ms, Board() {build_s * 1000:.0f} ms "
          f"in process)")
    if qemu_start is None:
        print("  QEMU   not run")
    else:
        print(f"  QEMU   {qemu_start * 1000:7.0f} ms   (rvirt/QEMU {rvirt_start / qemu_start:.2f})")
    print(f"  rvirt -accel tcg {starts['tcg'] * 1000:.0f} ms, -accel native "
          f"{starts['native'] * 1000:.0f} ms (llvmlite is imported only once a block is made)")


if __name__ == "__main__":
    raise SystemExit(main())
