"""Build bench/probes/timer.S and print what it reports on rvirt and on QEMU 7.2 with
-icount shift=0 (QEMU's default sleep=on, whose virtual clock starts at a host-timed,
run-to-run random offset) and -icount shift=0,sleep=off (deterministic), side by side.

    .venv/bin/python bench/probes/run.py [--window N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = Path(__file__).resolve().parent / "timer.S"
CROSS = "riscv64-unknown-elf-"
MACHINE_ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
LINKER_SCRIPT = """\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.init) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.*) }
}
"""


def build(out: Path, window: int) -> Path:
    lds = out / "probe.ld"
    lds.write_text(LINKER_SCRIPT)
    obj, elf = out / "timer.o", out / "timer.elf"
    subprocess.run([CROSS + "gcc", "-march=rv32imac_zicsr_zifencei", "-mabi=ilp32", "-c",
                    "-nostdlib", f"-DWINDOW={window}", "-o", str(obj), str(PROBE)], check=True)
    subprocess.run([CROSS + "ld", "-m", "elf32lriscv", "--no-warn-rwx-segments", "-T",
                    str(lds), "-o", str(elf), str(obj)], check=True)
    return elf


def report(cmd: list[str]) -> dict[str, int]:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT,
                       stdin=subprocess.DEVNULL)
    values = {}
    for line in r.stdout.splitlines():
        key, eq, value = line.partition("=")
        if eq:
            values[key.strip()] = int(value, 16)
    return values


def signed(v: int | None) -> str:
    if v is None:
        return "-"
    return str(v - (1 << 32) if v >= 1 << 31 else v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--window", type=int, default=20000,
                    help="rounds in each interrupt-count window (default 20000)")
    args = ap.parse_args(argv)
    qemu = shutil.which("qemu-system-riscv32")
    with tempfile.TemporaryDirectory(prefix="rvirt-probe-") as tmp:
        elf = build(Path(tmp), args.window)
        columns = {"rvirt": report([sys.executable, "-m", "rvirt", *MACHINE_ARGS,
                                    "-bios", str(elf)])}
        if qemu is not None:
            for name, icount in (("QEMU sleep=on", "shift=0"),
                                 ("QEMU sleep=off", "shift=0,sleep=off")):
                columns[name] = report([qemu, *MACHINE_ARGS, "-bios", str(elf),
                                        "-icount", icount])
    keys = list(dict.fromkeys(k for col in columns.values() for k in col))
    width = max(map(len, keys), default=0)
    print(f"{'':{width}}  " + "  ".join(f"{n:>14}" for n in columns))
    for k in keys:
        print(f"{k:{width}}  " + "  ".join(f"{signed(col.get(k)):>14}"
                                            for col in columns.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
