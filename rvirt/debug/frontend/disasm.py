"""Instructions as gdb 13's `x/i` prints them (binutils' riscv-dis with its aliases:
`li`, `mv`, `ret`, `j`, `add rd,rs,imm` for addi, `sll` for slli, ...), built on rvirt's
decoder.  Beyond gdb: CSR instructions are named (`csrr a0,mhartid`), where gdb 13 shows
`.4byte 0xf1402573` because the ELF's arch attribute lacks Zicsr."""

from __future__ import annotations

from collections.abc import Callable

from rvirt.isa.decode import decode
from rvirt.isa.disasm import ABI, CSR_NAMES
from rvirt.isa.table import BRANCHES, LOAD_WIDTHS, STORE_WIDTHS

# base mnemonic -> binutils' alias for the immediate form (riscv-opc.c INSN_ALIAS rows
# that objdump prints first)
_IMM_ALIAS = {"addi": "add", "andi": "and", "ori": "or", "xori": "xor", "slli": "sll",
              "srli": "srl", "srai": "sra"}
_ZERO_BRANCH = {"beq": "beqz", "bne": "bnez", "blt": "bltz", "bge": "bgez"}
_CSR_SHORT = {"csrrw": "csrw", "csrrs": "csrs", "csrrc": "csrc", "csrrwi": "csrwi",
              "csrrsi": "csrsi", "csrrci": "csrci"}


def _csr(n: int) -> str:
    return CSR_NAMES.get(n, f"{n:#x}")


def gdb_insn(w: int, pc: int, target: Callable[[int], str]) -> tuple[str, int]:
    """(text, length) of the instruction word `w` at `pc`; `target(addr)` formats a
    branch or jump target (`0x80000856 <sym+22>`)."""
    length = 4 if w & 3 == 3 else 2
    found = decode(w if length == 4 else w & 0xFFFF)
    if found is None:
        if length == 2 and w & 0xFFFF == 0:
            return "unimp", 2
        return (f".4byte\t{w:#x}" if length == 4 else f".2byte\t{w & 0xFFFF:#x}"), length
    op, f = found
    name = op.base or op.name
    r = ABI
    rd, rs1, rs2 = f.get("rd", 0), f.get("rs1", 0), f.get("rs2", 0)
    imm = f.get("imm", 0)
    if name in ("lui", "auipc"):
        return f"{name}\t{r[rd]},{(imm >> 12) & 0xFFFFF:#x}", length
    if name == "addi":
        if rd == 0 and rs1 == 0 and imm == 0:
            return "nop", length
        if rs1 == 0:
            return f"li\t{r[rd]},{imm}", length
        if imm == 0:
            return f"mv\t{r[rd]},{r[rs1]}", length
    if op.name == "c.mv" or (name == "add" and rs1 == 0 and op.name.startswith("c.")):
        return f"mv\t{r[rd]},{r[rs2]}", length
    if name == "andi" and imm == 255:
        return f"zext.b\t{r[rd]},{r[rs1]}", length
    if name == "xori" and imm == -1:
        return f"not\t{r[rd]},{r[rs1]}", length
    if name == "sltiu" and imm == 1:
        return f"seqz\t{r[rd]},{r[rs1]}", length
    if name == "sltu" and rs1 == 0:
        return f"snez\t{r[rd]},{r[rs2]}", length
    if name == "sub" and rs1 == 0:
        return f"neg\t{r[rd]},{r[rs2]}", length
    if name in ("slli", "srli", "srai"):
        return f"{_IMM_ALIAS[name]}\t{r[rd]},{r[rs1]},{f.get('shamt', imm):#x}", length
    if name in _IMM_ALIAS:
        return f"{_IMM_ALIAS[name]}\t{r[rd]},{r[rs1]},{imm}", length
    if name == "jal":
        dest = target((pc + imm) & 0xFFFFFFFF)
        if rd == 0:
            return f"j\t{dest}", length
        if rd == 1:
            return f"jal\t{dest}", length
        return f"jal\t{r[rd]},{dest}", length
    if name == "jalr":
        if rd == 0 and rs1 == 1 and imm == 0:
            return "ret", length
        where = f"{imm}({r[rs1]})" if imm else r[rs1]
        if rd == 0:
            return f"jr\t{where}", length
        if rd == 1:
            return f"jalr\t{where}", length
        return f"jalr\t{r[rd]},{imm}({r[rs1]})", length
    if name in BRANCHES:
        dest = target((pc + imm) & 0xFFFFFFFF)
        if rs2 == 0 and name in _ZERO_BRANCH:
            return f"{_ZERO_BRANCH[name]}\t{r[rs1]},{dest}", length
        if rs1 == 0 and name == "blt":
            return f"bgtz\t{r[rs2]},{dest}", length
        if rs1 == 0 and name == "bge":
            return f"blez\t{r[rs2]},{dest}", length
        return f"{name}\t{r[rs1]},{r[rs2]},{dest}", length
    if name in LOAD_WIDTHS:
        return f"{name}\t{r[rd]},{imm}({r[rs1]})", length
    if name in STORE_WIDTHS:
        return f"{name}\t{r[rs2]},{imm}({r[rs1]})", length
    if name.startswith("csrr"):
        csr = _csr(f["csr"])
        src = str(f["zimm"]) if name.endswith("i") else r[rs1]
        if name == "csrrs" and rs1 == 0:
            return f"csrr\t{r[rd]},{csr}", length
        if rd == 0:
            return f"{_CSR_SHORT[name]}\t{csr},{src}", length
        return f"{name}\t{r[rd]},{csr},{src}", length
    if name == "fence" and f.get("pred", 15) == 15 and f.get("succ", 15) == 15:
        return "fence", length
    if set(f) == {"rd", "rs1", "rs2"}:
        return f"{name}\t{r[rd]},{r[rs1]},{r[rs2]}", length
    from rvirt.isa.disasm import disassemble
    return disassemble(w, pc), length
