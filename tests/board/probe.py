"""Building and running tests/board's S-mode probe kernel (sbi-probe.c), which prints
one `<key> <values...>` line per question it asks its SBI firmware."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.tooling import BUILD, CROSS, MARCH, need, run_qemu

HERE = Path(__file__).parent
KERNEL_BASE = 0x80400000  # where QEMU 7.2 puts a kernel after its rv32 firmware
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
APPEND = "console=ttyS0 probe"
TIERS = ("interp", "tcg", "native")
KEYS = ("boot", "bootargs", "base", "probe", "dbcn-", "putchar", "hsm-", "unknown-",
        "ipi-", "rfence", "srst-", "timer", "legacy-", "still")

LINKER_SCRIPT = f"""\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {{
  . = {KERNEL_BASE:#x};
  .text : {{ *(.text.init) *(.text .text.*) }}
  .rodata : {{ *(.rodata .rodata.*) *(.srodata .srodata.*) }}
  .data : {{ *(.data .data.* .sdata .sdata.*) }}
  .bss : {{ *(.bss .bss.* .sbss .sbss.*) }}
}}
"""


def build() -> Path:
    """The probe kernel's ELF, linked at 0x80400000."""
    gcc, ld = need(CROSS + "gcc"), need(CROSS + "ld")
    BUILD.mkdir(parents=True, exist_ok=True)
    lds = BUILD / "sbi-probe.ld"
    lds.write_text(LINKER_SCRIPT)
    flags = [f"-march={MARCH}", "-mabi=ilp32", "-O1", "-nostdlib", "-ffreestanding",
             "-fno-builtin", "-c"]
    objs = []
    for src in ("sbi-probe.c", "sbi-probe-start.S"):
        obj = BUILD / (src + ".o")
        subprocess.run([gcc, *flags, "-o", str(obj), str(HERE / src)], check=True,
                       capture_output=True, text=True)
        objs.append(str(obj))
    elf = BUILD / "sbi-probe.elf"
    subprocess.run([ld, "-m", "elf32lriscv", "--no-warn-rwx-segments", "-T", str(lds),
                    "-o", str(elf), *objs], check=True, capture_output=True, text=True)
    return elf


def raw(elf: Path) -> Path:
    """The probe as a raw image (as a Linux Image is loaded: at 0x80400000)."""
    out = elf.with_suffix(".bin")
    subprocess.run([need(CROSS + "objcopy"), "-O", "binary", str(elf), str(out)],
                   check=True, capture_output=True, text=True)
    return out


def lines(stdout: bytes) -> dict[str, str]:
    """`key rest` -> {key + first value for base/probe: rest}."""
    out = {}
    for line in stdout.decode(errors="replace").replace("\r", "").splitlines():
        if not line.startswith(KEYS):
            continue
        key, _, rest = line.partition(" ")
        if key in ("base", "probe"):
            first, _, rest = rest.partition(" ")
            key = f"{key} {first}"
        out[key] = rest
    return out


RECORD = Path(__file__).parent / "data" / "sbi-probe-qemu-opensbi-1.3.1.txt"


def opensbi_rv32() -> Path | None:
    """QEMU's rv32 OpenSBI (fw_dynamic): where QEMU looks for it, or $RVIRT_OPENSBI_RV32.
    Debian ships none for rv32: without one, the suite uses RECORD."""
    for path in (os.environ.get("RVIRT_OPENSBI_RV32"),
                 "/usr/share/qemu/opensbi-riscv32-generic-fw_dynamic.bin"):
        if path and Path(path).is_file():
            return Path(path)
    return None


def qemu_opensbi_stdout(kernel: Path, fw: Path) -> bytes:
    q = run_qemu(*ARGS, "-bios", str(fw), "-kernel", str(kernel), "-append", APPEND)
    assert q.returncode == 0
    return q.stdout


def recorded_lines() -> dict[str, str]:
    """The probe's lines as QEMU 7.2 with OpenSBI v1.3.1 printed them (RECORD)."""
    text = "\n".join(line for line in RECORD.read_text().splitlines()
                     if not line.startswith("#"))
    return lines(text.encode())


if __name__ == "__main__":  # --record: write RECORD from a live run
    import sys
    fw = opensbi_rv32()
    if sys.argv[1:] != ["--record"] or fw is None:
        raise SystemExit("usage: RVIRT_OPENSBI_RV32=fw_dynamic.bin python tests/board/probe.py "
                         "--record")
    got = lines(qemu_opensbi_stdout(build(), fw))
    head = [line for line in RECORD.read_text().splitlines() if line.startswith("#")]
    RECORD.write_text("\n".join(head + [f"{k} {v}" for k, v in got.items()]) + "\n")
