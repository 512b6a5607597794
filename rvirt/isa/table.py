"""THE instruction table: one row per instruction, read by the decoder, the disassembler,
the interpreter and (later) the block translator, so they cannot drift apart.

A row gives the encoding as a bit pattern ('0', '1', '.' for field bits, spaces ignored,
bit 31 or 15 first), the fields the instruction uses (name -> extractor in
`rvirt.isa.fields`), the operand syntax of `objdump -M no-aliases`, and the semantics as
one short Python statement in the shape of the spec's pseudocode.

Semantics names: `X` registers (unsigned), `pc`, fields (`rd`, `rs1`, `rs2`, `imm`,
`shamt`, `csr`, `zimm`), `L` (instruction length), `npc` (next pc, only for control flow),
`h` (the hart: memory, CSRs, privileged operations), `Trap`, and the XLEN constants
`MASK`, `SIGN`, `XLEN`, `SHMASK`.  `X[rd] = ...` with rd = x0 is discarded by the
executors.  Compressed rows (spec chapter 16) name a `base` row whose semantics they reuse
with their own field extractors: they are aliases, never re-implementations.
"""

from __future__ import annotations

# Operand layouts by format (objdump no-aliases syntax).  Keys in braces are formatted by
# rvirt.isa.disasm.
R = {"rd": "rd", "rs1": "rs1", "rs2": "rs2"}
I = {"rd": "rd", "rs1": "rs1", "imm": "imm_i"}  # noqa: E741 - the spec's format name
S = {"rs1": "rs1", "rs2": "rs2", "imm": "imm_s"}
B = {"rs1": "rs1", "rs2": "rs2", "imm": "imm_b"}
U = {"rd": "rd", "imm": "imm_u"}
J = {"rd": "rd", "imm": "imm_j"}
SH = {"rd": "rd", "rs1": "rs1", "shamt": "shamt"}
CSR = {"rd": "rd", "rs1": "rs1", "csr": "csr"}
CSRI = {"rd": "rd", "zimm": "zimm", "csr": "csr"}
AMO = {"rd": "rd", "rs1": "rs1", "rs2": "rs2", "aq": "aq", "rl": "rl"}
FENCE = {"fm": "fm", "pred": "pred", "succ": "succ"}
NONE: dict[str, str] = {}


class Op:
    """One row of the table.  A plain class rather than a frozen dataclass: every start-up
    builds this table, and generating a dataclass's methods cost it more than the rows
    themselves.  Rows are not changed after they are made (nothing assigns to them)."""

    __slots__ = ("name", "pattern", "fields", "asm", "sem", "ext", "base", "valid", "kind",
                 "width", "signed", "mask", "match", "length")

    def __init__(self, name: str, pattern: str, fields: dict[str, str], asm: str,
                 sem: str = "", ext: str = "I", base: str = "", valid: str = "",
                 kind: str = "", width: int = 0, signed: bool = False) -> None:
        self.name = name  # mnemonic as objdump -M no-aliases prints it
        self.pattern = pattern
        self.fields = fields
        self.asm = asm  # operand syntax
        self.sem = sem  # semantics (base rows)
        self.ext = ext
        self.base = base  # compressed rows: the base row whose semantics apply
        self.valid = valid  # extra constraint on fields; reserved encodings are illegal
        # What the tiers, the debugger and the diagnostics ask of an instruction, here
        # once: kind: "load", "store", "amo", "branch", "jump" (direct), "ijump"
        # (indirect), "csr", "alu", "fence", "system"; compressed rows take their base
        # row's (see `facts`).
        self.kind = kind
        self.width = width  # bytes a load or store accesses
        self.signed = signed  # a load that sign-extends
        bits = pattern.replace(" ", "")
        assert len(bits) in (16, 32), f"{name}: pattern has {len(bits)} bits"
        self.mask = int("".join("0" if b == "." else "1" for b in bits), 2)
        self.match = int("".join("1" if b == "1" else "0" for b in bits), 2)
        self.length = len(bits) // 8

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.pattern!r})"


