"""The random instruction-stream generator: reproducible, covers what it claims to, keeps
its reserved registers intact, and its programs pass on QEMU."""

from __future__ import annotations

import re

import pytest

from tests.cpu.lockstep import randgen
from tests.cpu.lockstep.test_lockstep import RANDOM_LENGTH, RANDOM_SEEDS
from tests.isa.corpus import MACHINE_ARGS
from tests.tooling import assemble, run_qemu

# Instructions that write no integer register, or write it only as a status (sc.w is
# checked like the others: its rd is a destination).
NO_DESTINATION = {"sb", "sh", "sw", "beq", "bne", "blt", "bge", "bltu", "bgeu",
                  "c.sw", "c.swsp", "c.beqz", "c.bnez", "c.j", "c.jal", "c.jr", "c.jalr",
                  "c.nop", "c.ebreak", "ecall", "ebreak", "fence", "fence.tso", "fence.i",
                  "mret", "j", "csrw", ".word"}
RESERVED = {"x2", "x8", "x30", "x31", "sp", "s0", "t5", "t6"}


def _body(text: str) -> list[str]:
    """The generated instructions: between the register setup and the finisher write."""
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index("addi sp, s0, 256") + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("li t6, 0x100000"))
    return [line for line in lines[start:end]
            if line and not line.endswith(":") and not line.startswith(".option")]


def _mnemonics(text: str) -> set[str]:
    return {line.split()[0] for line in _body(text)}


def test_same_seed_same_program() -> None:
    assert randgen.generate(7) == randgen.generate(7)
    assert randgen.generate(7) != randgen.generate(8)


def test_streams_cover_the_instruction_classes() -> None:
    seen: set[str] = set()
    for seed in RANDOM_SEEDS:
        seen |= _mnemonics(randgen.generate(seed, RANDOM_LENGTH))
    wanted = {*randgen.ALU_RR, *randgen.MULDIV, *randgen.ALU_IMM, *randgen.SHIFT_IMM,
              "lui", "auipc", *randgen.LOADS, *randgen.STORES, *randgen.BRANCHES, "jal",
              "jalr", *randgen.AMOS, "lr.w", "sc.w", *randgen.CSR_OPS, *randgen.CSR_IMM_OPS,
              "fence", "fence.i", "ecall", "ebreak", "c.ebreak", ".word",
              "c.addi", "c.li", "c.lui", "c.mv", "c.add", "c.sub", "c.xor", "c.or", "c.and",
              "c.slli", "c.srli", "c.srai", "c.andi", "c.lw", "c.sw", "c.lwsp", "c.swsp",
              "c.addi4spn", "c.beqz", "c.bnez", "c.j", "c.jal", "c.jr", "c.jalr", "c.nop"}
    assert not wanted - seen, f"never generated: {sorted(wanted - seen)}"


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_reserved_registers_are_never_written(seed: int) -> None:
    for line in _body(randgen.generate(seed, RANDOM_LENGTH)):
        mnemonic, _, operands = line.partition(" ")
        if mnemonic.split(".")[0] in NO_DESTINATION or mnemonic in NO_DESTINATION:
            continue
        if mnemonic.startswith("amo") or mnemonic.startswith(("lr.w", "sc.w")):
            dest = operands.split(",")[0].strip()
        else:
            dest = re.split(r"[,\s]", operands.strip())[0]
        assert dest not in RESERVED, f"seed {seed}: {line!r} writes a reserved register"


@pytest.mark.tools
@pytest.mark.parametrize("seed", list(RANDOM_SEEDS)[:4])
def test_streams_pass_on_qemu(seed: int) -> None:
    elf = assemble(randgen.generate(seed, RANDOM_LENGTH), f"randgen_qemu_{seed}")
    r = run_qemu(*MACHINE_ARGS, str(elf))
    assert (r.returncode, r.stdout) == (0, b"")
