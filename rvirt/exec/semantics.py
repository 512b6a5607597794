"""Turns the table's semantic statements into Python source, for every executor.

The same statement text feeds the interpreter's per-instruction closures and, later, the
block translator; only how fields are bound differs (closure variables vs literals).
"""

from __future__ import annotations

import re

from rvirt.isa.table import Op, semantics
from rvirt.isa.xlen import MASK, SIGN, XLEN

CONSTANTS = {
    "MASK": hex((1 << XLEN) - 1),
    "SIGN": hex(1 << (XLEN - 1)),
    "XLEN": str(XLEN),
    "SHMASK": str(XLEN - 1),
}
_CONST_RE = re.compile(r"\b(" + "|".join(CONSTANTS) + r")\b")


def _div(a: int, b: int) -> int:
    """DIV, spec 7.2: round toward zero; /0 gives -1; overflow gives the dividend."""
    sa, sb = (a ^ SIGN) - SIGN, (b ^ SIGN) - SIGN
    if sb == 0:
        return MASK
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & MASK


def _divu(a: int, b: int) -> int:
    return a // b if b else MASK


def _rem(a: int, b: int) -> int:
    """REM: sign of the dividend; x % 0 gives x; overflow gives 0."""
    sa, sb = (a ^ SIGN) - SIGN, (b ^ SIGN) - SIGN
    if sb == 0:
        return a
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & MASK


def _remu(a: int, b: int) -> int:
    return a % b if b else a


# Zbb and Zbc (unprivileged spec chapter 28).  Written without loops where the spec's
# pseudocode has one, so that the native tier lowers them inline (rvirt.exec.native
# lowers straight code, `if c: return`, and no loop); byte and bit masks from MASK, so
# that they hold at any XLEN.
_B1 = 0x5555555555555555 & MASK
_B2 = 0x3333333333333333 & MASK
_B4 = 0x0F0F0F0F0F0F0F0F & MASK
_BYTES = 0x0101010101010101 & MASK  # the low bit of every byte
_H8 = 0x00FF00FF00FF00FF & MASK
_H16 = 0x0000FFFF0000FFFF & MASK


def _cpop(a: int) -> int:
    """CPOP: set bits, counted in parallel in 2-, 4- and 8-bit fields, then the bytes
    summed by one multiplication into the top byte."""
    a = a - ((a >> 1) & _B1)
    a = (a & _B2) + ((a >> 2) & _B2)
    a = (a + (a >> 4)) & _B4
    return ((a * _BYTES) & MASK) >> (XLEN - 8)


def _clz(a: int) -> int:
    """CLZ: every bit below the highest set one set too, then XLEN minus their count."""
    a = a | (a >> 1)
    a = a | (a >> 2)
    a = a | (a >> 4)
    a = a | (a >> 8)
    a = a | (a >> 16)
    a = a | (a >> 32)
    a = a - ((a >> 1) & _B1)
    a = (a & _B2) + ((a >> 2) & _B2)
    a = (a + (a >> 4)) & _B4
    return XLEN - (((a * _BYTES) & MASK) >> (XLEN - 8))


def _ctz(a: int) -> int:
    """CTZ: the bits below the lowest set one (all of them for 0), counted."""
    a = ((a & ((0 - a) & MASK)) - 1) & MASK
    a = a - ((a >> 1) & _B1)
    a = (a & _B2) + ((a >> 2) & _B2)
    a = (a + (a >> 4)) & _B4
    return ((a * _BYTES) & MASK) >> (XLEN - 8)


def _rol(a: int, n: int) -> int:
    """Rotate left by n (0 <= n < XLEN): ROL, and ROR/RORI as a rotation left by
    (XLEN - n) mod XLEN."""
    return ((a << n) | (a >> ((XLEN - n) & (XLEN - 1)))) & MASK


def _orcb(a: int) -> int:
    """ORC.B: each byte 0xFF if any of its bits is set, else 0.  Each byte's bits are
    folded into its low bit, which then spreads over the byte (no carry between bytes)."""
    a = a | ((a >> 4) & _B4)
    a = a | ((a >> 2) & _B2)
    a = a | ((a >> 1) & _B1)
    return (a & _BYTES) * 0xFF


def _rev8(a: int) -> int:
    """REV8: the bytes in reverse order (swapped in pairs, then halfwords, then words)."""
    a = ((a & _H8) << 8) | ((a >> 8) & _H8)
    a = ((a & _H16) << 16) | ((a >> 16) & _H16)
    if XLEN == 64:
        return (((a << 32) | (a >> 32)) & MASK)
    return a & MASK


def _clmul(a: int, b: int) -> int:
    """The whole 2*XLEN-bit carry-less product of a and b (CLMUL takes its low half,
    CLMULH its high half, CLMULR bits 2*XLEN-2..XLEN-1).  A loop: the native tier leaves
    these three to the interpreter."""
    out = 0
    for i in range(XLEN):
        if b >> i & 1:
            out ^= a << i
    return out


HELPERS = {"DIV": _div, "DIVU": _divu, "REM": _rem, "REMU": _remu, "CPOP": _cpop,
           "CLZ": _clz, "CTZ": _ctz, "ROL": _rol, "ORCB": _orcb, "REV8": _rev8,
           "CLMUL": _clmul}
# The helpers simple enough to spell out where they are called (the Python block tier
# does, to save a call), as expressions of their arguments {a} and {b}: each must equal
# its function above.
INLINE = {"DIVU": "({a} // {b} if {b} else " + CONSTANTS["MASK"] + ")",
          "REMU": "({a} % {b} if {b} else {a})"}


def statement(op: Op, rd_name: str = "RD") -> str:
    """The op's semantics with constants as literals, L as the length, and the write to
    x[rd] redirected to `rd_name` (the sink slot 32 when rd is x0)."""
    sem = semantics(op)
    sem = _CONST_RE.sub(lambda m: CONSTANTS[m.group(1)], sem)
    sem = re.sub(r"\bL\b", str(op.length), sem)
    return sem.replace("X[rd] =", f"X[{rd_name}] =")


def is_control(op: Op) -> bool:
    return "npc" in semantics(op)
