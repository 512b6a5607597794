"""The privileged test programs (tests/cpu/priv/*.S) and how to build them."""

from __future__ import annotations

from pathlib import Path

from tests.tooling import assemble

HERE = Path(__file__).resolve().parent
INCLUDE = HERE / "include"
PROGRAMS = sorted(p.stem for p in HERE.glob("*.S"))
MACHINE_ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios")


def build(name: str) -> Path:
    return assemble(HERE / f"{name}.S", f"priv_{name}", extra_as=("-I", str(INCLUDE)))
