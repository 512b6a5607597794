"""The instruction table's own consistency: no two rows can claim one encoding (the
overlap check of STYLE practice 7), every row is complete, and RVC rows are aliases."""

from __future__ import annotations

import itertools

import pytest

from rvirt.isa import fields as F
from rvirt.isa.decode import decode
from rvirt.isa.table import BY_NAME, COMPRESSED, TABLE


def test_32bit_patterns_are_pairwise_disjoint() -> None:
    """Two 32-bit rows may only overlap where a constraint on the general row hands the
    common encodings to the specific one (fence / fence.tso); every other pair of
    patterns must be disjoint."""
    rows = [op for op in TABLE if op.length == 4]
    clashes = []
    for a, b in itertools.combinations(rows, 2):
        common = a.mask & b.mask
        if (a.match ^ b.match) & common == 0:
            specific = a if a.mask | b.mask == a.mask else b
            found = decode(a.match | b.match)
            if found is None or found[0] is not specific or not (a.valid or b.valid):
                clashes.append((a.name, b.name))
    assert clashes == []


def test_every_16bit_encoding_decodes_to_at_most_one_row() -> None:
    """Compressed rows overlap as bit patterns (c.jr/c.mv, c.lui/c.addi16sp) and are told
    apart by their constraints; check all 49152 encodings exhaustively."""
    for w in range(0x10000):
        if w & 3 == 3:
            continue
        hits = []
        for op in COMPRESSED:
            if w & op.mask == op.match:
                found = decode(w)
                if found is not None and found[0] is op:
                    hits.append(op.name)
        assert len(hits) <= 1, (hex(w), hits)


@pytest.mark.parametrize("op", TABLE, ids=lambda op: op.name)
def test_row_is_complete(op) -> None:
    for name, extractor in op.fields.items():
        assert extractor in F.EXTRACTORS, (op.name, name, extractor)
    if op.length == 2:
        assert op.base in BY_NAME and BY_NAME[op.base].length == 4
        assert set(op.fields) <= set(BY_NAME[op.base].fields) | {"rd", "rs1", "rs2", "imm"}
    else:
        assert op.sem and not op.base
    assert op.match & ~op.mask == 0


@pytest.mark.parametrize("word,name,fields", [
    (0x00000297, "auipc", {"rd": 5, "imm": 0}),
    (0x02828613, "addi", {"rd": 12, "rs1": 5, "imm": 40}),
    (0xF1402573, "csrrs", {"rd": 10, "rs1": 0, "csr": 0xF14}),
    (0xFEB506E3, "beq", {"rs1": 10, "rs2": 11, "imm": -20}),
    (0x06B6252F, "amoadd.w", {"rd": 10, "rs1": 12, "rs2": 11, "aq": 1, "rl": 1}),
    (0x050D, "c.addi", {"rd": 10, "rs1": 10, "imm": 3}),
    (0xB7C1, "c.j", {"rd": 0, "imm": -64}),
    (0x5575, "c.li", {"rd": 10, "rs1": 0, "imm": -3}),
    (0x8082, "c.jr", {"rd": 0, "rs1": 1, "imm": 0}),
    (0x9002, "c.ebreak", {}),
    (0x41C8, "c.lw", {"rd": 10, "rs1": 11, "imm": 4}),
])
def test_decode_known_encodings(word: int, name: str, fields: dict[str, int]) -> None:
    found = decode(word)
    assert found is not None
    op, got = found
    assert op.name == name
    assert {k: got[k] for k in fields} == fields


@pytest.mark.parametrize("word", [
    0x0000,  # defined illegal halfword (c.addi4spn with nzuimm = 0)
    0xFFFFFFFF,
    0x02001013,  # slli with shamt[5] = 1: reserved on RV32
    0x6001,  # c.lui with nzimm = 0: reserved
    0x8002,  # c.jr x0: reserved
    0x4002,  # c.lwsp x0: reserved
])
def test_reserved_encodings_are_illegal(word: int) -> None:
    assert decode(word) is None
