"""Reverse execution's figures (rvirt.debug.history), on a workload that writes memory
(bench/workloads/memcpy.S: a 1 KiB copy and checksum, over and over):

* reverse-stepi after 10^7 instructions: the answer time of `bs` (GdbSession, no socket);
* reverse-continue over 10^7 instructions: from position 10^7 back to a breakpoint that
  only the first instructions hit (every interval is replayed under the breakpoint
  check), and the same with a watchpoint on a word that only the start writes;
* history memory over a 10^8-instruction run: the history's own bytes, and the growth
  of the process's peak RSS beyond RAM (the RAM the guest touched is not counted), on
  memcpy and on bench/workloads/sweep.S, which rewrites 8 MiB over and over (the worst
  case: snapshots keep the pages written since the one before, until the memory limit
  merges them).

Times are printed, never asserted.  Run by `make bench` after bench/run.py.
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import BenchError, Builder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rvirt.board.virt import Board, BoardConfig  # noqa: E402
from rvirt.debug.gdbstub import GdbSession  # noqa: E402
from rvirt.debug.history import nonzero_pages  # noqa: E402
from rvirt.debug.machine_target import MachineTarget  # noqa: E402

HERE = Path(__file__).resolve().parent
ITERS = 1_000_000  # about 2.5*10^8 instructions: the workload never ends within a figure
CMD = "python bench/reverse.py"
UNTOUCHED = 0x80800000  # a RAM word the workload never writes


ACCEL: str | None = None  # --accel; None: the default tier


def machine(elf: Path) -> MachineTarget:
    """The workload's machine as a debugger sees it (history is the debug facade's)."""
    cfg = BoardConfig(ram_size=150 << 20, bios=str(elf), rng_seed=bytes(32), rtc_epoch_ns=0)
    if ACCEL is not None:
        cfg.accel = ACCEL
    return MachineTarget(Board(cfg, console=lambda data: None))


def run_live(m: MachineTarget, n: int) -> float:
    """Run to position n (history on): seconds."""
    t = time.perf_counter()
    while m.position < n:
        stop = m.resume(min(1 << 20, n - m.position))
        if stop is not None:
            raise BenchError(f"the workload stopped early: {stop}")
    return time.perf_counter() - t


def reverse_stepi(elf: Path, n: int) -> None:
    m = machine(elf)
    m.enable_history()
    live = run_live(m, n)
    session = GdbSession(m)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        reply = session.handle(b"bs").replies[0]
        times.append(time.perf_counter() - t)
        assert reply.startswith(b"T05"), reply
    assert m.position == n - 5
    worst = max(times)
    print(f"  reverse-stepi after {n:.0e} instructions: {sorted(times)[2]:.3f} s median, "
          f"{worst:.3f} s worst of 5 (target < 0.5 s; the live run took {live:.1f} s, "
          f"{n / live / 1e6:.1f} MIPS with history on, tier {m.machine.config.accel})")


def reverse_continue(elf: Path, n: int, watch: bool) -> None:
    m = machine(elf)
    m.enable_history()
    start = m.machine.symbols["_start"]
    run_live(m, n)
    # Stops nothing in the run but its first instruction: the scan goes back over all of
    # history (a word nothing writes, for the watchpoint).
    if watch:
        m.add_watchpoint("watch", UNTOUCHED, 4)
    else:
        m.add_breakpoint(start)
    t = time.perf_counter()
    stop = m.reverse_continue()
    took = time.perf_counter() - t
    what = (f"the start (a watchpoint on {UNTOUCHED:#x}, never written)" if watch
            else "a breakpoint at _start")
    print(f"  reverse-continue over {n - m.position:.3g} instructions to {what}: "
          f"{took:.2f} s ({stop.kind} at position {m.position}; target < 10 s, "
          f"tier {m.machine.config.accel})")


def rss() -> int:
    """The process's resident bytes now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def grown(elf: Path, n: int, history: bool) -> tuple[int, int]:
    """In a fresh process: how much it grew running n instructions (with or without
    history), beyond the guest's RAM; and the bytes the history holds."""
    code = (f"import sys; sys.path[:0] = {[str(HERE), str(HERE.parent)]!r}; "
            f"import reverse; reverse.ACCEL = {ACCEL!r}; "
            f"reverse.probe({str(elf)!r}, {n}, {history})")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), int(out[1])


def probe(elf: str, n: int, history: bool) -> None:
    m = machine(Path(elf))
    before = rss()
    if history:
        m.enable_history()
    run_live(m, n)
    gc.collect()
    after = rss() - len(nonzero_pages(m.machine.ram)) * 4096  # the guest's own pages are not it
    print(after - before, m.history.memory_bytes() if m.history else 0)


def memory(elf: Path, n: int, name: str) -> None:
    t = time.perf_counter()
    plain, _ = grown(elf, n, False)
    with_history, held = grown(elf, n, True)
    seconds = time.perf_counter() - t
    print(f"  history over {n:.0e} instructions of {name}: {held / 2**20:.1f} MiB held; "
          f"the process grew {(with_history - plain) / 2**20:.1f} MiB more than without "
          f"history (beyond RAM; target < 256 MiB; two fresh runs, {seconds:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the instructions")
    ap.add_argument("--accel", help="execution tier (default: the machine's default)")
    args = ap.parse_args(argv)
    global ACCEL
    ACCEL = args.accel
    scale = 10 if args.quick else 1
    print("Reverse execution (bench/workloads/memcpy.S unless named, history on, as with "
          "a debugger attached):")
    try:
        with tempfile.TemporaryDirectory(prefix="rvirt-reverse-") as tmp:
            elf = Builder(Path(tmp)).build("memcpy", ITERS)
            reverse_stepi(elf, 10**7 // scale)
            reverse_continue(elf, 10**7 // scale, watch=False)
            reverse_continue(elf, 10**7 // scale, watch=True)
            memory(elf, 10**8 // scale, "memcpy")
            memory(Builder(Path(tmp)).build("sweep", ITERS), 10**8 // scale, "sweep")
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    flags = (" --quick" if args.quick else "") + (f" --accel {ACCEL}" if ACCEL else "")
    print(f"  (reproduce: {CMD}{flags})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
