"""Record what QEMU's `-d in_asm` log shows for the programs in this folder (<name>.log)
and for the example kernels (examples.log), for tests/isa/test_qemu_disasm.py.

    .venv/bin/python tests/isa/qemu-disasm/record.py

Needs qemu-system-riscv32 (7.2, the version rvirt follows), the RISC-V toolchain and, for
examples.log, the kernels built under examples/.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.isa.test_qemu_disasm import (  # noqa: E402 - after the path set-up
    DIR,
    EXAMPLES,
    EXAMPLES_LOG,
    PROGRAMS,
    build,
    qemu_in_asm,
)


def write(path: Path, source: str, lines: list[str]) -> None:
    version = subprocess.run(["qemu-system-riscv32", "--version"], capture_output=True,
                             text=True, check=True).stdout.splitlines()[0]
    header = f"# {version}: -d in_asm instruction lines of {source}\n"
    path.write_text(header + "".join(line + "\n" for line in lines))
    print(f"{path.name}: {len(lines)} lines")


def main() -> None:
    for program in PROGRAMS:
        write(DIR / f"{program.stem}.log", program.name, qemu_in_asm(build(program)))
    kernels = [k for k in EXAMPLES if k.exists()]
    if len(kernels) < len(EXAMPLES):
        sys.exit("examples.log needs every example kernel built")
    # one line per instruction word: the kernels share most of their code
    lines = {}
    for kernel in kernels:
        for line in qemu_in_asm(kernel, seconds=5):
            lines.setdefault(line.split()[1], line)
    write(EXAMPLES_LOG, "the example kernels " + ", ".join(k.name for k in kernels)
          + " (the first line of each instruction word)", list(lines.values()))


if __name__ == "__main__":
    main()
