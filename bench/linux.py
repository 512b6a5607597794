"""Linux 6.1 rv32 (`make linux`: rvirt's config and test init, linux/README.md) booted
to its init's prompt and to poweroff, rvirt beside QEMU 7.2 in the same run.  Run by
`make bench`; prints figures, asserts no timing (a boot that does not reach its prompt,
echo the typed line or power off with status 0 exits 1).

Every emulator gets the same command line as the board issue's test (tests/linux):

    -machine virt -cpu rv32 -m 256M -smp 2 -nographic -kernel build/linux/Image
    -append console=ttyS0 -drive file=disk.img,if=none,format=raw,id=hd0
    -device virtio-blk-device,drive=hd0

with the firmware in front of it:

* rvirt with its built-in SBI firmware (`-bios default`), on the default tier, and with
  --tiers on each `-accel` too (the interpreter takes minutes);
* the same again, a second run: each rvirt boot starts with an empty code cache (a first
  run, as `make bench`'s other rows), but this one boots with the native code the boot
  before it left in the cache, as any later run of the same kernel does;
* rvirt and QEMU with an rv32 OpenSBI `fw_dynamic` (`-bios FILE`) when the bench finds
  one: $RVIRT_OPENSBI_RV32, or where QEMU looks for its own (Debian ships none for
  rv32; QEMU 7.2 cannot run `-bios default` on rv32 without it).  Without one, QEMU has
  no row.

The prompt is timed when "init> " reaches this process (the guest's output is a pipe);
then the bench types a line, waits for the init's echo, types `poweroff` and times the
exit.  Each row is the best of --runs runs.

    python bench/linux.py [--runs N] [--tiers] [--no-qemu]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from board import table
from run import ROOT, RVIRT, BenchError, cold_env, tool

IMAGE = ROOT / "build" / "linux" / "Image"
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "256M", "-smp", "2", "-nographic",
        "-append", "console=ttyS0")
DISK_TEXT = b"rvirt-disk: made by bench/linux.py\n"
SECTOR = 512
TIMEOUT = 1800.0  # seconds a whole boot may take (the interpreter's is minutes)
SECOND_RUN = "rvirt, built-in firmware, second run"


def opensbi_rv32() -> Path | None:
    for path in (os.environ.get("RVIRT_OPENSBI_RV32"),
                 "/usr/share/qemu/opensbi-riscv32-generic-fw_dynamic.bin"):
        if path and Path(path).is_file():
            return Path(path)
    return None


@dataclass
class Boot:
    prompt: float  # seconds to the init's prompt
    poweroff: float  # seconds from typing poweroff to the emulator's exit
    stats: dict[str, Any]  # rvirt's RVIRT_STATS line (compiles, code cache hits)


def boot(cmd: Sequence[str], who: str, env: dict[str, str] | None = None) -> Boot:
    """One boot, driven as tests/linux drives it, through pipes."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    assert p.stdin is not None and p.stdout is not None
    out = b""
    marks: dict[str, float] = {}
    steps = [(b"init> ", "prompt", b"hello from the bench\n"),
             (b"got: hello from the bench", "echo", b"poweroff\n")]
    try:
        while True:
            left = TIMEOUT - (time.perf_counter() - t0)
            if left <= 0:
                raise BenchError(f"{who}: no {steps[0][0]!r} after {TIMEOUT:.0f} s")
            ready, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            if steps and steps[0][0] in out:
                wanted, name, keys = steps.pop(0)
                marks[name] = time.perf_counter() - t0
                p.stdin.write(keys)
                p.stdin.flush()
        status = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    end = time.perf_counter() - t0
    tail = out[-600:].decode(errors="replace")
    if steps or status != 0 or b"reboot: Power down" not in out:
        raise BenchError(f"{who}: the boot did not end as the init's test does "
                         f"(exit {status}):\n{tail}")
    if b"init: disk written and flushed" not in out or b"2 CPUs" not in out:
        raise BenchError(f"{who}: the init did not report both CPUs and the disk:\n{tail}")
    stats: dict[str, Any] = {}
    path = None if env is None else env.get("RVIRT_STATS")
    if path is not None and Path(path).is_file():  # (rvirt's, not QEMU's)
        lines = Path(path).read_text().splitlines()
        stats = json.loads(lines[-1]) if lines else {}
    return Boot(marks["prompt"], end - marks["echo"], stats)


