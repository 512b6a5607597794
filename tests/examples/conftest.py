"""The example kernels as test inputs: built by `make test` (make examples) before pytest;
built here on demand when missing, with the offline route of examples/p0."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.tooling import ROOT, need

TARGET = "riscv32imac-unknown-none-elf"
P0 = ROOT / "examples" / "p0"
P0_ELF = P0 / "target" / TARGET / "debug" / "p0"
P0_NOSCRIPT_ELF = P0 / "target" / "no-linker-script" / TARGET / "debug" / "p0"


def _build(elf: Path, *extra: str, project: Path = P0, rebuild: bool = False) -> Path:
    if elf.is_file() and not rebuild:
        return elf
    need("riscv64-unknown-elf-ld")
    if not Path("/usr/bin/cargo").exists():
        need("cargo-offline-debian")  # skips locally, fails in CI, with a clear name
    env = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""), RUSTC_BOOTSTRAP="1")
    subprocess.run(["cargo", "--config", ".cargo/offline.toml", "build", "--offline", *extra],
                   cwd=project, env=env, check=True, capture_output=True, timeout=600)
    assert elf.is_file()
    return elf


@pytest.fixture(scope="session")
def p0_elf() -> Path:
    return _build(P0_ELF)


@pytest.fixture(scope="session")
def p0_noscript_elf() -> Path:
    return _build(P0_NOSCRIPT_ELF, "--features", "no-linker-script", "--target-dir",
                  "target/no-linker-script")


MISTAKES = ("no-stack", "no-trap-handler", "rom-store", "no-device")
P0_MISTAKES = P0 / "target" / "mistakes"


@pytest.fixture(scope="session")
def p0_mistake_elf() -> Callable[[str], Path]:
    """p0 built with one of its classic-mistake features (examples/p0/Cargo.toml), as
    `make p0-mistakes` leaves it in target/mistakes/bin/p0-<feature>."""
    def build(feature: str) -> Path:
        assert feature in MISTAKES
        out = P0_MISTAKES / "bin" / f"p0-{feature}"
        if not out.is_file():
            elf = _build(P0_MISTAKES / TARGET / "debug" / "p0", "--features", feature,
                         "--target-dir", "target/mistakes", rebuild=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(elf.read_bytes())
        return out
    return build


@pytest.fixture(scope="session")
def example_elf() -> Callable[[str], Path]:
    """The ELF of examples/<name> (hello, trap, paging), built like p0 when missing."""
    def build(name: str) -> Path:
        project = ROOT / "examples" / name
        return _build(project / "target" / TARGET / "debug" / name, project=project)
    return build


@pytest.fixture(scope="session")
def demo() -> ModuleType:
    """scripts/demo.py: starts an emulator with -S and drives gdb-multiarch through a
    session; the tests run the same session on rvirt and on QEMU."""
    spec = importlib.util.spec_from_file_location("rvirt_demo", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
