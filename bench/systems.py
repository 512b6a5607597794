"""Real systems code, whole runs: rvirt (its default tier and each -accel) beside QEMU 7.2
on the same command line, in the same run.  Run by `make bench`; prints figures, asserts
no timing (output that differs from QEMU's exits 1).

Each row is one guest and one command line, `python -m rvirt LINE` against
`qemu-system-riscv32 LINE`, timed as a whole process (start-up, translation and
compiling included), best of --runs (others' work on the shared machines only ever adds
time).  rvirt runs with RVIRT_STATS set, and its line gives the blocks it translated and
the native compiles.  Rows:

* hello, trap, paging: the tutorial's next kernels (examples/, `make kernels`), run to
  their own exit (status 0); stdout must be QEMU's.
* p0-no-stack, p0-no-trap-handler, p0-no-device: p0 with a classic mistake (`make
  p0-mistakes`), which never ends: each traps at mtvec = 0 and then loops on
  instruction access faults.  Timed to a fixed marker, the MARKER-th trap in the
  `-d int` log (both print QEMU 7.2's lines), then killed; the log's lines up to there
  must be QEMU's.  (p0-rom-store neither traps nor prints: it is p0's counting loop,
  whose speed bench/run.py's p0 row measures.)
* syscalls, stimer: bench/workloads/syscalls.S (a U-mode program under Sv32 making
  system calls to an S-mode kernel) and stimer.S (an S-mode kernel under Sv32 taking
  supervisor timer interrupts that M-mode forwards), with `-icount shift=0,sleep=off` on
  both command lines (rvirt's clock is virtual anyway; QEMU's minstret then counts
  instructions, and the ticks land where rvirt's do), so the guest's report, instret and
  checksum, must be QEMU's to the bit.

Not re-run here: the hot loops (bench/run.py), -smp 4 and virtio-blk (bench/board.py)
and Linux's boot (bench/linux.py), which have benches of their own.

    python bench/systems.py [--quick] [--runs N] [--no-qemu] [--only ROW]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from board import table
from run import MACHINE_ARGS, ROOT, RVIRT, BenchError, Builder, cold_env, tool, versus

TARGET = "riscv32imac-unknown-none-elf"
KERNELS = ROOT / "examples"
MISTAKES = KERNELS / "p0" / "target" / "mistakes" / "bin"
ICOUNT = ("-icount", "shift=0,sleep=off")
# (label, the options that choose rvirt's tier): "rvirt" is the default tier itself.
# Each run starts with an empty code cache (a first run), except the second-run row's,
# which finds what one untimed run before it left there.
SECOND_RUN = "rvirt, second run"
RVIRT_TIERS = (("rvirt", ()), (SECOND_RUN, ()), ("rvirt -accel interp", ("-accel", "interp")),
               ("rvirt -accel tcg", ("-accel", "tcg")),
               ("rvirt -accel native", ("-accel", "native")))
TRAP_LINE = "riscv_cpu_do_interrupt:"  # QEMU 7.2's -d int line, which rvirt prints too
MARKER = 20_000  # traps of a mistake kernel before it is killed
WORKLOAD_ITERS = 4_000  # syscalls: about 470 thousand instructions; stimer: 4000 ticks
QUICK_SCALE = 0.1
TIMEOUT = 600.0


@dataclass(frozen=True)
class Spec:
    """One row: a guest, its options after MACHINE_ARGS and -bios, and how a run ends."""
    name: str
    what: str
    elf: Path
    options: tuple[str, ...] = ()
    marker: int = 0  # 0: the guest exits by itself; else: kill at this many traps

    @property
    def args(self) -> tuple[str, ...]:
        return ("-bios", str(self.elf), *self.options)


@dataclass
class Run:
    wall: float
    output: str  # what must be QEMU's: stdout and exit status, or the trap log
    stats: dict[str, object] = field(default_factory=dict)


@dataclass
class Result:
    label: str
    runs: list[Run]

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda r: r.wall)


def kernel_specs() -> list[Spec]:
    out = []
    for name, what in (("hello", "core::fmt on the UART, a panic, the test finisher"),
                       ("trap", "M-mode trap handler, 3 CLINT timer interrupts, PMP, "
                                "U-mode ecalls"),
                       ("paging", "S-mode kernel, Sv32 on, a user program, a page fault")):
        elf = KERNELS / name / "target" / TARGET / "debug" / name
        out.append(Spec(name, what, elf))
    return out


def mistake_specs(marker: int) -> list[Spec]:
    out = []
    for name, what in (("no-stack", "sp never set: entry's prologue stores below 0"),
                       ("no-trap-handler", "an ecall with mtvec = 0"),
                       ("no-device", "a store to 0x10010000, where no device is")):
        elf = MISTAKES / f"p0-{name}"
        out.append(Spec(f"p0-{name}", f"{what}; then a fetch fault at 0, forever", elf,
                        ("-d", "int"), marker))
    return out


def workload_specs(b: Builder, iters: int) -> list[Spec]:
    return [
        Spec("syscalls", f"{2 * iters + 1:,} system calls from U-mode under Sv32 "
             "(bench/workloads/syscalls.S)",
             b.build("syscalls", iters), ICOUNT),
        Spec("stimer", f"{iters:,} supervisor timer interrupts under Sv32, forwarded by "
             "M-mode (bench/workloads/stimer.S)",
             b.build("stimer", iters), ICOUNT),
    ]


def read_stats(path: Path) -> dict[str, object]:
    """The last RVIRT_STATS line rvirt appended to `path` (empty if none)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    return json.loads(lines[-1]) if lines else {}