def _branch(name: str, f3: str, cond: str) -> Op:
    return Op(name, f"....... ..... ..... {f3} ..... 1100011", B, "{rs1},{rs2},{target}",
              f"npc = (pc + imm) & MASK if {cond} else pc + L", kind="branch")


# A load or store goes through the hart's accessor of its own name (h.lw, h.sb, ...),
# which the hart makes for every load and store row from its width and sign.
def _load(name: str, f3: str, width: int, signed: bool) -> Op:
    return Op(name, f"............ ..... {f3} ..... 0000011", I, "{rd},{imm}({rs1})",
              f"X[rd] = h.{name}((X[rs1] + imm) & MASK)", kind="load", width=width,
              signed=signed)


def _store(name: str, f3: str, width: int) -> Op:
    return Op(name, f"....... ..... ..... {f3} ..... 0100011", S, "{rs2},{imm}({rs1})",
              f"h.{name}((X[rs1] + imm) & MASK, X[rs2])", kind="store", width=width)


def _alu(name: str, f7: str, f3: str, expr: str, ext: str = "I") -> Op:
    return Op(name, f"{f7} ..... ..... {f3} ..... 0110011", R, "{rd},{rs1},{rs2}",
              f"X[rd] = {expr}", ext, kind="alu")


def _unary(name: str, f7: str, rs2: str, f3: str, expr: str, ext: str) -> Op:
    """An OP-IMM row with a fixed rs2 field and one source (Zbb's clz, sext.b, ...)."""
    return Op(name, f"{f7} {rs2} ..... {f3} ..... 0010011", {"rd": "rd", "rs1": "rs1"},
              "{rd},{rs1}", f"X[rd] = {expr}", ext, kind="alu")


def _alui(name: str, f3: str, expr: str) -> Op:
    return Op(name, f"............ ..... {f3} ..... 0010011", I, "{rd},{rs1},{imm}",
              f"X[rd] = {expr}", kind="alu")


def _shifti(name: str, f6: str, f3: str, expr: str, ext: str = "I") -> Op:
    return Op(name, f"{f6} ...... ..... {f3} ..... 0010011", SH, "{rd},{rs1},{shamt}",
              f"X[rd] = {expr}", ext, valid="shamt < XLEN", kind="alu")


def _amo(name: str, f5: str, new: str) -> Op:
    # The AMO is a read-modify-write of one word: h.amo_load checks alignment and store
    # permission first so a faulting AMO reports store/AMO causes (spec A chapter 8.4).
    return Op(name, f"{f5} . . ..... ..... 010 ..... 0101111", AMO, "{rd},{rs2},({rs1})",
              f"a = X[rs1]; t = h.amo_load(a); b = X[rs2]; h.amo_store(a, {new}); X[rd] = t",
              "A", kind="amo", width=4)


def _csr(name: str, f3: str, fields: dict[str, str], src: str, fn: str, flag: str) -> Op:
    opnd = "{rd},{csr},{zimm}" if "zimm" in fields else "{rd},{csr},{rs1}"
    return Op(name, f"............ ..... {f3} ..... 1110011", fields, opnd,
              f"X[rd] = h.{fn}(csr, {src}, {flag})", "Zicsr", kind="csr")


SIGNED_LT = "(X[rs1] ^ SIGN) < (X[rs2] ^ SIGN)"
# Zbs: the bit an index selects (index mod XLEN)
BIT = "(1 << (X[rs2] & SHMASK))"

