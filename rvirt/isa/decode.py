"""Decoder: instruction bits -> (table row, field values), driven only by the table.

Rows are bucketed by their fixed low bits (the major opcode for 32-bit instructions, the
quadrant and funct3 for compressed ones) so a lookup tries a handful of rows.
"""

from __future__ import annotations

from rvirt.isa import fields as F
from rvirt.isa.table import TABLE, Op
from rvirt.isa.xlen import XLEN


def _key32(w: int) -> int:
    return w & 0x7F


def _key16(w: int) -> int:
    return (w & 3) | ((w >> 11) & 0x1C)  # quadrant | funct3 << 2


_BUCKETS32: dict[int, list[Op]] = {}
_BUCKETS16: dict[int, list[Op]] = {}
for _op in TABLE:
    if _op.length == 4:
        assert _op.mask & 0x7F == 0x7F, _op.name
        _BUCKETS32.setdefault(_key32(_op.match), []).append(_op)
    else:
        assert _op.mask & 0xE003 == 0xE003, _op.name
        _BUCKETS16.setdefault(_key16(_op.match), []).append(_op)

_VALID = {op.name: compile(op.valid, f"<valid {op.name}>", "eval") for op in TABLE if op.valid}


def is_compressed(w: int) -> bool:
    """Bits 1:0 != 11 mark a 16-bit instruction (spec 1.5)."""
    return w & 3 != 3


def extract(op: Op, w: int) -> dict[str, int]:
    return {name: getattr(F, ex)(w) for name, ex in op.fields.items()}


# Decodings by instruction word.  Block discovery decodes every instruction of code it
# scans, and a kernel scans the same code again and again (each basic block of cold code,
# each retranslation after an invalidation): a Linux boot decoded some 330,000 words,
# mostly the same few thousand.  Bounded: emptied when full.
_MEMO: dict[int, tuple[Op, dict[str, int]] | None] = {}
_MEMO_MAX = 1 << 16


def decode(w: int) -> tuple[Op, dict[str, int]] | None:
    """Decode one instruction (a 16-bit value for compressed ones); None if illegal.
    The fields dict is shared by every decoding of the same word: read it, never change
    it."""
    if w & 3 != 3:
        w &= 0xFFFF
    try:
        return _MEMO[w]
    except KeyError:
        pass
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    found = _MEMO[w] = _decode(w)
    return found


def _decode(w: int) -> tuple[Op, dict[str, int]] | None:
    if w & 3 == 3:
        bucket = _BUCKETS32.get(w & 0x7F, ())
    else:
        bucket = _BUCKETS16.get(_key16(w), ())
    for op in bucket:
        if w & op.mask == op.match:
            f = extract(op, w)
            code = _VALID.get(op.name)
            if code is None or eval(code, {"XLEN": XLEN}, f):  # noqa: S307 - table text
                return op, f
    return None
