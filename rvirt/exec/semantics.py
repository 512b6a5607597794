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


HELPERS = {"DIV": _div, "DIVU": _divu, "REM": _rem, "REMU": _remu}
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
