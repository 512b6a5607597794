"""Running the probes of tests/cpu (small assembly programs that print one line per case,
`<case> <values...>` in hex) on rvirt and on QEMU 7.2, as the tutorial's command line."""

from __future__ import annotations

from pathlib import Path

from tests.tooling import assemble, run_qemu, run_rvirt

ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")
TIERS = ("interp", "tcg", "native")


def build(source: Path) -> Path:
    """The probe's ELF (probe.h from this folder)."""
    return assemble(source, extra_as=("-I", str(source.parent)))


def lines(stdout: bytes) -> dict[int, str]:
    """case number -> the rest of its line."""
    out = {}
    for line in stdout.decode().splitlines():
        case, rest = line.split(" ", 1)
        out[int(case, 16)] = rest.strip()
    return out


def on_qemu(elf: Path, key_lines: dict[int, str]) -> dict[int, str]:
    """QEMU's lines, checked first against the key lines the test names."""
    q = run_qemu(*ARGS, str(elf))
    assert q.returncode == 0
    out = lines(q.stdout)
    assert {case: out[case] for case in key_lines} == key_lines
    return out


def on_rvirt(elf: Path, *options: str) -> dict[int, str]:
    r = run_rvirt(*options, *ARGS, str(elf))
    assert r.returncode == 0, r.stderr
    return lines(r.stdout)
