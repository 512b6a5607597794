"""Just enough RV32 decoding for the lock-step harness, written independently of rvirt's
decoder: instruction length, CSR accesses, AMOs, control transfers; register and CSR
names for messages."""

from __future__ import annotations

from dataclasses import dataclass

ABI_NAMES = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
             "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
             "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
             "t3", "t4", "t5", "t6")
PC = 32
CSR_REGNUM_BASE = 66  # QEMU's gdb numbering: CSR n is register 66 + n

CSR_NAMES: dict[int, str] = {
    0x300: "mstatus", 0x301: "misa", 0x302: "medeleg", 0x303: "mideleg", 0x304: "mie",
    0x305: "mtvec", 0x306: "mcounteren", 0x340: "mscratch", 0x341: "mepc", 0x342: "mcause",
    0x343: "mtval", 0x344: "mip", 0xF11: "mvendorid", 0xF12: "marchid", 0xF13: "mimpid",
    0xF14: "mhartid", 0xC00: "cycle", 0xC01: "time", 0xC02: "instret", 0xC80: "cycleh",
    0xC81: "timeh", 0xC82: "instreth", 0xB00: "mcycle", 0xB02: "minstret",
    0xB80: "mcycleh", 0xB82: "minstreth",
}
MSTATUS, MTVEC, MEPC, MCAUSE, MTVAL = 0x300, 0x305, 0x341, 0x342, 0x343
TRAP_CSRS = (MCAUSE, MEPC, MTVAL, MSTATUS)

MRET = 0x30200073
OPCODE_SYSTEM = 0x73
OPCODE_AMO = 0x2F
OPCODE_MISC_MEM = 0x0F
FUNCT5_LR, FUNCT5_SC = 0x02, 0x03


def csr_name(csr: int) -> str:
    return CSR_NAMES.get(csr, f"csr{csr:#05x}")


def csr_number(name: str) -> int:
    """Inverse of csr_name."""
    for number, known in CSR_NAMES.items():
        if known == name:
            return number
    return int(name.removeprefix("csr"), 16)


def location_name(where: str) -> str:
    """ "x10" -> "x10 (a0)"; "pc" and CSR names unchanged."""
    if where.startswith("x") and where[1:].isdigit():
        return f"{where} ({ABI_NAMES[int(where[1:])]})"
    return where


def insn_length(word: int) -> int:
    return 4 if word & 3 == 3 else 2


@dataclass(frozen=True)
class CsrAccess:
    csr: int
    rd: int
    writes: bool  # csrrw/csrrwi always; the others only with rs1/uimm != 0


def csr_access(word: int) -> CsrAccess | None:
    """The CSR touched by a Zicsr instruction, or None for anything else."""
    if insn_length(word) != 4 or word & 0x7F != OPCODE_SYSTEM:
        return None
    funct3 = (word >> 12) & 7
    if funct3 in (0, 4):
        return None
    rs1 = (word >> 15) & 31
    return CsrAccess(csr=word >> 20, rd=(word >> 7) & 31,
                     writes=funct3 in (1, 5) or rs1 != 0)


def is_amo(word: int) -> bool:
    """An AMO (not lr.w/sc.w)."""
    return (insn_length(word) == 4 and word & 0x7F == OPCODE_AMO and (word >> 12) & 7 == 2
            and (word >> 27) not in (FUNCT5_LR, FUNCT5_SC))


def is_fence_i(word: int) -> bool:
    return insn_length(word) == 4 and word & 0x7F == OPCODE_MISC_MEM and (word >> 12) & 7 == 1


def is_control_transfer(word: int) -> bool:
    """jal, jalr, branches, mret and their compressed forms: the next pc may be anywhere."""
    if insn_length(word) == 4:
        return word & 0x7F in (0x6F, 0x67, 0x63) or word == MRET
    quadrant, funct3 = word & 3, (word >> 13) & 7
    if quadrant == 1:
        return funct3 in (1, 5, 6, 7)              # c.jal c.j c.beqz c.bnez
    if quadrant == 2 and funct3 == 4:
        rd, rs2 = (word >> 7) & 31, (word >> 2) & 31
        return rs2 == 0 and rd != 0                # c.jr c.jalr
    return False
