"""Named field and immediate extractors (RISC-V unprivileged spec, chapter 2.3 and 16.2).

Every bit-scrambling rule lives here once; the instruction table refers to extractors by
name.  Immediates are returned as signed Python ints; register numbers as 0..31.
"""

from __future__ import annotations

from collections.abc import Callable


def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def _bits(w: int, hi: int, lo: int) -> int:
    return (w >> lo) & ((1 << (hi - lo + 1)) - 1)


# --- 32-bit formats (spec 2.2/2.3) --------------------------------------------------------
def rd(w: int) -> int:
    return (w >> 7) & 31


def rs1(w: int) -> int:
    return (w >> 15) & 31


def rs2(w: int) -> int:
    return (w >> 20) & 31


def imm_i(w: int) -> int:
    return _sext(w >> 20, 12)


def imm_s(w: int) -> int:
    return _sext(((w >> 25) << 5) | _bits(w, 11, 7), 12)


def imm_b(w: int) -> int:
    v = (_bits(w, 31, 31) << 12) | (_bits(w, 7, 7) << 11) | (_bits(w, 30, 25) << 5) | (
        _bits(w, 11, 8) << 1)
    return _sext(v, 13)


def imm_u(w: int) -> int:
    return _sext(w & 0xFFFFF000, 32)


def imm_j(w: int) -> int:
    v = (_bits(w, 31, 31) << 20) | (_bits(w, 19, 12) << 12) | (_bits(w, 20, 20) << 11) | (
        _bits(w, 30, 21) << 1)
    return _sext(v, 21)


def shamt(w: int) -> int:
    return (w >> 20) & 0x3F  # 6 bits wide so rv32 can reject shamt[5] = 1


def csr(w: int) -> int:
    return w >> 20


def zimm(w: int) -> int:
    return (w >> 15) & 31


def fm(w: int) -> int:
    return (w >> 28) & 15


def pred(w: int) -> int:
    return (w >> 24) & 15


def succ(w: int) -> int:
    return (w >> 20) & 15


def aq(w: int) -> int:
    return (w >> 26) & 1


def rl(w: int) -> int:
    return (w >> 25) & 1


# --- compressed formats (spec 16.2, "C" chapter, RV32C) ----------------------------------
def c_rd(w: int) -> int:  # full 5-bit rd/rs1 in bits 11:7
    return (w >> 7) & 31


def c_rs2(w: int) -> int:  # full 5-bit rs2 in bits 6:2
    return (w >> 2) & 31


def c_rdp(w: int) -> int:  # rd' / rs1' in bits 9:7 -> x8..x15
    return 8 + ((w >> 7) & 7)


def c_rs2p(w: int) -> int:  # rs2' / rd' in bits 4:2 -> x8..x15
    return 8 + ((w >> 2) & 7)


def c_imm6(w: int) -> int:  # c.addi, c.li, c.andi: imm[5] at 12, imm[4:0] at 6:2
    return _sext((_bits(w, 12, 12) << 5) | _bits(w, 6, 2), 6)


def c_shamt(w: int) -> int:  # c.slli/c.srli/c.srai: shamt[5] at 12 (must be 0 on rv32)
    return (_bits(w, 12, 12) << 5) | _bits(w, 6, 2)


def c_imm_lui(w: int) -> int:  # c.lui: nzimm[17:12]
    return _sext((_bits(w, 12, 12) << 17) | (_bits(w, 6, 2) << 12), 18)


def c_imm_addi16sp(w: int) -> int:  # nzimm[9|4|6|8:7|5]
    v = (_bits(w, 12, 12) << 9) | (_bits(w, 6, 6) << 4) | (_bits(w, 5, 5) << 6) | (
        _bits(w, 4, 3) << 7) | (_bits(w, 2, 2) << 5)
    return _sext(v, 10)


def c_imm_addi4spn(w: int) -> int:  # nzuimm[5:4|9:6|2|3]
    return (_bits(w, 12, 11) << 4) | (_bits(w, 10, 7) << 6) | (_bits(w, 6, 6) << 2) | (
        _bits(w, 5, 5) << 3)


def c_imm_lw(w: int) -> int:  # c.lw/c.sw: uimm[5:3] at 12:10, uimm[2|6] at 6:5
    return (_bits(w, 12, 10) << 3) | (_bits(w, 6, 6) << 2) | (_bits(w, 5, 5) << 6)


def c_imm_lwsp(w: int) -> int:  # uimm[5] at 12, uimm[4:2|7:6] at 6:2
    return (_bits(w, 12, 12) << 5) | (_bits(w, 6, 4) << 2) | (_bits(w, 3, 2) << 6)


def c_imm_swsp(w: int) -> int:  # uimm[5:2|7:6] at 12:7
    return (_bits(w, 12, 9) << 2) | (_bits(w, 8, 7) << 6)


def c_imm_j(w: int) -> int:  # c.j/c.jal: imm[11|4|9:8|10|6|7|3:1|5]
    v = (_bits(w, 12, 12) << 11) | (_bits(w, 11, 11) << 4) | (_bits(w, 10, 9) << 8) | (
        _bits(w, 8, 8) << 10) | (_bits(w, 7, 7) << 6) | (_bits(w, 6, 6) << 7) | (
        _bits(w, 5, 3) << 1) | (_bits(w, 2, 2) << 5)
    return _sext(v, 12)


def c_imm_b(w: int) -> int:  # c.beqz/c.bnez: imm[8|4:3] at 12:10, imm[7:6|2:1|5] at 6:2
    v = (_bits(w, 12, 12) << 8) | (_bits(w, 11, 10) << 3) | (_bits(w, 6, 5) << 6) | (
        _bits(w, 4, 3) << 1) | (_bits(w, 2, 2) << 5)
    return _sext(v, 9)


def zero(w: int) -> int:
    return 0


def two(w: int) -> int:  # x2 = sp, implied by the *sp compressed forms
    return 2


def one(w: int) -> int:  # x1 = ra, implied by c.jal / c.jalr
    return 1


EXTRACTORS: dict[str, Callable[[int], int]] = {
    name: fn for name, fn in globals().items()
    if callable(fn) and not name.startswith("_") and name not in ("annotations", "Callable")
}
