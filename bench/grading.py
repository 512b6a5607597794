"""Grading throughput: how many kernels per minute examples/grading grades, in one pytest
process and spread over worker processes with pytest-xdist (`-n 2`), on a folder of
--students copies of the built tutorial kernels (p0, hello, trap each).  Run by
`make bench`; it prints figures and never asserts on timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADING = ROOT / "examples" / "grading"
TARGET = "riscv32imac-unknown-none-elf"
KERNELS = ("p0", "hello", "trap")


def submissions(folder: Path, students: int) -> int:
    """`students` folders holding the built kernels; the number of kernels to grade."""
    for i in range(students):
        student = folder / f"student{i:03d}"
        student.mkdir()
        for kernel in KERNELS:
            elf = ROOT / "examples" / kernel / "target" / TARGET / "debug" / kernel
            if not elf.is_file():
                sys.exit(f"bench/grading.py: {elf} is not built (make kernels p0)")
            (student / kernel).symlink_to(elf)
    return students * len(KERNELS)


def grade(folder: Path, workers: int) -> tuple[float, float, str]:
    """Wall seconds for one whole run of the suite (process start-up included), the CPU
    seconds of all its processes (workers included), and pytest's last line."""
    command = [sys.executable, "-m", "pytest", str(GRADING), "--submissions", str(folder),
               "-q", "-p", "no:cacheprovider"]
    if workers > 1:
        command += ["-n", str(workers)]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    last = (r.stdout.strip().splitlines() or ["(no output)"])[-1]
    if r.returncode != 0:
        sys.exit(f"bench/grading.py: the grading run failed:\n{r.stdout}{r.stderr}")
    return elapsed, cpu, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="pytest-xdist worker counts to compare; 1 is one process")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rvirt-grading-") as tmp:
        folder = Path(tmp)
        kernels = submissions(folder, args.students)
        print(f"grading: {args.students} submissions x {len(KERNELS)} kernels = {kernels} "
              f"kernels (examples/grading), {os.cpu_count()} cores")
        base = None
        for workers in args.workers:
            load = os.getloadavg()[0]  # others' work on the machine skews the wall time
            elapsed, cpu, last = grade(folder, workers)
            rate = kernels / elapsed * 60
            base = base or rate
            label = "1 process" if workers == 1 else f"-n {workers}"
            print(f"  {label:>10}: {elapsed:6.1f} s, {rate:5.0f} kernels/minute "
                  f"({rate / base:.2f}x); {cpu / kernels * 1000:4.0f} ms CPU per kernel; "
                  f"load before {load:.1f}   [{last}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
