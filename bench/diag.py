"""What the diagnostics cost (issue: learner diagnostics): the same guest programs on the
default tier with nothing attached, with the hints and `-d int,guest_errors,unimp` (cold
paths only: the speed must not change), and with the profile (at most 3x slower than
the Python blocks it runs on; the native tier does not run profiled code).  Run
by `make bench` after bench/run.py; prints figures, asserts nothing.

    python bench/diag.py [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from run import P0_ELF, ROOT, WORKLOAD_LIST, BenchError, Builder

sys.path.insert(0, str(ROOT))

from rvirt.board.virt import Machine, MachineConfig  # noqa: E402
from rvirt.diag.hints import Hints  # noqa: E402
from rvirt.diag.log import QemuLog  # noqa: E402
from rvirt.diag.profile import Profile  # noqa: E402

EXAMPLES = [ROOT / "examples" / k / "target" / "riscv32imac-unknown-none-elf" / "debug" / k
            for k in ("hello", "trap", "paging")]
P0_BUDGET = 4_000_000


def attach_none(m: Machine) -> None:
    pass


def attach_tcg(m: Machine) -> None:
    """Nothing attached, on Python blocks: the tier the profile runs on (its block hook
    keeps code out of the native tier)."""


def attach_hints(m: Machine) -> None:
    Hints(m, say=lambda s: None).attach()


def attach_log(m: Machine) -> None:
    QemuLog(frozenset({"int", "guest_errors", "unimp"}), io.StringIO()).attach(m)


def attach_profile(m: Machine) -> None:
    Profile(m).attach()


MODES = (("plain", attach_none), ("tcg", attach_tcg), ("hints", attach_hints),
         ("-d int,...", attach_log), ("-profile", attach_profile))


def timed(elf: Path, attach, budget: int | None) -> tuple[float, int]:  # noqa: ANN001
    cfg = MachineConfig(ram_size=150 << 20, bios=str(elf))
    if attach is attach_tcg:
        cfg.accel = "tcg"
    m = Machine(cfg, console=lambda b: None, notice=lambda s: None)
    attach(m)
    t0 = time.perf_counter()
    m.run(budget)
    return time.perf_counter() - t0, m.hart.instret


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per mode (median)")
    ap.add_argument("--quick", action="store_true", help="a tenth of the work")
    args = ap.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="rvirt-bench-") as tmp:
            b = Builder(Path(tmp))
            programs = [(w.name, b.build(w.name, max(1, int(w.rvirt_iters * scale))), None)
                        for w in WORKLOAD_LIST if w.name in ("intmix", "memcpy", "traps")]
            programs += [(e.parent.parent.parent.parent.name, e, None) for e in EXAMPLES
                         if e.is_file()]
            if P0_ELF.is_file():
                programs.append(("p0", P0_ELF, int(P0_BUDGET * scale)))
            for name, elf, budget in programs:
                print(f"  {name} ...", flush=True)
                secs = {}
                count = None
                for mode, attach in MODES:
                    runs = [timed(elf, attach, budget) for _ in range(max(1, args.runs))]
                    secs[mode] = statistics.median(r[0] for r in runs)
                    if count is not None and runs[0][1] != count:
                        raise BenchError(f"{name}: {mode} retired {runs[0][1]}, not {count}")
                    count = runs[0][1]
                rows.append((name, count, secs))
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    print()
    print("Diagnostics on the default tier (in process, median of "
          f"{max(1, args.runs)}; each mode retires the same instructions; in brackets: "
          "the ratio to plain):")
    head = ("program", "instructions", "plain MIPS", "hints (default)", "-d int,...",
            "profile MIPS", "profile/tcg", "profile/plain")
    lines = [head]
    for name, count, s in rows:
        plain, tcg, hints, log, prof = (count / s[m] / 1e6 for m, _ in MODES)
        lines.append((name, f"{count:,}", f"{plain:.2f}", f"{hints:.2f} ({hints / plain:.2f})",
                      f"{log:.2f} ({log / plain:.2f})", f"{prof:.2f}",
                      f"{s['-profile'] / s['tcg']:.2f}x", f"{s['-profile'] / s['plain']:.2f}x"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("  plain: the default tier; profile/tcg: the profile's slowdown against Python "
          "blocks (-accel tcg), the tier it runs on; profile/plain: against the default")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