BASE: list[Op] = [
    # RV32I (unprivileged spec chapter 2)
    Op("lui", ".................... ..... 0110111", U, "{rd},{uimm}", "X[rd] = imm & MASK",
       kind="alu"),
    Op("auipc", ".................... ..... 0010111", U, "{rd},{uimm}",
       "X[rd] = (pc + imm) & MASK", kind="alu"),
    Op("jal", ".................... ..... 1101111", J, "{rd},{target}",
       "X[rd] = (pc + L) & MASK; npc = (pc + imm) & MASK", kind="jump"),
    # The target is computed before rd is written: rd may equal rs1 (spec 2.5).
    Op("jalr", "............ ..... 000 ..... 1100111", I, "{rd},{imm}({rs1})",
       "npc = (X[rs1] + imm) & (MASK - 1); X[rd] = (pc + L) & MASK", kind="ijump"),
    _branch("beq", "000", "X[rs1] == X[rs2]"),
    _branch("bne", "001", "X[rs1] != X[rs2]"),
    _branch("blt", "100", SIGNED_LT),
    _branch("bge", "101", f"not {SIGNED_LT}"),
    _branch("bltu", "110", "X[rs1] < X[rs2]"),
    _branch("bgeu", "111", "X[rs1] >= X[rs2]"),
    _load("lb", "000", 1, True),
    _load("lh", "001", 2, True),
    _load("lw", "010", 4, False),  # (XLEN 32: nothing to extend)
    _load("lbu", "100", 1, False),
    _load("lhu", "101", 2, False),
    _store("sb", "000", 1),
    _store("sh", "001", 2),
    _store("sw", "010", 4),
    _alui("addi", "000", "(X[rs1] + imm) & MASK"),
    _alui("slti", "010", "int(((X[rs1] ^ SIGN) - SIGN) < imm)"),
    _alui("sltiu", "011", "int(X[rs1] < (imm & MASK))"),
    _alui("xori", "100", "(X[rs1] ^ imm) & MASK"),
    _alui("ori", "110", "(X[rs1] | imm) & MASK"),
    _alui("andi", "111", "X[rs1] & imm & MASK"),
    _shifti("slli", "000000", "001", "(X[rs1] << shamt) & MASK"),
    _shifti("srli", "000000", "101", "X[rs1] >> shamt"),
    _shifti("srai", "010000", "101", "(((X[rs1] ^ SIGN) - SIGN) >> shamt) & MASK"),
    _alu("add", "0000000", "000", "(X[rs1] + X[rs2]) & MASK"),
    _alu("sub", "0100000", "000", "(X[rs1] - X[rs2]) & MASK"),
    _alu("sll", "0000000", "001", "(X[rs1] << (X[rs2] & SHMASK)) & MASK"),
    _alu("slt", "0000000", "010", f"int({SIGNED_LT})"),
    _alu("sltu", "0000000", "011", "int(X[rs1] < X[rs2])"),
    _alu("xor", "0000000", "100", "X[rs1] ^ X[rs2]"),
    _alu("srl", "0000000", "101", "X[rs1] >> (X[rs2] & SHMASK)"),
    _alu("sra", "0100000", "101", "(((X[rs1] ^ SIGN) - SIGN) >> (X[rs2] & SHMASK)) & MASK"),
    _alu("or", "0000000", "110", "X[rs1] | X[rs2]"),
    _alu("and", "0000000", "111", "X[rs1] & X[rs2]"),
    # Zihintpause: PAUSE is the FENCE hint pred = W, succ = 0 (spec chapter 10), a FENCE
    # (nothing to order) that may slow the hart down.  Its own row names it, tried before
    # FENCE's (the decoder takes the first row that matches).
    Op("pause", "0000 0001 0000 00000 000 00000 0001111", FENCE, "", "pass", "Zihintpause",
       kind="fence"),
    # FENCE orders memory; one hart with no caches has nothing to order.  The fm, rs1 and
    # rd fields are reserved for future use and ignored (spec 2.7), so fence.tso decodes.
    Op("fence", ".... .... .... ..... 000 ..... 0001111", FENCE, "{pred},{succ}", "pass",
       valid="not (fm == 8 and pred == 3 and succ == 3)", kind="fence"),
    # FENCE.TSO (fm = 1000, rw,rw) is a FENCE that orders less: also nothing to do here.
    Op("fence.tso", "1000 0011 0011 ..... 000 ..... 0001111", FENCE, "", "pass", kind="fence"),
    Op("ecall", "000000000000 00000 000 00000 1110011", NONE, "", "raise Trap(8 + h.priv, 0)",
       kind="system"),
    # QEMU 7.2 leaves mtval = 0 on a breakpoint exception (virt-rv32.md 5.3).
    Op("ebreak", "000000000001 00000 000 00000 1110011", NONE, "", "raise Trap(3, 0)",
       kind="system"),
    # Zifencei: drops any cached translation of code
    Op("fence.i", "............ ..... 001 ..... 0001111", NONE, "", "h.fence_i()", "Zifencei",
       kind="system"),
    # Zicsr (chapter 9): csrrw with rd = x0 does not read; csrrs/csrrc with rs1 = x0 (or
    # uimm = 0) do not write, so they cause no write side effects and no read-only trap.
    _csr("csrrw", "001", CSR, "X[rs1]", "csr_swap", "rd != 0"),
    _csr("csrrs", "010", CSR, "X[rs1]", "csr_set", "rs1 != 0"),
    _csr("csrrc", "011", CSR, "X[rs1]", "csr_clear", "rs1 != 0"),
    _csr("csrrwi", "101", CSRI, "zimm", "csr_swap", "rd != 0"),
    _csr("csrrsi", "110", CSRI, "zimm", "csr_set", "zimm != 0"),
    _csr("csrrci", "111", CSRI, "zimm", "csr_clear", "zimm != 0"),
    # M extension (chapter 7); division edge cases are in the DIV*/REM* helpers
    _alu("mul", "0000001", "000", "(X[rs1] * X[rs2]) & MASK", "M"),
    _alu("mulh", "0000001", "001",
         "((((X[rs1] ^ SIGN) - SIGN) * ((X[rs2] ^ SIGN) - SIGN)) >> XLEN) & MASK", "M"),
    _alu("mulhsu", "0000001", "010", "((((X[rs1] ^ SIGN) - SIGN) * X[rs2]) >> XLEN) & MASK",
         "M"),
    _alu("mulhu", "0000001", "011", "(X[rs1] * X[rs2]) >> XLEN", "M"),
    _alu("div", "0000001", "100", "DIV(X[rs1], X[rs2])", "M"),
    _alu("divu", "0000001", "101", "DIVU(X[rs1], X[rs2])", "M"),
    _alu("rem", "0000001", "110", "REM(X[rs1], X[rs2])", "M"),
    _alu("remu", "0000001", "111", "REMU(X[rs1], X[rs2])", "M"),
    # A extension (chapter 8)
    Op("lr.w", "00010 . . 00000 ..... 010 ..... 0101111", AMO, "{rd},({rs1})",
       "X[rd] = h.lr_w(X[rs1])", "A", kind="amo", width=4),
    Op("sc.w", "00011 . . ..... ..... 010 ..... 0101111", AMO, "{rd},{rs2},({rs1})",
       "X[rd] = h.sc_w(X[rs1], X[rs2])", "A", kind="amo", width=4),
    _amo("amoswap.w", "00001", "b"),
    _amo("amoadd.w", "00000", "(t + b) & MASK"),
    _amo("amoxor.w", "00100", "t ^ b"),
    _amo("amoand.w", "01100", "t & b"),
    _amo("amoor.w", "01000", "t | b"),
    _amo("amomin.w", "10000", "t if (t ^ SIGN) < (b ^ SIGN) else b"),
    _amo("amomax.w", "10100", "t if (t ^ SIGN) > (b ^ SIGN) else b"),
    _amo("amominu.w", "11000", "t if t < b else b"),
    _amo("amomaxu.w", "11100", "t if t > b else b"),
    # Bit manipulation (unprivileged spec chapter 28, version 1.0.0; all four are in QEMU
    # 7.2's default CPU).  Zba: address generation.
    _alu("sh1add", "0010000", "010", "((X[rs1] << 1) + X[rs2]) & MASK", "Zba"),
    _alu("sh2add", "0010000", "100", "((X[rs1] << 2) + X[rs2]) & MASK", "Zba"),
    _alu("sh3add", "0010000", "110", "((X[rs1] << 3) + X[rs2]) & MASK", "Zba"),
    # Zbb: basic bit manipulation
    _alu("andn", "0100000", "111", "X[rs1] & (X[rs2] ^ MASK)", "Zbb"),
    _alu("orn", "0100000", "110", "X[rs1] | (X[rs2] ^ MASK)", "Zbb"),
    _alu("xnor", "0100000", "100", "X[rs1] ^ X[rs2] ^ MASK", "Zbb"),
    _unary("clz", "0110000", "00000", "001", "CLZ(X[rs1])", "Zbb"),
    _unary("ctz", "0110000", "00001", "001", "CTZ(X[rs1])", "Zbb"),
    _unary("cpop", "0110000", "00010", "001", "CPOP(X[rs1])", "Zbb"),
    _alu("max", "0000101", "110", f"X[rs2] if {SIGNED_LT} else X[rs1]", "Zbb"),
    _alu("maxu", "0000101", "111", "X[rs2] if X[rs1] < X[rs2] else X[rs1]", "Zbb"),
    _alu("min", "0000101", "100", f"X[rs1] if {SIGNED_LT} else X[rs2]", "Zbb"),
    _alu("minu", "0000101", "101", "X[rs1] if X[rs1] < X[rs2] else X[rs2]", "Zbb"),
    _unary("sext.b", "0110000", "00100", "001", "(((X[rs1] & 0xFF) ^ 0x80) - 0x80) & MASK",
           "Zbb"),
    _unary("sext.h", "0110000", "00101", "001",
           "(((X[rs1] & 0xFFFF) ^ 0x8000) - 0x8000) & MASK", "Zbb"),
    # zext.h is RV32's encoding (pack with rs2 = x0; RV64's opcode is OP-32)
    Op("zext.h", "0000100 00000 ..... 100 ..... 0110011", {"rd": "rd", "rs1": "rs1"},
       "{rd},{rs1}", "X[rd] = X[rs1] & 0xFFFF", "Zbb", kind="alu"),
    _alu("rol", "0110000", "001", "ROL(X[rs1], X[rs2] & SHMASK)", "Zbb"),
    _alu("ror", "0110000", "101", "ROL(X[rs1], (XLEN - (X[rs2] & SHMASK)) & SHMASK)", "Zbb"),
    _shifti("rori", "011000", "101", "ROL(X[rs1], (XLEN - shamt) & SHMASK)", "Zbb"),
    _unary("orc.b", "0010100", "00111", "101", "ORCB(X[rs1])", "Zbb"),
    _unary("rev8", "0110100", "11000", "101", "REV8(X[rs1])", "Zbb"),  # RV32's encoding
    # Zbc: carry-less multiplication
    _alu("clmul", "0000101", "001", "CLMUL(X[rs1], X[rs2]) & MASK", "Zbc"),
    _alu("clmulh", "0000101", "011", "CLMUL(X[rs1], X[rs2]) >> XLEN", "Zbc"),
    _alu("clmulr", "0000101", "010", "(CLMUL(X[rs1], X[rs2]) >> (XLEN - 1)) & MASK", "Zbc"),
    # Zbs: single-bit instructions
    _alu("bclr", "0100100", "001", f"X[rs1] & ({BIT} ^ MASK)", "Zbs"),
    _alu("bext", "0100100", "101", "(X[rs1] >> (X[rs2] & SHMASK)) & 1", "Zbs"),
    _alu("binv", "0110100", "001", f"X[rs1] ^ {BIT}", "Zbs"),
    _alu("bset", "0010100", "001", f"X[rs1] | {BIT}", "Zbs"),
    _shifti("bclri", "010010", "001", "X[rs1] & ((1 << shamt) ^ MASK)", "Zbs"),
    _shifti("bexti", "010010", "101", "(X[rs1] >> shamt) & 1", "Zbs"),
    _shifti("binvi", "011010", "001", "X[rs1] ^ (1 << shamt)", "Zbs"),
    _shifti("bseti", "001010", "001", "X[rs1] | (1 << shamt)", "Zbs"),
    # Privileged instructions (privileged spec 3.3)
    Op("mret", "0011000 00010 00000 000 00000 1110011", NONE, "", "npc = h.mret()", "Priv",
       kind="system"),
    Op("sret", "0001000 00010 00000 000 00000 1110011", NONE, "", "npc = h.sret()", "Priv",
       kind="system"),
    Op("wfi", "0001000 00101 00000 000 00000 1110011", NONE, "", "h.wfi()", "Priv",
       kind="system"),
    Op("sfence.vma", "0001001 ..... ..... 000 00000 1110011", {"rs1": "rs1", "rs2": "rs2"},
       "{rs1},{rs2}", "h.sfence_vma(X[rs1], X[rs2], rs1)", "Priv", kind="system"),
]


