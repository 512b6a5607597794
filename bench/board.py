"""The board's costs beside QEMU 7.2's, in the same run: what `-smp 4` costs a program
that uses one hart, and virtio-blk's throughput.  Run by `make bench` after
bench/run.py; prints figures, asserts no timing (a wrong result exits 1).

* -smp 4 overhead: bench/workloads/intmix_smp.S (intmix's loop on hart 0; every other
  hart parks in wfi with its interrupts off, so it never wakes) run as whole processes
  with -smp 1 and with -smp 4, alternately, on rvirt's default tier (RVIRT_ACCEL unset)
  and each -accel, and on QEMU.  Each emulator runs its own ITERS (the interpreter is a
  thousand times slower than QEMU), the same for both -smp values, whose reports
  (instret and checksum; QEMU: the checksum) must agree.  The target: with -smp 4, rvirt
  is within 10% of -smp 1 on every tier.
* virtio-blk: bench/workloads/virtio_blk.c, a bare-metal driver of the legacy
  virtio-mmio transport (QEMU 7.2's default), reads a raw image of --disk-mib MiB
  sequentially, then writes all of it, in 64 KiB requests (a header, 16 page-sized data
  descriptors, a status byte), one at a time, completion polled.  Every emulator gets the
  same command line (MACHINE_ARGS, -bios, -drive, -device virtio-blk-device) and a fresh
  image whose sectors the guest checks as it reads them; the phases are timed by when the
  guest's marker lines reach this process; after each run the image must hold exactly
  what the guest wrote.
* Every figure is the best of --runs runs (as timeit reports): the machines are shared,
  and others' work only ever adds time.

    python bench/board.py [--quick] [--runs N] [--no-qemu] [--only smp|blk] [--disk-mib N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from run import MACHINE_ARGS, ROOT, RVIRT, BenchError, Builder, cold_env, parse_report, tool, versus

# (label, the options that choose the emulator and tier, ITERS of intmix_smp's loop):
# each whole run lasts about a second here.
RVIRT_TIERS = (("rvirt", (), 4_000_000), ("rvirt -accel interp", ("-accel", "interp"), 40_000),
               ("rvirt -accel tcg", ("-accel", "tcg"), 400_000),
               ("rvirt -accel native", ("-accel", "native"), 4_000_000))
QEMU_ITERS = 20_000_000
SMP = 4
TARGET = 1.10  # the target: -smp 4 within 10% of -smp 1
QUICK_SCALE = 0.05

# virtio_blk.c's contract: the first word of sector s reads s ^ READ_TAG; it writes s ^
# WRITE_TAG there and i * FILL_MUL in the sector's other words (i the word's index).
SECTOR = 512
CHUNK = 64 * 1024
READ_TAG, WRITE_TAG, FILL_MUL = 0x52454144, 0x57524954, 0x9E3779B9
MB = 1e6
# 64 MiB: with 16, the native tier's compiling of the driver's loops is most of a phase.
DISK_MIB = 64


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's children waited for so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_smp(elf: Path, emulator: Sequence[str], smp: int, who: str
            ) -> tuple[float, float, str]:
    """Wall time and CPU time (every thread's) of one whole run, and the guest's output;
    it must exit 0."""
    cmd = [*emulator, *MACHINE_ARGS, "-smp", str(smp), "-bios", str(elf)]
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=600,
                       cwd=ROOT, env=cold_env())
    wall = time.perf_counter() - t0
    cpu = children_cpu() - cpu0
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip()
        raise BenchError(f"{who} -smp {smp} exited {r.returncode}: {err[:200]}")
    return wall, cpu, r.stdout.decode(errors="replace")


@dataclass
class SmpRow:
    label: str
    iters: int
    instructions: int
    smp1: float  # wall seconds
    smp4: float
    cpu1: float  # CPU seconds
    cpu4: float
    rvirt: bool

    @property
    def ratio(self) -> float:
        return self.smp4 / self.smp1

    @property
    def cpu_ratio(self) -> float:
        return self.cpu4 / self.cpu1


def bench_smp(b: Builder, qemu: str | None, scale: float, runs: int) -> list[SmpRow]:
    rows = []
    emulators = [(label, (*RVIRT, *accel), iters, True) for label, accel, iters in RVIRT_TIERS]
    if qemu is not None:
        emulators.append(("QEMU", (qemu,), QEMU_ITERS, False))
    for label, emulator, iters, is_rvirt in emulators:
        iters = max(1, int(iters * scale))
        elf = b.build("intmix_smp", iters)
        print(f"  -smp: {label}, ITERS={iters} ...", flush=True)
        walls: dict[int, list[float]] = {1: [], SMP: []}
        cpus: dict[int, list[float]] = {1: [], SMP: []}
        reports = []
        for _ in range(runs):
            for smp in (1, SMP):  # alternately, so that the machine's load hits both
                wall, cpu, out = run_smp(elf, emulator, smp, label)
                walls[smp].append(wall)
                cpus[smp].append(cpu)
                reports.append((smp, parse_report(out, f"{label} -smp {smp}")))
        # rvirt's count is exact on both; QEMU's minstret counts host ticks without -icount
        key = (lambda r: r) if is_rvirt else (lambda r: r.checksum)
        if any(key(r) != key(reports[0][1]) for _, r in reports):
            raise BenchError(f"-smp: {label}: the runs' reports differ: {reports}")
        rows.append(SmpRow(label, iters, reports[0][1].instret if is_rvirt else 0,
                           min(walls[1]), min(walls[SMP]), min(cpus[1]), min(cpus[SMP]),
                           is_rvirt))
    return rows


def print_smp(rows: list[SmpRow], runs: int) -> None:
    print(f"-smp {SMP} overhead: intmix's loop on hart 0, harts 1..{SMP - 1} parked in wfi "
          f"(whole-process wall time, best of {runs}):")
    head = ("emulator", "ITERS", "instructions", "-smp 1 s", f"-smp {SMP} s",
            f"smp{SMP}/smp1", "within 10%", f"CPU smp{SMP}/smp1")
    lines = [head]
    for r in rows:
        lines.append((r.label, f"{r.iters:,}", f"{r.instructions:,}" if r.rvirt else "n/a",
                      f"{r.smp1:.2f}", f"{r.smp4:.2f}", f"{r.ratio:.3f}",
                      ("yes" if r.ratio <= TARGET else "NO") if r.rvirt else "-",
                      f"{r.cpu_ratio:.3f}"))
    table(lines)
    missed = [r.label for r in rows if r.rvirt and r.ratio > TARGET]
    verdict = "met" if not missed else f"NOT met ({', '.join(missed)})"
    print(f"  target (rvirt -smp {SMP} within 10% of -smp 1 on every tier, wall time): "
          f"{verdict}")
    print("  instructions: hart 0's minstret delta around the loop (QEMU's counts host "
          "ticks without -icount); each time includes the emulator's start-up")
    print("  CPU: user + system seconds of the process, all its threads (others' work on "
          "the machine moves it too, often less than the wall time)")


# --- virtio-blk ---------------------------------------------------------------------------
def disk_before(size: int) -> bytes:
    """The image as the guest expects to find it: sector s starts with s ^ READ_TAG."""
    data = bytearray(size)
    for s in range(size // SECTOR):
        struct.pack_into("<I", data, s * SECTOR, s ^ READ_TAG)
    return bytes(data)


def disk_after(size: int) -> bytes:
    """The image as the guest leaves it."""
    rest = struct.pack("<127I", *((i * FILL_MUL) & 0xFFFFFFFF for i in range(1, 128)))
    return b"".join(struct.pack("<I", s ^ WRITE_TAG) + rest for s in range(size // SECTOR))


@dataclass
class BlkRow:
    label: str
    read_s: list[float] = field(default_factory=list)
    write_s: list[float] = field(default_factory=list)


def run_blk(cmd: Sequence[str], who: str, timeout: float = 600) -> dict[str, float]:
    """One run of the virtio-blk guest: when each marker line ("R", "W", "F") arrived.
    The run must exit 0 with the guest's "virtio-blk ok" line."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0, cwd=ROOT, env=cold_env())
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    seen: dict[str, float] = {}
    lines = []
    try:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            now = time.perf_counter()
            line = raw.decode(errors="replace").strip()
            lines.append(line)
            if line in ("R", "W", "F"):
                seen[line] = now
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if rc != 0 or not any(line.startswith("virtio-blk ok") for line in lines):
        last = lines[-1] if lines else err[:200]
        raise BenchError(f"{who} exited {rc}: {last}")
    if set(seen) != {"R", "W", "F"}:
        raise BenchError(f"{who}: markers missing from its output {lines!r}")
    return seen


def check_image(image: Path, expected: bytes, who: str) -> None:
    got = image.read_bytes()
    if got == expected:
        return
    bad = next((i for i in range(0, max(len(got), len(expected)), SECTOR)
                if got[i:i + SECTOR] != expected[i:i + SECTOR]), 0)
    raise BenchError(f"{who}: the image does not hold what the guest wrote (first wrong "
                     f"sector {bad // SECTOR}, {len(got)} bytes against {len(expected)})")


def bench_blk(b: Builder, tmp: Path, qemu: str | None, size: int, runs: int
              ) -> list[BlkRow]:
    elf = b.build("virtio_blk")
    image = tmp / "disk.img"
    before, after = disk_before(size), disk_after(size)
    disk = ("-bios", str(elf), "-drive", f"file={image},if=none,format=raw,id=hd0",
            "-device", "virtio-blk-device,drive=hd0")
    emulators = [(label, (*RVIRT, *accel)) for label, accel, _ in RVIRT_TIERS]
    if qemu is not None:
        emulators.append(("QEMU", (qemu,)))
    rows = []
    for label, emulator in emulators:
        print(f"  virtio-blk: {label}, {size >> 20} MiB ...", flush=True)
        row = BlkRow(label)
        for _ in range(runs):
            image.write_bytes(before)
            t = run_blk([*emulator, *MACHINE_ARGS, *disk], label)
            check_image(image, after, label)
            row.read_s.append(t["W"] - t["R"])
            row.write_s.append(t["F"] - t["W"])
        rows.append(row)
    return rows


def print_blk(rows: list[BlkRow], size: int, runs: int) -> None:
    print(f"virtio-blk (legacy virtio-mmio): a {size >> 20} MiB raw image read, then "
          f"written, sequentially in {CHUNK >> 10} KiB requests, one at a time, polled "
          f"(MB = 10^6 bytes; best of {runs}):")
    rates = {r.label: (size / min(r.read_s) / MB, size / min(r.write_s) / MB) for r in rows}
    qemu = rates.get("QEMU")
    head = ("emulator", "read MB/s", "write MB/s", "read/QEMU", "write/QEMU")
    lines = [head]
    for r in rows:
        read, write = rates[r.label]
        lines.append((r.label, f"{read:.0f}", f"{write:.0f}",
                      "n/a" if qemu is None else f"{read / qemu[0]:.2f}x",
                      "n/a" if qemu is None else f"{write / qemu[1]:.2f}x"))
    table(lines)
    print("  every run's image held exactly what the guest wrote, and the guest read every "
          "sector where it belongs")


def table(lines: list[tuple[str, ...]], left: int = 1) -> None:
    """Print rows under a header and its rule: the first `left` columns (labels) flush
    left, the figures flush right."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for n, line in enumerate(lines):
        print("  " + "  ".join(c.ljust(w) if i < left else c.rjust(w)
                               for i, (c, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK_SCALE:g} of the -smp work and a 1 MiB disk, one run each "
                         "(a smoke test)")
    ap.add_argument("--runs", type=int, default=3, help="runs per row (the best reported)")
    ap.add_argument("--no-qemu", action="store_true", help="rvirt only")
    ap.add_argument("--only", choices=("smp", "blk"), help="one section only")
    ap.add_argument("--disk-mib", type=int, default=DISK_MIB,
                    help=f"size of the virtio-blk image in MiB (default {DISK_MIB})")
    args = ap.parse_args(argv)
    runs = 1 if args.quick else max(1, args.runs)
    scale = QUICK_SCALE if args.quick else 1.0
    size = (1 if args.quick else max(1, args.disk_mib)) << 20
    os.environ.pop("RVIRT_ACCEL", None)  # "rvirt" is the default tier itself
    compileall.compile_dir(ROOT / "rvirt", quiet=1)  # start-up loads bytecode (bench/run.py)
    try:
        qemu = None if args.no_qemu else tool("qemu-system-riscv32")
        with tempfile.TemporaryDirectory(prefix="rvirt-board-") as tmp:
            b = Builder(Path(tmp))
            smp = blk = None
            if args.only in (None, "smp"):
                smp = bench_smp(b, qemu, scale, runs)
            if args.only in (None, "blk"):
                blk = bench_blk(b, Path(tmp), qemu, size, runs)
    except (BenchError, subprocess.TimeoutExpired) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    print()
    print(versus())
    if smp is not None:
        print()
        print_smp(smp, runs)
    if blk is not None:
        print()
        print_blk(blk, size, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