def disk(tmp: Path) -> Path:
    image = tmp / "disk.img"
    image.write_bytes(DISK_TEXT.ljust(SECTOR, b"\0") + bytes(SECTOR * 2047))
    return image


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1, help="runs per row (the best reported)")
    ap.add_argument("--tiers", action="store_true", help="each -accel too")
    ap.add_argument("--no-qemu", action="store_true", help="rvirt only")
    args = ap.parse_args(argv)
    if not IMAGE.is_file():
        print(f"bench: {IMAGE} is missing (make linux)", file=sys.stderr)
        return 1
    os.environ.pop("RVIRT_ACCEL", None)  # "rvirt" is the default tier itself
    compileall.compile_dir(ROOT / "rvirt", quiet=1)  # start-up loads bytecode (bench/run.py)
    fw = opensbi_rv32()
    rvirt = list(RVIRT)
    # Each boot of rvirt starts with an empty code cache (a first run), but the second
    # run's, which finds what the last boot of the row above it left there.
    rows: list[tuple[str, list[str]]] = [("rvirt, built-in firmware", rvirt),
                                         (SECOND_RUN, rvirt)]
    if args.tiers:
        rows += [(f"rvirt -accel {t}, built-in firmware", [*rvirt, "-accel", t])
                 for t in ("interp", "tcg", "native")]
    results: list[tuple[str, Boot]] = []
    try:
        if fw is not None:
            rows.append((f"rvirt -bios {fw.name}", [*rvirt, "-bios", str(fw)]))
            if not args.no_qemu:
                rows.append((f"QEMU -bios {fw.name}",
                             [tool("qemu-system-riscv32"), "-bios", str(fw)]))
        with tempfile.TemporaryDirectory(prefix="rvirt-linux-") as tmp:
            env: dict[str, str] = {}
            for label, emulator in rows:
                best: Boot | None = None
                for _ in range(max(1, args.runs)):
                    image = disk(Path(tmp))
                    cmd = [*emulator, *ARGS, "-kernel", str(IMAGE), "-drive",
                           f"file={image},if=none,format=raw,id=hd0", "-device",
                           "virtio-blk-device,drive=hd0"]
                    if label != SECOND_RUN:
                        env = cold_env()
                    stats = Path(tmp) / "stats.jsonl"
                    stats.unlink(missing_ok=True)
                    env["RVIRT_STATS"] = str(stats)
                    b = boot(cmd, label, env)
                    if not image.read_bytes().startswith(b"written-by-linux\n"):
                        raise BenchError(f"{label}: the init's write is not in the image")
                    if best is None or b.prompt < best.prompt:
                        best = b
                    print(f"  {label}: prompt {b.prompt:.2f} s", file=sys.stderr)
                assert best is not None
                results.append((label, best))
    except (BenchError, subprocess.TimeoutExpired) as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    qemu = next((b.prompt for label, b in results if label.startswith("QEMU")), None)
    print()
    print(f"Linux 6.1 rv32 ({IMAGE.relative_to(ROOT)}, {' '.join(ARGS)}, a virtio-blk disk): "
          f"wall time, best of {max(1, args.runs)}")
    print()
    head = ("", "to the init's prompt", "poweroff to exit", "prompt / QEMU's",
            "compiled", "cached")
    lines = [head] + [(label, f"{b.prompt:.2f} s", f"{b.poweroff:.2f} s",
                       "" if qemu is None else f"{b.prompt / qemu:.1f}x",
                       str(b.stats.get("native", "-")), str(b.stats.get("cached", "-")))
                      for label, b in results]
    table(lines)
    print("\ncompiled: blocks LLVM compiled (both harts); cached: blocks whose native code "
          "came from the code cache instead")
    if fw is None:
        print("\nNo rv32 OpenSBI found (set RVIRT_OPENSBI_RV32 to a fw_dynamic.bin): no QEMU row.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
