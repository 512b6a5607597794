"""Disassembler: the text `objdump -d -M no-aliases` prints for an instruction, from the table.

Only the instruction column is produced: objdump's trailing `# comment` and ` <symbol>`
annotations are not part of it.  Branch and jump targets are absolute hex without 0x,
as objdump prints them.

`qemu_line` gives instead the whole line QEMU 7.2's `-d in_asm` log shows for an
instruction (its own disassembler's syntax), from the same table.
"""

from __future__ import annotations

from collections.abc import Callable

from rvirt.isa.csrs import CSR_NAMES
from rvirt.isa.decode import decode, extract
from rvirt.isa.table import BY_NAME, TABLE, Op
from rvirt.isa.xlen import MASK

ABI = ("zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 "
       "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()

def _fence_set(bits: int) -> str:
    return "".join(c for c, b in zip("iorw", (8, 4, 2, 1), strict=True) if bits & b) or "0"


def disassemble(w: int, pc: int = 0) -> str:
    """objdump -M no-aliases text for instruction `w` at address `pc`."""
    found = decode(w)
    if found is None:
        return "unimp" if w in (0, 0xC0001073) else f".insn\t{w:#x}"
    op, f = found
    name = op.name
    if "aq" in f and (f["aq"] or f["rl"]):
        name += "." + ("aq" if f["aq"] else "") + ("rl" if f["rl"] else "")
    if not op.asm:
        return name
    vals = {
        "rd": ABI[f.get("rd", 0)], "rs1": ABI[f.get("rs1", 0)], "rs2": ABI[f.get("rs2", 0)],
        "imm": str(f.get("imm", 0)),
        "uimm": hex((f.get("imm", 0) >> 12) & 0xFFFFF),
        "cuimm": hex((f.get("imm", 0) >> 12) & 0xFFFFF),
        "target": f"{(pc + f.get('imm', 0)) & MASK:x}",
        "shamt": hex(f.get("shamt", 0)),
        "csr": CSR_NAMES.get(f.get("csr", -1), hex(f.get("csr", 0))),
        "zimm": str(f.get("zimm", 0)),
        "pred": _fence_set(f.get("pred", 0)), "succ": _fence_set(f.get("succ", 0)),
    }
    return f"{name}\t{op.asm.format(**vals)}"


# --- QEMU 7.2's disassembler: the lines of `-d in_asm` ------------------------------------
# QEMU prints an instruction through disas/riscv.c: a compressed instruction as the base
# instruction it expands to, decimal immediates, a few pseudo-instructions, `# 0x...` after
# pc-relative operands.  The facts below were checked against QEMU 7.2's own log
# (tests/isa/qemu-disasm).

# disas/riscv.c csr_name(): objdump's names without the newer CSRs, plus the vector,
# user-level-interrupt, hypervisor-draft and legacy names QEMU still carries.
_QEMU_CSR_DROPPED = {0x10A, 0x14D, 0x15D, 0x30A, 0x310, 0x31A, 0x34A, 0x34B, 0x7A4, 0x7B3, 0xF15,
                     *range(0xC03, 0xC20), *range(0xC83, 0xCA0)}
QEMU_CSR_NAMES: dict[int, str] = {
    k: v for k, v in CSR_NAMES.items() if k not in _QEMU_CSR_DROPPED}
QEMU_CSR_NAMES.update({
    0x000: "ustatus", 0x004: "uie", 0x005: "utvec",
    0x008: "vstart", 0x009: "vxsat", 0x00A: "vxrm", 0x00F: "vcsr", 0x015: "seed",
    0x040: "uscratch", 0x041: "uepc", 0x042: "ucause", 0x043: "utval", 0x044: "uip",
    0x200: "hstatus", 0x202: "hedeleg", 0x203: "hideleg", 0x204: "hie", 0x205: "htvec",
    0x240: "hscratch", 0x241: "hepc", 0x242: "hcause", 0x243: "hbadaddr", 0x244: "hip",
    0x320: "mucounteren", 0x321: "mscounteren", 0x322: "mhcounteren",
    0x380: "mbase", 0x381: "mbound", 0x382: "mibase", 0x383: "mibound",
    0x384: "mdbase", 0x385: "mdbound",
    0x780: "mtohost", 0x781: "mfromhost", 0x782: "mreset", 0x783: "mipi", 0x784: "miobase",
    0x7B2: "dscratch", 0xB01: "mtime", 0xB81: "mtimeh",
    0xC20: "vl", 0xC21: "vtype", 0xC22: "vlenb",
    0xD00: "scycle", 0xD01: "stime", 0xD02: "sinstret",
    0xD80: "scycleh", 0xD81: "stimeh", 0xD82: "sinstreth",
    0xE00: "hcycle", 0xE01: "htime", 0xE02: "hinstret",
    0xE80: "hcycleh", 0xE81: "htimeh", 0xE82: "hinstreth",
})

# Compressed rows QEMU prints as `illegal` when their immediate (or shift amount) is zero
# (decomp_data rvcd_imm_nz), HINTs included.  A c.addi with rd = 0 and imm = 0 is c.nop.
_QEMU_IMM_NONZERO = {"c.addi4spn", "c.addi", "c.addi16sp", "c.lui", "c.srli", "c.srai",
                     "c.slli"}
# Where QEMU expands a compressed instruction to another base instruction than the table's
# semantics do: c.mv rd,rs2 is `addi rd,rs2,0` there (rvirt runs it as `add rd,x0,rs2`).
_QEMU_EXPANSION = {"c.mv": "addi"}
# Base rows QEMU names otherwise: it has no fence.tso and prints its pred,succ.
_QEMU_NAME = {"fence.tso": "fence", "pause": "fence"}
# QEMU's operand syntax where it differs from the table's (objdump's): `{off}` is a
# pc-relative offset in decimal, followed by the `# 0x<pc + off>` comment.
# QEMU 7.2 prints andn, orn and xnor without their rs2 (their rv_codec_r entries in
# disas/riscv.c use the two-operand format), and has no pause: the FENCE it is.
_QEMU_OPERANDS = {"lui": "{rd},{imm}", "auipc": "{rd},{off}", "jalr": "{rd},{rs1},{imm}",
                  "andn": "{rd},{rs1}", "orn": "{rd},{rs1}", "xnor": "{rd},{rs1}"}


def _always(f: dict[str, int]) -> bool:
    return True


def _is(**want: int) -> Callable[[dict[str, int]], bool]:
    return lambda f: all(f.get(k, 0) == v for k, v in want.items())


# disas/riscv.c rvcp_*: per base instruction, the pseudo-instructions QEMU lifts it to,
# tried in order (name, condition on the fields, operand syntax).  Note `ret` ignores the
# offset, and blt/bge/bltu/bgeu always become bgt/ble/bgtu/bleu with swapped operands.
_QEMU_PSEUDO: dict[str, list[tuple[str, Callable[[dict[str, int]], bool], str]]] = {
    "jal": [("j", _is(rd=0), "{off}")],
    "jalr": [("ret", _is(rd=0, rs1=1), ""), ("jr", _is(rd=0, imm=0), "{rs1}")],
    "beq": [("beqz", _is(rs2=0), "{rs1},{off}")],
    "bne": [("bnez", _is(rs2=0), "{rs1},{off}")],
    "blt": [("bltz", _is(rs2=0), "{rs1},{off}"), ("bgtz", _is(rs1=0), "{rs2},{off}"),
            ("bgt", _always, "{rs2},{rs1},{off}")],
    "bge": [("blez", _is(rs1=0), "{rs2},{off}"), ("bgez", _is(rs2=0), "{rs1},{off}"),
            ("ble", _always, "{rs2},{rs1},{off}")],
    "bltu": [("bgtu", _always, "{rs2},{rs1},{off}")],
    "bgeu": [("bleu", _always, "{rs2},{rs1},{off}")],
    "addi": [("nop", _is(rd=0, rs1=0, imm=0), ""), ("mv", _is(imm=0), "{rd},{rs1}")],
    "sltiu": [("seqz", _is(imm=1), "{rd},{rs1}")],
    "xori": [("not", _is(imm=-1), "{rd},{rs1}")],
    "sub": [("neg", _is(rs1=0), "{rd},{rs2}")],
    "slt": [("sltz", _is(rs2=0), "{rd},{rs1}"), ("sgtz", _is(rs1=0), "{rd},{rs2}")],
    "sltu": [("snez", _is(rs1=0), "{rd},{rs2}")],
    "csrrw": [("fscsr", _is(csr=3), "{rd},{rs1}"), ("fsrm", _is(csr=2), "{rd},{rs1}"),
              ("fsflags", _is(csr=1), "{rd},{rs1}")],
    "csrrs": [(name, _is(rs1=0, csr=num), "{rd}") for name, num in (
        ("rdcycle", 0xC00), ("rdtime", 0xC01), ("rdinstret", 0xC02), ("rdcycleh", 0xC80),
        ("rdtimeh", 0xC81), ("rdinstreth", 0xC82), ("frcsr", 3), ("frrm", 2),
        ("frflags", 1))],
    "csrrwi": [("fsrmi", _is(csr=2), "{rd},{zimm}"), ("fsflagsi", _is(csr=1), "{rd},{zimm}")],
}

_QEMU_TAB = 24  # format_inst(..., 24, ...): operands at column 24, a comment at 48


def _qemu_fence_set(bits: int) -> str:
    return "".join(c for c, b in zip("iorw", (8, 4, 2, 1), strict=True) if bits & b)


def _qemu_decode(w: int) -> tuple[Op, dict[str, int]] | None:
    """The table row and fields of `w` as QEMU's disassembler sees it, or None for what it
    prints as `illegal`.  QEMU does not check the table's reserved-encoding constraints
    (a c.lwsp to x0, an rv32 shift by 32..63), so a row whose pattern matches is used even
    when its `valid` fails; it does check that some compressed immediates are non-zero."""
    found = decode(w)
    if found is None:
        length = 4 if w & 3 == 3 else 2
        found = next(((op, extract(op, w)) for op in TABLE
                      if op.length == length and w & op.mask == op.match), None)
        if found is None:
            return None
    op, f = found
    if op.name in _QEMU_IMM_NONZERO and f.get("imm", f.get("shamt", 0)) == 0:
        if not (op.name == "c.addi" and f["rd"] == 0):  # that is c.nop
            return None
    return found


def qemu_text(w: int, pc: int) -> tuple[str, str, str]:
    """(mnemonic, operands, comment) as QEMU 7.2's disassembler prints instruction `w`
    (a 16-bit value for compressed ones) at address `pc`; comment is `# 0x<target>` for
    pc-relative operands, else empty."""
    w &= 0xFFFFFFFF if w & 3 == 3 else 0xFFFF
    found = _qemu_decode(w)
    if found is None:
        return "illegal", "", ""
    op, f = found
    if op.base:
        name = _QEMU_EXPANSION.get(op.name, op.base)
        base = BY_NAME[name]
        if name != op.base:  # c.mv: the copied register is the addi's source
            f = {"rd": f["rd"], "rs1": f["rs2"], "imm": 0}
    else:
        name = _QEMU_NAME.get(op.name, op.name)
        base = BY_NAME[name]
    operands = _QEMU_OPERANDS.get(name, base.asm.replace("{target}", "{off}"))
    for pseudo, applies, syntax in _QEMU_PSEUDO.get(name, ()):
        if applies(f):
            name, operands = pseudo, syntax
            break
    if "aq" in f:
        name += (".aq" if f["aq"] else "") + (".rl" if f["rl"] else "")
    imm = f.get("imm", 0)
    vals = {
        "rd": ABI[f.get("rd", 0)], "rs1": ABI[f.get("rs1", 0)], "rs2": ABI[f.get("rs2", 0)],
        "imm": str(imm), "off": str(imm), "shamt": str(f.get("shamt", 0)),
        "csr": QEMU_CSR_NAMES.get(f.get("csr", 0), f"0x{f.get('csr', 0):03x}"),
        "zimm": str(f.get("zimm", 0)),
        "pred": _qemu_fence_set(f.get("pred", 0)), "succ": _qemu_fence_set(f.get("succ", 0)),
    }
    # QEMU adds the offset to a 64-bit pc: a target below 0 shows as 0xffffffff........
    comment = f"# 0x{(pc + imm) & 0xFFFFFFFFFFFFFFFF:x}" if "{off}" in operands else ""
    return name, operands.format(**vals), comment


def qemu_line(w: int, pc: int) -> str:
    """The line QEMU 7.2's `-d in_asm` log shows for instruction `w` at `pc`: the address,
    the instruction bits as 4 or 8 hex digits in a field of 18, the mnemonic padded to 24,
    the operands, and a comment at column 48 of the text (print_insn_riscv, format_inst)."""
    bits = (f"{w & 0xFFFFFFFF:08x}" if w & 3 == 3 else f"{w & 0xFFFF:04x}").ljust(18)
    mnemonic, operands, comment = qemu_text(w, pc)
    text = mnemonic.ljust(_QEMU_TAB) + operands
    if comment:
        text = text.ljust(2 * _QEMU_TAB) + comment
    return f"0x{pc:08x}:  {bits}{text}"
