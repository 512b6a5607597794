"""The semihosting probe (semihost-probe.S) on rvirt's three tiers and on QEMU 7.2.

Each run happens in an empty working directory `sub` of a temporary folder that also
holds a file `x`: the probe writes `probe.txt` in its working directory and opens
`../x`.  What it prints with SYS_WRITE0 (QEMU: on stderr, as no chardev is named), what
it writes to ":tt" (stdout), the file and the exit status (EXIT_EXTENDED's 42) must be
QEMU's, but for the one documented difference: rvirt refuses `../x` (EACCES) where
QEMU opens the host's file (docs/differences.md).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.cpu import probes
from tests.tooling import ROOT, RVIRT, need

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("semihost-probe.S")
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic", "-bios", "none",
        "-semihosting-config", "enable=on,target=native", "-kernel")
DOTDOT = "17"  # the case that opens ../x


class Run(NamedTuple):
    status: int
    stdout: str
    lines: list[str]  # stderr: the probe's lines
    file: str  # probe.txt as the probe left it


@pytest.fixture(scope="module")
def probe() -> Path:
    return probes.build(PROBE)


def run_in(tmp: Path, command: list[str], env: dict[str, str] | None = None) -> Run:
    sub = tmp / "sub"
    sub.mkdir(parents=True)
    (tmp / "x").write_text("outside\n")
    p = subprocess.run(command, cwd=sub, capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=120, env=env)
    written = sub / "probe.txt"
    return Run(p.returncode, p.stdout.decode(), p.stderr.decode().splitlines(),
               written.read_text() if written.exists() else "")


def on_rvirt(tmp: Path, elf: Path, *options: str) -> Run:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return run_in(tmp, [*RVIRT, *options, *ARGS, str(elf)], env)


@pytest.fixture(scope="module")
def qemu(probe: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    q = need("qemu-system-riscv32")
    return run_in(tmp_path_factory.mktemp("qemu"), [q, *ARGS, str(probe)])


def without_dotdot(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith(DOTDOT + " ")]


def test_qemu_gives_the_key_lines(qemu: Run) -> None:
    """What the comparison below rests on, checked on QEMU itself."""
    assert qemu.status == 42
    assert qemu.stdout == "tt ok\n"
    assert qemu.file == "0123456789"
    assert qemu.lines[:2] == ["S", "write0 ok"]
    assert "08 00000000 36353433" in qemu.lines  # SEEK 3 then READ 4: "3456"
    assert "0f ffffffff 00000002" in qemu.lines  # a missing file: ENOENT
    assert "12 ffffffff 0000000e" in qemu.lines  # a block where nothing is: EFAULT
    assert "18 deadbeef deadbeef" in qemu.lines  # WRITE0/WRITEC: a0 "corrupted"
    assert "1a 00000306 42464853" in qemu.lines  # ":semihosting-features": "SHFB", 3


@pytest.mark.parametrize("accel", probes.TIERS)
def test_semihost_probe_against_qemu(probe: Path, qemu: Run, accel: str,
                                     tmp_path: Path) -> None:
    r = on_rvirt(tmp_path, probe, "-accel", accel)
    assert r.status == qemu.status
    assert r.stdout == qemu.stdout
    assert r.file == qemu.file
    assert without_dotdot(r.lines) == without_dotdot(qemu.lines)


def test_dotdot_differs_from_qemu(probe: Path, qemu: Run, tmp_path: Path) -> None:
    """QEMU opens ../x (a handle, errno still EFAULT from case 12); rvirt refuses it with
    EACCES and reads nothing outside its working directory."""
    r = on_rvirt(tmp_path, probe)
    assert f"{DOTDOT} 00000002 0000000e" in qemu.lines
    assert f"{DOTDOT} ffffffff 0000000d" in r.lines
