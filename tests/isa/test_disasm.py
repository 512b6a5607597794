"""The disassembler against objdump: every instruction of every corpus program must
disassemble to exactly the text of `riscv64-unknown-elf-objdump -d -M no-aliases`
(without objdump's ` # ...` comments and ` <symbol>` annotations).  And the corpus must
contain every instruction of RV32IMAC + Zicsr + Zifencei."""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cpu.lockstep import randgen
from tests.isa import corpus
from tests.tooling import CROSS, assemble, need

pytestmark = pytest.mark.tools

# Every mnemonic of RV32I, M, A, C (without F/D), Zicsr and Zifencei as objdump prints it
# with -M no-aliases; `c.nop` stands for objdump's `c.addi zero,0`.
RV32I = ["lui", "auipc", "jal", "jalr", "beq", "bne", "blt", "bge", "bltu", "bgeu",
         "lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw",
         "addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli", "srai",
         "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
         "fence", "fence.tso", "ecall", "ebreak"]
RV32M = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
_AMO = ["amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w",
        "amomin.w", "amomax.w", "amominu.w", "amomaxu.w"]
RV32A = [op + order for op in ["lr.w", "sc.w", *_AMO] for order in ("", ".aq", ".rl", ".aqrl")]
RV32C = ["c.addi4spn", "c.lw", "c.sw", "c.nop", "c.addi", "c.jal", "c.li", "c.addi16sp",
         "c.lui", "c.srli", "c.srai", "c.andi", "c.sub", "c.xor", "c.or", "c.and", "c.j",
         "c.beqz", "c.bnez", "c.slli", "c.lwsp", "c.jr", "c.mv", "c.ebreak", "c.jalr",
         "c.add", "c.swsp"]
ZICSR = ["csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci"]
ZIFENCEI = ["fence.i"]
REQUIRED_MNEMONICS = RV32I + RV32M + RV32A + RV32C + ZICSR + ZIFENCEI

# `80000044:\t02828613          \taddi\ta2,t0,40 # comment`
_LINE = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f]+)\s+\t([^\t]+)(?:\t(.*))?$")
_SYMBOL = re.compile(r" <[^>]*>")


@dataclass(frozen=True)
class Insn:
    addr: int
    word: int
    text: str      # mnemonic, then a TAB and the operands if there are any
    line: str      # objdump's line, for messages

    @property
    def mnemonic(self) -> str:
        return self.text.split("\t", 1)[0]


def parse_objdump(output: str) -> list[Insn]:
    """The instruction lines of `objdump -d` output, with data lines (`.word`, `.short`,
    `.2byte`, ...) and `unimp` left out."""
    out = []
    for line in output.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        addr, hexword, mnemonic, operands = m.groups()
        mnemonic = mnemonic.strip()
        if mnemonic.startswith(".") or mnemonic in ("unimp", "c.unimp"):
            continue
        assert len(hexword) in (4, 8), line
        text = mnemonic
        if operands:
            operands = operands.split(" #", 1)[0]
            operands = _SYMBOL.sub("", operands).strip()
            if operands:
                text += "\t" + operands
        out.append(Insn(int(addr, 16), int(hexword, 16), text, line))
    return out


def test_parse_objdump_lines() -> None:
    sample = (
        "80000000 <_start>:\n"
        "80000000:\t0ff0000f          \tfence\tiorw,iorw\n"
        "80000004:\t8330000f          \tfence.tso\n"
        "80000048:\tfab50ce3          \tbeq\ta0,a1,80000000 <_start>\n"
        "80000050:\t004500e7          \tjalr\tra,4(a0) # 80001044 <_start+0x1044>\n"
        "80000054:\tffffffff          \t.word\t0xffffffff\n"
        "8000005c:\t0001                \tc.addi\tzero,0\n"
        "80000080:\t0000                \t.short\t0x0000\n"
        "\t...\n")
    got = [(i.addr, i.word, i.text) for i in parse_objdump(sample)]
    assert got == [(0x80000000, 0x0FF0000F, "fence\tiorw,iorw"),
                   (0x80000004, 0x8330000F, "fence.tso"),
                   (0x80000048, 0xFAB50CE3, "beq\ta0,a1,80000000"),
                   (0x80000050, 0x004500E7, "jalr\tra,4(a0)"),
                   (0x8000005C, 0x0001, "c.addi\tzero,0")]


def _objdump(elf: Path) -> tuple[Insn, ...]:
    objdump = need(CROSS + "objdump")
    r = subprocess.run([objdump, "-d", "-M", "no-aliases", str(elf)], check=True,
                       capture_output=True, text=True)
    return tuple(parse_objdump(r.stdout))


@functools.cache
def objdump_insns(name: str) -> tuple[Insn, ...]:
    return _objdump(corpus.build(name))


def canonical_mnemonic(insn: Insn) -> str:
    return "c.nop" if insn.text == "c.addi\tzero,0" else insn.mnemonic


def check_against_objdump(name: str, insns: tuple[Insn, ...]) -> None:
    from rvirt.isa.disasm import disassemble

    assert insns, f"objdump found no instructions in {name}"
    wrong = []
    for insn in insns:
        try:
            got = disassemble(insn.word, insn.addr)
        except Exception as e:  # report every instruction, not just the first crash
            got = f"<{type(e).__name__}: {e}>"
        if got != insn.text:
            wrong.append(f"  {insn.addr:08x}: {insn.word:0{8 if insn.word & 3 == 3 else 4}x}"
                         f"  objdump {insn.text!r}  rvirt {got!r}")
    assert not wrong, (f"{name}: {len(wrong)} of {len(insns)} instructions differ "
                       "from objdump:\n" + "\n".join(wrong[:40]))


@pytest.mark.parametrize("name", corpus.PROGRAMS)
def test_disassembler_matches_objdump(name: str) -> None:
    check_against_objdump(name, objdump_insns(name))


@pytest.mark.parametrize("seed", range(4))
def test_disassembler_matches_objdump_on_random_streams(seed: int) -> None:
    """Streams from the lock-step generator: every register, many immediates."""
    elf = assemble(randgen.generate(seed, 600), f"disasm_random_{seed}")
    check_against_objdump(f"random stream {seed}", _objdump(elf))


def test_corpus_covers_every_instruction() -> None:
    assert len(set(REQUIRED_MNEMONICS)) == len(REQUIRED_MNEMONICS) == 41 + 8 + 44 + 27 + 6 + 1
    covered: set[str] = set()
    for name in corpus.PROGRAMS:
        covered.update(canonical_mnemonic(i) for i in objdump_insns(name))
    missing = [m for m in REQUIRED_MNEMONICS if m not in covered]
    assert not missing, f"no program of the corpus contains: {', '.join(missing)}"

