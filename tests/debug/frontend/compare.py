"""Run one command list through `rvirt -debugger` (commands on stdin) and through
gdb-multiarch on QEMU (scripts/demo.py), and split both transcripts into answers."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from tests.tooling import ROOT, RVIRT, run_demo

MACHINE = ["-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic"]
# What interactive gdb prints and gdb -batch (the QEMU side) does not (from_tty lines).
FROM_TTY = re.compile(r"^(Continuing\.|Run till exit from .*|Run back to call of .*|"
                      r"\(More stack frames follow\.\.\.\))$")


def rvirt_session(elf: Path, commands: list[str], *extra: str, timeout: float = 300
                  ) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `rvirt ... -bios ELF -debugger` fed `commands`,
    the guest's UART output kept apart (-serial file:), as QEMU's is from gdb's."""
    with tempfile.TemporaryDirectory() as tmp:
        serial = Path(tmp) / "uart.txt"
        proc = subprocess.run([*RVIRT, *MACHINE, "-bios", str(elf), "-debugger",
                               "-serial", f"file:{serial}", *extra],
                              input="".join(c + "\n" for c in commands).encode(),
                              capture_output=True, timeout=timeout, cwd=ROOT)
        uart = serial.read_bytes().decode(errors="replace") if serial.exists() else ""
    return proc.returncode, proc.stdout.decode(errors="replace"), \
        proc.stderr.decode(errors="replace") + uart


def gdb_session(demo: ModuleType, elf: Path, commands: list[str]) -> str:
    """gdb-multiarch's transcript on QEMU (the first command attaches)."""
    escaped = [c.replace("{", "{{").replace("}", "}}") for c in commands]
    status, transcript = run_demo(demo, "qemu", elf, ["target remote localhost:{port}",
                                                      *escaped])
    assert status == 0, transcript
    return transcript


def answers(transcript: str, prompt: str) -> list[tuple[str, list[str]]]:
    """[(command, lines it printed)], the lines before the first prompt as command ''."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for line in transcript.splitlines():
        if line.startswith("--- "):  # demo.py: what the emulator printed follows
            break
        if line.startswith(prompt):
            out.append((line[len(prompt):], []))
        else:
            out[-1][1].append(line)
    return out


def facts(lines: list[str]) -> list[str]:
    """An answer without gdb's from_tty lines and the guest's console output."""
    return [ln for ln in lines if not FROM_TTY.match(ln)]


def side_by_side(elf: Path, demo: ModuleType, commands: list[str]
                 ) -> list[tuple[str, list[str], list[str]]]:
    """[(command, rvirt's answer, gdb's answer)], the attach line first."""
    _, out, err = rvirt_session(elf, commands)
    ours = answers(out, "(rvirt) ")
    theirs = answers(gdb_session(demo, elf, commands), "(gdb) ")
    # gdb's: [("", []), ("target remote ...", [attach line]), (cmd, ...), ...]
    theirs = [("", theirs[1][1]), *theirs[2:]]
    assert [c for c, _ in ours] == [c for c, _ in theirs], (out, err)
    return [(c, facts(a), facts(b)) for (c, a), (_, b) in zip(ours, theirs, strict=True)]


if __name__ == "__main__":  # python -m tests.debug.frontend.compare ELF CMD...
    import importlib.util
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts/demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    bad = 0
    for cmd, mine, gdb in side_by_side(Path(sys.argv[1]), demo, sys.argv[2:]):
        mark = "  " if mine == gdb else "!!"
        bad += mine != gdb
        print(f"{mark} {cmd}")
        if mine != gdb:
            for ln in mine:
                print(f"   rvirt| {ln}")
            for ln in gdb:
                print(f"   gdb  | {ln}")
    print(f"{bad} differ")