def _c(name: str, pattern: str, base: str, fields: dict[str, str], asm: str,
       valid: str = "") -> Op:
    return Op(name, pattern, fields, asm, ext="C", base=base, valid=valid)


CRR = {"rd": "c_rdp", "rs1": "c_rdp", "rs2": "c_rs2p"}
# RVC, RV32 only (spec chapter 16): each row expands to the base row named.
COMPRESSED: list[Op] = [
    # quadrant 0; all-zero halfword is the defined illegal instruction (nzuimm = 0)
    _c("c.addi4spn", "000 ........ ... 00", "addi",
       {"rd": "c_rs2p", "rs1": "two", "imm": "c_imm_addi4spn"}, "{rd},{rs1},{imm}", "imm != 0"),
    _c("c.lw", "010 ... ... .. ... 00", "lw",
       {"rd": "c_rs2p", "rs1": "c_rdp", "imm": "c_imm_lw"}, "{rd},{imm}({rs1})"),
    _c("c.sw", "110 ... ... .. ... 00", "sw",
       {"rs2": "c_rs2p", "rs1": "c_rdp", "imm": "c_imm_lw"}, "{rs2},{imm}({rs1})"),
    # quadrant 1
    _c("c.addi", "000 . ..... ..... 01", "addi",
       {"rd": "c_rd", "rs1": "c_rd", "imm": "c_imm6"}, "{rd},{imm}"),
    _c("c.jal", "001 ........... 01", "jal", {"rd": "one", "imm": "c_imm_j"}, "{target}"),
    _c("c.li", "010 . ..... ..... 01", "addi",
       {"rd": "c_rd", "rs1": "zero", "imm": "c_imm6"}, "{rd},{imm}"),
    _c("c.addi16sp", "011 . 00010 ..... 01", "addi",
       {"rd": "two", "rs1": "two", "imm": "c_imm_addi16sp"}, "{rd},{imm}", "imm != 0"),
    _c("c.lui", "011 . ..... ..... 01", "lui", {"rd": "c_rd", "imm": "c_imm_lui"},
       "{rd},{cuimm}", "imm != 0 and rd != 2"),
    _c("c.srli", "100 . 00 ... ..... 01", "srli",
       {"rd": "c_rdp", "rs1": "c_rdp", "shamt": "c_shamt"}, "{rd},{shamt}", "shamt < XLEN"),
    _c("c.srai", "100 . 01 ... ..... 01", "srai",
       {"rd": "c_rdp", "rs1": "c_rdp", "shamt": "c_shamt"}, "{rd},{shamt}", "shamt < XLEN"),
    _c("c.andi", "100 . 10 ... ..... 01", "andi",
       {"rd": "c_rdp", "rs1": "c_rdp", "imm": "c_imm6"}, "{rd},{imm}"),
    _c("c.sub", "100 0 11 ... 00 ... 01", "sub", CRR, "{rd},{rs2}"),
    _c("c.xor", "100 0 11 ... 01 ... 01", "xor", CRR, "{rd},{rs2}"),
    _c("c.or", "100 0 11 ... 10 ... 01", "or", CRR, "{rd},{rs2}"),
    _c("c.and", "100 0 11 ... 11 ... 01", "and", CRR, "{rd},{rs2}"),
    _c("c.j", "101 ........... 01", "jal", {"rd": "zero", "imm": "c_imm_j"}, "{target}"),
    _c("c.beqz", "110 ... ... ..... 01", "beq",
       {"rs1": "c_rdp", "rs2": "zero", "imm": "c_imm_b"}, "{rs1},{target}"),
    _c("c.bnez", "111 ... ... ..... 01", "bne",
       {"rs1": "c_rdp", "rs2": "zero", "imm": "c_imm_b"}, "{rs1},{target}"),
    # quadrant 2
    _c("c.slli", "000 . ..... ..... 10", "slli",
       {"rd": "c_rd", "rs1": "c_rd", "shamt": "c_shamt"}, "{rd},{shamt}", "shamt < XLEN"),
    _c("c.lwsp", "010 . ..... ..... 10", "lw",
       {"rd": "c_rd", "rs1": "two", "imm": "c_imm_lwsp"}, "{rd},{imm}({rs1})", "rd != 0"),
    _c("c.jr", "1000 ..... 00000 10", "jalr", {"rd": "zero", "rs1": "c_rd", "imm": "zero"},
       "{rs1}", "rs1 != 0"),
    _c("c.mv", "1000 ..... ..... 10", "add", {"rd": "c_rd", "rs1": "zero", "rs2": "c_rs2"},
       "{rd},{rs2}", "rs2 != 0"),
    _c("c.ebreak", "1001 00000 00000 10", "ebreak", NONE, ""),
    _c("c.jalr", "1001 ..... 00000 10", "jalr", {"rd": "one", "rs1": "c_rd", "imm": "zero"},
       "{rs1}", "rs1 != 0"),
    _c("c.add", "1001 ..... ..... 10", "add", {"rd": "c_rd", "rs1": "c_rd", "rs2": "c_rs2"},
       "{rd},{rs2}", "rs2 != 0"),
    _c("c.swsp", "110 ...... ..... 10", "sw",
       {"rs2": "c_rs2", "rs1": "two", "imm": "c_imm_swsp"}, "{rs2},{imm}({rs1})"),
]

