"""Harts (-smp N): the smp probe (smp-probe.S) prints what QEMU 7.2 prints, on every tier:
hart ids and the ROM's a0/a1 on every hart, LR/SC and AMOs under contention, IPIs through
each hart's CLINT msip, each hart's own mtimecmp, the PLIC's two contexts per hart.  The
device tree lists the harts as QEMU's does.  Runs repeat exactly, and the quantum changes
the interleaving, not the result."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rvirt.board.devicetree import virt_device_tree
from tests.cpu import probes
from tests.tooling import BUILD, ROOT, assemble, need, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("smp-probe.S")
ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
ROUNDS = 300
# the harts' probes include tests/cpu/probe.h and tests/board/harts.h
PROBE_INCLUDES = ("-I", str(ROOT / "tests" / "cpu"), "-I", str(ROOT / "tests" / "board"))


def build(harts: int) -> Path:
    return assemble(PROBE, f"smp-probe-{harts}",
                    extra_as=(*PROBE_INCLUDES, f"-DHARTS={harts}"))


@pytest.fixture(scope="module", params=[2, 4])
def harts(request: pytest.FixtureRequest) -> int:
    return request.param


@pytest.fixture(scope="module")
def qemu_out(harts: int) -> str:
    q = run_qemu(*ARGS, "-smp", str(harts), "-bios", str(build(harts)))
    assert q.returncode == 0, q.stderr
    return q.stdout.decode()


def expected_lines(out: str, harts: int) -> None:
    """What the probe must show whatever the emulator (checked on QEMU's output too)."""
    lines = out.splitlines()
    ids = [f"{h:08x}" for h in range(harts)]
    assert [ln.split()[1:3] for ln in lines if ln.startswith("00000001")] == [
        [i, i] for i in ids]
    total = f"{harts * ROUNDS:08x}"
    assert f"00000002 {total} {total} " in lines
    assert [ln.split()[1:] for ln in lines if ln.startswith("00000003")] == [
        [i, "00000008"] for i in ids[1:]]
    assert [ln.split()[1:] for ln in lines if ln.startswith("00000004")] == [
        [i, "00000080"] for i in ids]
    assert len([ln for ln in lines if ln.startswith("00000005")]) == 2 * harts
    assert not any(ln.startswith("000000ee") for ln in lines)


@pytest.mark.parametrize("accel", probes.TIERS)
def test_smp_probe_against_qemu(harts: int, qemu_out: str, accel: str) -> None:
    expected_lines(qemu_out, harts)
    r = run_rvirt("-accel", accel, *ARGS, "-smp", str(harts), "-bios", str(build(harts)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == qemu_out


def test_runs_repeat_and_the_quantum_changes_only_the_interleaving() -> None:
    elf = str(build(4))
    outs = [run_rvirt("-accel", "interp", *ARGS, "-smp", "cpus=4", *extra, "-bios", elf)
            for extra in ((), (), ("-smp-quantum", "7"))]
    assert all(r.returncode == 0 for r in outs)
    assert outs[0].stdout == outs[1].stdout == outs[2].stdout


def test_device_tree_lists_the_harts_as_qemu() -> None:
    dtc = need("dtc")
    q = BUILD / "qemu-smp3.dtb"
    r = run_qemu("-machine", f"virt,dumpdtb={q}", "-cpu", "rv32", "-m", "150M", "-smp", "3",
                 "-nographic", "-bios", "none")
    assert r.returncode == 0
    mine = BUILD / "rvirt-smp3.dtb"
    r = run_rvirt("-machine", f"virt,dumpdtb={mine}", "-cpu", "rv32", "-m", "150M", "-smp",
                  "3", "-nographic", "-bios", "none")
    assert r.returncode == 0, r.stderr
    ours = mine.read_bytes()
    assert ours.startswith(virt_device_tree(150 << 20, rng_seed=bytes(32), harts=3)[:8])

    def section(blob: bytes, start: str, stop: str) -> str:
        text = subprocess.run([dtc, "-I", "dtb", "-O", "dts", "-"], input=blob,
                              capture_output=True, check=True).stdout.decode()
        text = text[text.index(start):]
        return text[:text.index(stop)]

    qemu = q.read_bytes()
    for start, stop in (("cpus {", "soc {"), ("plic@", "};"), ("clint@", "};")):
        a, b = section(qemu, start, stop), section(ours, start, stop)
        assert a.replace(_qemu_isa(a), "ISA") == b.replace(_qemu_isa(b), "ISA")


def _qemu_isa(text: str) -> str:
    """The riscv,isa string (it differs by design: rvirt says what it implements)."""
    i = text.find('riscv,isa = "')
    return "" if i < 0 else text[i:text.index(";", i)]


@pytest.mark.parametrize("spec", ["9", "2,sockets=2", "3,cores=2", "2,maxcpus=4", "x"])
def test_bad_smp_is_one_line(spec: str) -> None:
    r = run_rvirt(*ARGS, "-smp", spec, "-bios", "none")
    assert r.returncode == 1
    assert len(r.stderr.decode().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(b"rvirt: -smp")


# Two harts take tickets with amoadd.w and write their hart id at their ticket's slot;
# hart 0 prints the slots once all are taken: the interleaving, as the emulator chose it.
RACE = """\
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    la s0, counter
    la s1, log
    li s2, 96                  # tickets per hart
1:  li t0, 1
    amoadd.w t1, t0, (s0)
    add t2, s1, t1
    addi t3, a0, 0x30          # '0' + hart id
    sb t3, 0(t2)
    addi s2, s2, -1
    bnez s2, 1b
    bnez a0, 3f
2:  lw t0, 0(s0)               # hart 0: wait for every ticket, then print the log
    li t1, 192
    bne t0, t1, 2b
    li t4, 0x10000000
    li t5, 0
4:  add t2, s1, t5
    lbu t3, 0(t2)
    sb t3, 0(t4)
    addi t5, t5, 1
    bne t5, t1, 4b
    li t3, 10
    sb t3, 0(t4)
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
3:  wfi
    j 3b
    .data
counter: .word 0
log: .space 192
"""


def test_the_seed_varies_the_interleaving_the_same_way_every_run() -> None:
    """-smp-seed: the same seed gives the same interleaving every run and on every tier,
    another seed another one, and without it the default turns."""
    elf = assemble(RACE, "smp-race")

    def log(*options: str, accel: str = "native") -> str:
        r = run_rvirt(*ARGS, "-smp", "2", "-smp-quantum", "8", "-accel", accel, *options,
                      "-bios", str(elf))
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode().strip()
        assert sorted(out) == ["0"] * 96 + ["1"] * 96
        return out

    plain = log()
    seeded = [log("-smp-seed", str(seed)) for seed in (1, 1, 2)]
    assert seeded[0] == seeded[1] == log("-smp-seed", "1", accel="interp")
    assert len({plain, seeded[0], seeded[2]}) == 3
    bad = run_rvirt(*ARGS, "-smp-seed", "nope", "-bios", str(elf))
    assert bad.returncode == 1 and bad.stderr == b"rvirt: -smp-seed nope: expected a number >= 0\n"


# Hart 1 makes func hot (translated on its tier), then waits; hart 0, in a loop hot enough
# to be translated, rewrites func's `addi a1, a1, 1` into `addi a1, a1, 2` on one
# iteration in its middle (a translated store: hart 0 never translated func, so its own
# word map does not see code there).  Hart 1 runs fence.i, calls func once more and prints a1.
CROSS_HART_PATCH = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    csrr a0, mhartid
    la s2, patch
    la s3, flag
    la s6, dummy
    bnez a0, hart1
1:  lw t0, 0(s3)               # hart 0: until func is hot on hart 1
    beqz t0, 1b
    li s0, 2000
    li s4, 0x00258593          # addi a1, a1, 2
2:  mv t2, s6
    li t0, 1000
    bne s0, t0, 3f
    mv t2, s2                  # one iteration in the middle stores into func
3:  sw s4, 0(t2)
    addi s0, s0, -1
    bnez s0, 2b
    li t0, 2
    sw t0, 0(s3)
4:  wfi
    j 4b
hart1:
    li s1, 1000
5:  jal ra, func
    addi s1, s1, -1
    bnez s1, 5b
    li t0, 1
    sw t0, 0(s3)
    li t1, 2
6:  lw t0, 0(s3)
    bne t0, t1, 6b
    fence.i
    li a1, 0
    jal ra, func
    addi t3, a1, 0x30
    li t4, 0x10000000
    sb t3, 0(t4)
    li t3, 10
    sb t3, 0(t4)
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
7:  j 7b
func:
patch:
    addi a1, a1, 1
    ret
    .data
flag: .word 0
dummy: .word 0
"""


@pytest.mark.parametrize("accel", ["native", "tcg", "interp"])
def test_fence_i_sees_code_another_harts_translated_store_rewrote(accel: str) -> None:
    """Zifencei: after its fence.i a hart fetches what another hart stored, even when
    the store came from translated code that knew nothing of this hart's blocks."""
    elf = assemble(CROSS_HART_PATCH, "smp-cross-hart-patch")
    q = run_qemu(*ARGS, "-smp", "2", "-bios", str(elf))
    assert q.returncode == 0 and q.stdout == b"2\n", q
    r = run_rvirt(*ARGS, "-smp", "2", "-accel", accel, "-bios", str(elf))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"2\n"
