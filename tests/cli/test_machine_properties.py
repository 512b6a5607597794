"""`-machine virt,PROP=VALUE`: QEMU 7.2's virt machine properties.  An unknown property, a
malformed one and a bad boolean fail as they fail on QEMU, in QEMU's words; those rvirt
honours run; those it cannot honour are refused in one line that says so, never ignored.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rvirt.cli import MACHINE_PROPERTIES
from tests.cli.guest import ARGS, FINISHER_PASS, GREETING, one_error_line, print_then_finish
from tests.tooling import assemble, need, run_rvirt

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def hello_elf() -> Path:
    return assemble(print_then_finish(FINISHER_PASS), "cli_machine_props_hello")


def _qemu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need("qemu-system-riscv32"), *args], capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_the_table_has_every_property_qemu_lists() -> None:
    r = _qemu("-M", "virt,help")
    listed = set(re.findall(r"^  ([a-z][a-z0-9-]*)=", r.stdout, re.M))
    assert {"aclint", "aia", "dumpdtb", "kernel"} <= listed
    assert listed <= set(MACHINE_PROPERTIES)


@pytest.mark.parametrize(("prop", "says"), [
    ("foo=bar", "Property 'virt-machine.foo' not found"),
    ("aclint=maybe", "Parameter 'aclint' expects 'on' or 'off'"),
    ("aclint", "Expected '=' after parameter 'aclint'"),
])
def test_refused_as_qemu_refuses(prop: str, says: str, hello_elf: Path) -> None:
    q = _qemu(*ARGS, "-M", f"virt,{prop}", "-bios", str(hello_elf))
    assert q.returncode == 1 and says in q.stderr
    line = one_error_line(run_rvirt(*ARGS, "-M", f"virt,{prop}", "-bios", str(hello_elf)))
    assert says in line


@pytest.mark.parametrize("props", [
    "aclint=off,aia=none,aia-guests=0",
    "aclint=on",
    "usb=off,graphics=off,mem-merge=off,dump-guest-core=off,suppress-vmdesc=on",
    "aclint=on,aclint=off",  # the last one counts, as on QEMU
])
def test_honoured_properties_run(props: str, hello_elf: Path) -> None:
    r = run_rvirt(*ARGS, "-M", f"type=virt,{props}", "-bios", str(hello_elf))
    assert (r.returncode, r.stdout.decode(), r.stderr.decode()) == (0, GREETING, "")


@pytest.mark.parametrize(("props", "aclint"), [
    ("aclint=on", True), ("aclint=yes", True), ("aclint=off", False),
    ("aclint=off,aclint=on", True), ("aclint=on,aclint=off", False), ("usb=off", False),
])
def test_aclint_reaches_the_board(props: str, aclint: bool) -> None:
    from rvirt.cli import Options, build_machine, parse_machine
    o = Options(bios="none")
    parse_machine(o, f"virt,{props}")
    assert o.aclint is aclint
    m = build_machine(o)
    assert m.config.aclint is aclint
    assert (m.bus.find(0x2F0_0000) is not None) is aclint


def test_firmware_and_kernel_properties_are_bios_and_kernel(hello_elf: Path) -> None:
    r = run_rvirt(*ARGS, "-M", f"virt,firmware={hello_elf}")
    assert (r.returncode, r.stdout.decode()) == (0, GREETING)
    r = run_rvirt(*ARGS, "-M", f"virt,kernel={hello_elf}", "-bios", "none")
    assert (r.returncode, r.stdout.decode()) == (0, GREETING)


@pytest.mark.parametrize("prop", [
    "aia=aplic", "aia=aplic-imsic", "dt-compatible=foo", "smp=2", "memory=64M",
    "phandle-start=5", "memory-backend=m0", "boot=c",
])
def test_what_rvirt_cannot_honour_is_refused(prop: str, hello_elf: Path) -> None:
    line = one_error_line(run_rvirt(*ARGS, "-M", f"virt,{prop}", "-bios", str(hello_elf)))
    assert prop.split("=")[0] in line


def test_dumpdtb_writes_the_guests_tree(tmp_path: Path, hello_elf: Path) -> None:
    from rvirt.board.virt import Board, BoardConfig
    out = tmp_path / "virt.dtb"
    r = run_rvirt(*ARGS, "-M", f"virt,dumpdtb={out}", "-bios", str(hello_elf))
    assert r.returncode == 0 and r.stdout == b""
    assert r.stderr.decode() == f"rvirt: info: dtb dumped to {out}. Exiting.\n"
    # The guest's tree, but for /chosen/rng-seed: fresh random bytes each boot, as on QEMU
    got = out.read_bytes()
    want = Board(BoardConfig(ram_size=150 << 20, bios=str(hello_elf),
                                 rng_seed=bytes(32))).dtb
    at = want.find(bytes(32))
    assert len(got) == len(want) and at > 0
    assert got[:at] + bytes(32) + got[at + 32:] == want
    q = _qemu(*ARGS, "-M", f"virt,dumpdtb={tmp_path / 'qemu.dtb'}", "-bios", str(hello_elf))
    assert q.returncode == 0 and "dtb dumped to" in q.stderr
    line = one_error_line(run_rvirt(*ARGS, "-M", "virt,dumpdtb=/nonexistent/x.dtb", "-bios",
                                    str(hello_elf)))
    assert "/nonexistent/x.dtb" in line
