"""What the diagnostics cost (issue: learner diagnostics): the same guest programs on the
default tier (native) with nothing attached, with the hints and
`-d int,guest_errors,unimp` (cold paths only: the speed must not change), and with the
profile (at most 3x slower); and the profile's cost on Python blocks (-accel tcg) too.
Run by `make bench` after bench/run.py; prints figures, asserts nothing.

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

from rvirt.board.virt import Board, BoardConfig  # noqa: E402
from rvirt.diag.hints import Hints  # noqa: E402
from rvirt.diag.log import QemuLog  # noqa: E402
from rvirt.diag.profile import Profile  # noqa: E402

EXAMPLES = [ROOT / "examples" / k / "target" / "riscv32imac-unknown-none-elf" / "debug" / k
            for k in ("hello", "trap", "paging")]
P0_BUDGET = 40_000_000
# Loops run this many times bench/run.py's ITERS (tens of millions of instructions), so
# that the native tier's compile time is not all of a run; traps runs its ITERS.
LOOP_SCALE = 10


def attach_none(m: Board) -> None:
    pass


def attach_hints(m: Board) -> None:
    Hints(m, say=lambda s: None).attach()


def attach_log(m: Board) -> None:
    QemuLog(frozenset({"int", "guest_errors", "unimp"}), io.StringIO()).attach(m)


def attach_profile(m: Board) -> None:
    Profile(m).attach()


# (name, what is attached, tier)
MODES = (("plain", attach_none, "native"), ("hints", attach_hints, "native"),
         ("-d int,...", attach_log, "native"), ("-profile", attach_profile, "native"),
         ("tcg", attach_none, "tcg"), ("tcg -profile", attach_profile, "tcg"))


def timed(elf: Path, attach, accel: str, budget: int | None  # noqa: ANN001
          ) -> tuple[float, int]:
    cfg = BoardConfig(ram_size=150 << 20, bios=str(elf), accel=accel)
    m = Board(cfg, console=lambda b: None, notice=lambda s: None)
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
            programs = [(w.name, b.build(w.name, max(1, int(
                w.rvirt_iters * scale * (1 if w.name == "traps" else LOOP_SCALE)))), None)
                for w in WORKLOAD_LIST if w.name in ("intmix", "memcpy", "traps")]
            programs += [(e.parent.parent.parent.parent.name, e, None) for e in EXAMPLES
                         if e.is_file()]
            if P0_ELF.is_file():
                programs.append(("p0", P0_ELF, int(P0_BUDGET * scale)))
            for name, elf, budget in programs:
                print(f"  {name} ...", flush=True)
                secs = {}
                count = None
                for mode, attach, accel in MODES:
                    runs = [timed(elf, attach, accel, budget)
                            for _ in range(max(1, args.runs))]
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
            "profile MIPS", "profile/plain", "tcg MIPS", "tcg profile", "profile/tcg")
    lines = [head]
    for name, count, s in rows:
        plain, hints, log, prof, tcg, tprof = (count / s[m[0]] / 1e6 for m in MODES)
        lines.append((name, f"{count:,}", f"{plain:.2f}", f"{hints:.2f} ({hints / plain:.2f})",
                      f"{log:.2f} ({log / plain:.2f})", f"{prof:.2f}",
                      f"{s['-profile'] / s['plain']:.2f}x", f"{tcg:.2f}", f"{tprof:.2f}",
                      f"{s['tcg -profile'] / s['tcg']:.2f}x"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for n, line in enumerate(lines):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("  plain: the default tier (native); profile/plain: the profile's slowdown "
          "there; profile/tcg: its slowdown on Python blocks (-accel tcg)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