TABLE: list[Op] = BASE + COMPRESSED
BY_NAME: dict[str, Op] = {op.name: op for op in TABLE}


def facts(op: Op) -> Op:
    """The row that holds op's semantics and kind (a compressed row's base row)."""
    return BY_NAME[op.base] if op.base else op


def semantics(op: Op) -> str:
    """The statement that executes `op` (a compressed row's is its base row's)."""
    return facts(op).sem


# Facts derived from the rows, once, for every consumer (the tiers, the hart's accessors,
# triggers, the debugger's disassembly).
LOAD_WIDTHS: dict[str, tuple[int, bool]] = {
    op.name: (op.width, op.signed) for op in BASE if op.kind == "load"}
STORE_WIDTHS: dict[str, int] = {op.name: op.width for op in BASE if op.kind == "store"}
BRANCHES: frozenset[str] = frozenset(op.name for op in BASE if op.kind == "branch")
DIRECT_JUMPS: frozenset[str] = frozenset(op.name for op in BASE if op.kind == "jump")
JUMPS: frozenset[str] = DIRECT_JUMPS | {op.name for op in BASE if op.kind == "ijump"}
DIRECT: frozenset[str] = BRANCHES | DIRECT_JUMPS  # targets known from the encoding


def base_name(op: Op) -> str:
    """The name of the row that holds op's facts (a compressed row's base row)."""
    return op.base or op.name


def kind(op: Op) -> str:
    return facts(op).kind


# What the block tiers ask of a kind (rvirt.exec.blocks, pygen, native):
# - control flow, and system instructions (ecall, ebreak, xRET, wfi, fence.i, sfence.vma),
#   which change the pc or how code is fetched and run, end a block;
# - CSR accesses and atomics call into the hart and can trap or change which interrupts
#   are enabled, but the block goes on after them (the batch ends if they say so);
# - plain ALU operations and fences touch neither memory nor the hart: a short run of
#   them may be inlined as the body of an `if`.
_ENDS_BLOCK = frozenset({"branch", "jump", "ijump", "system"})
_GOES_ON = frozenset({"csr", "amo"})
_PLAIN = frozenset({"alu", "fence"})


def ends_block(op: Op) -> bool:
    return kind(op) in _ENDS_BLOCK


def goes_on_after_call(op: Op) -> bool:
    return kind(op) in _GOES_ON


def is_plain(op: Op) -> bool:
    return kind(op) in _PLAIN