def run_to_exit(cmd: Sequence[str], who: str, env: dict[str, str]) -> tuple[float, str]:
    """Wall time of a whole run to the guest's own exit (status 0), and its stdout."""
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=TIMEOUT,
                       cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:  # every guest here ends through the finisher's pass
        err = r.stderr.decode(errors="replace").strip()
        raise BenchError(f"{who} exited {r.returncode}: {err[:200]}")
    return wall, r.stdout.decode(errors="replace")


def run_to_marker(cmd: Sequence[str], who: str, env: dict[str, str], marker: int
                  ) -> tuple[float, str]:
    """Wall time from the start to the marker-th trap line on stderr, then the process is
    terminated; the trap lines up to there."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=ROOT, env=env)
    # A guest that stops trapping would leave us waiting on its pipe for good.
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    traps: list[str] = []
    wall = 0.0
    try:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            if line.startswith(TRAP_LINE):
                traps.append(line)
                if len(traps) == marker:
                    wall = time.perf_counter() - t0
                    break
        proc.terminate()  # rvirt writes RVIRT_STATS on SIGTERM, as it exits
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if len(traps) < marker:
        raise BenchError(f"{who} ended after {len(traps)} traps, before the {marker:,}th "
                         f"(exit status {proc.returncode})")
    return wall, "\n".join(traps)


def bench_row(spec: Spec, emulators: Sequence[tuple[str, tuple[str, ...]]], runs: int,
              stats_file: Path) -> list[Result]:
    results = []
    for label, emulator in emulators:
        print(f"  {spec.name}: {label} ...", flush=True)
        base = dict(os.environ)
        base.pop("RVIRT_ACCEL", None)  # "rvirt" is the default tier itself
        base["RVIRT_STATS"] = str(stats_file)
        cmd = [*emulator, *MACHINE_ARGS, *spec.args]
        result = Result(label, [])
        env = cold_env(base)
        if label == SECOND_RUN:  # the first run fills the code cache, untimed
            if spec.marker:
                run_to_marker(cmd, f"{spec.name}: {label}", env, spec.marker)
            else:
                run_to_exit(cmd, f"{spec.name}: {label}", env)
        for _ in range(runs):
            if label != SECOND_RUN:
                env = cold_env(base)
            stats_file.unlink(missing_ok=True)
            if spec.marker:
                wall, out = run_to_marker(cmd, f"{spec.name}: {label}", env, spec.marker)
            else:
                wall, out = run_to_exit(cmd, f"{spec.name}: {label}", env)
            result.runs.append(Run(wall, out, read_stats(stats_file)))
        results.append(result)
    check_outputs(spec, results)
    return results


def check_outputs(spec: Spec, results: list[Result]) -> None:
    """Every run of the row printed what the first printed (QEMU's, when it ran first)."""
    first = results[0]
    want = first.runs[0].output
    for r in results:
        for run in r.runs:
            if run.output != want:
                raise BenchError(f"{spec.name}: {r.label} printed {diff(run.output, want)} "
                                 f"where {first.label} printed otherwise")


def diff(got: str, want: str) -> str:
    """The first line where `got` differs from `want`, in a few words."""
    a, b = got.splitlines(), want.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"{x!r} on line {i + 1} (not {y!r})"
    return f"{len(a)} lines (not {len(b)})"


def count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_rows(specs: list[Spec], rows: list[list[Result]], runs: int) -> None:
    print(f"Whole runs, wall time (best of {runs}); blocks: blocks rvirt translated, native: "
          "blocks compiled by LLVM (and their compile time), cached: blocks whose native "
          "code came from the code cache (the second run's, filled by a first):")
    lines: list[tuple[str, ...]] = [("row", "emulator", "wall s", "/QEMU", "blocks", "native",
                                     "compile s", "cached")]
    for spec, results in zip(specs, rows, strict=True):
        qemu = next((r.best.wall for r in results if r.label == "QEMU"), None)
        for n, r in enumerate(results):
            best = r.best
            ms = best.stats.get("compile_ms") or []
            is_rvirt = r.label != "QEMU"
            if is_rvirt and not best.stats:  # rvirt wrote no RVIRT_STATS line
                best.stats = {"blocks": "n/a", "native": "n/a", "cached": "n/a"}
            lines.append((spec.name if n == 0 else "", r.label, f"{best.wall:.2f}",
                          "-" if not is_rvirt else
                          "n/a" if qemu is None else f"{best.wall / qemu:.1f}x",
                          count(best.stats.get("blocks", 0)) if is_rvirt else "-",
                          count(best.stats.get("native", 0)) if is_rvirt else "-",
                          f"{sum(ms) / 1000:.2f}" if is_rvirt else "-",
                          count(best.stats.get("cached", 0)) if is_rvirt else "-"))
    table(lines, left=2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK_SCALE:g} of the workloads' and markers' work, one run "
                         "each (a smoke test)")
    ap.add_argument("--runs", type=int, default=3, help="runs per emulator (best reported)")
    ap.add_argument("--no-qemu", action="store_true", help="rvirt only")
    ap.add_argument("--only", metavar="ROW", help="one row (hello, trap, paging, "
                    "p0-no-stack, p0-no-trap-handler, p0-no-device, syscalls, stimer)")
    args = ap.parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    scale = QUICK_SCALE if args.quick else 1.0
    compileall.compile_dir(ROOT / "rvirt", quiet=1)  # start-up loads bytecode (bench/run.py)
    try:
        qemu = None if args.no_qemu else tool("qemu-system-riscv32")
        emulators = [(label, (*RVIRT, *accel)) for label, accel in RVIRT_TIERS]
        if qemu is not None:
            emulators.insert(0, ("QEMU", (qemu,)))  # first: the output the rest must match
        with tempfile.TemporaryDirectory(prefix="rvirt-systems-") as tmp:
            b = Builder(Path(tmp))
            specs = [*kernel_specs(), *mistake_specs(max(1, int(MARKER * scale))),
                     *workload_specs(b, max(1, int(WORKLOAD_ITERS * scale)))]
            names = [s.name for s in specs]
            if args.only is not None:
                if args.only not in names:
                    raise BenchError(f"no row {args.only!r} (one of {', '.join(names)})")
                specs = [s for s in specs if s.name == args.only]
            for s in specs:
                if not s.elf.is_file():
                    raise BenchError(f"{s.name}: {s.elf.relative_to(ROOT)} is not built "
                                     "(make kernels p0-mistakes)")
            rows = [bench_row(s, emulators, runs, Path(tmp) / "stats.jsonl") for s in specs]
    except (BenchError, subprocess.TimeoutExpired) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    print()
    print(versus())
    print()
    print_rows(specs, rows, runs)
    print()
    for s in specs:
        extra = "; -icount shift=0,sleep=off" if s.options == ICOUNT else ""
        end = f"to the {s.marker:,}th trap of `-d int`" if s.marker else "to its exit"
        print(f"  {s.name}: {s.what} ({end}{extra})")
    same = "QEMU's" if qemu is not None else "the same"
    print(f"  every run printed {same} output (stdout, exit status 0; the trap log up to "
          "the marker; syscalls and stimer: instret and checksum)")
    print("  p0-rom-store is not here: it neither traps nor prints (p0's loop, after a store "
          "the ROM drops); bench/run.py's p0 row has its speed")
    print("  the hot loops (MIPS): bench/run.py; -smp 4 and virtio-blk: bench/board.py; "
          "Linux's boot: bench/linux.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
