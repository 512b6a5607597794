"""The bit-manipulation helpers (rvirt.exec.semantics: CLZ, CTZ, CPOP, ROL, ORCB, REV8,
CLMUL) are written without loops so that native code inlines them; here each equals the
spec's own pseudocode (unprivileged spec chapter 28, written as loops over bits and
bytes) on the operand corners and on random words.  That the tiers and QEMU agree on every
Zb* instruction is the lock-step and three-tier tests' (their random streams hold them);
the native tier's lowering of each helper, straight IR with no exit to Python, is
checked here too."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rvirt.exec import native
from rvirt.exec.blocks import Insn
from rvirt.exec.semantics import HELPERS
from rvirt.isa.decode import decode
from rvirt.isa.xlen import MASK, XLEN

WORD = st.one_of(st.sampled_from([0, 1, 2, 3, 0x80, 0xFF, 0x100, MASK, MASK >> 1,
                                  (MASK >> 1) + 1, 0x00FF00FF & MASK, 0x01000100]),
                 st.integers(0, MASK))


def spec_clz(a: int) -> int:
    for i in range(XLEN - 1, -1, -1):
        if a >> i & 1:
            return XLEN - 1 - i
    return XLEN


def spec_ctz(a: int) -> int:
    for i in range(XLEN):
        if a >> i & 1:
            return i
    return XLEN


def spec_cpop(a: int) -> int:
    return sum(a >> i & 1 for i in range(XLEN))


def spec_orcb(a: int) -> int:
    out = 0
    for i in range(0, XLEN, 8):
        if a >> i & 0xFF:
            out |= 0xFF << i
    return out


def spec_rev8(a: int) -> int:
    out = 0
    for i in range(0, XLEN, 8):
        out |= (a >> i & 0xFF) << (XLEN - 8 - i)
    return out


def spec_clmul(a: int, b: int) -> int:  # the low half (CLMUL)
    out = 0
    for i in range(XLEN):
        if b >> i & 1:
            out ^= a << i
    return out & MASK


def spec_clmulh(a: int, b: int) -> int:
    out = 0
    for i in range(1, XLEN):
        if b >> i & 1:
            out ^= a >> (XLEN - i)
    return out


@given(a=WORD, b=WORD, n=st.integers(0, XLEN - 1))
def test_helpers_equal_the_spec(a: int, b: int, n: int) -> None:
    assert HELPERS["CLZ"](a) == spec_clz(a)
    assert HELPERS["CTZ"](a) == spec_ctz(a)
    assert HELPERS["CPOP"](a) == spec_cpop(a)
    assert HELPERS["ORCB"](a) == spec_orcb(a)
    assert HELPERS["REV8"](a) == spec_rev8(a)
    assert HELPERS["ROL"](a, n) == ((a << n) | (a >> (XLEN - n))) & MASK
    assert HELPERS["CLMUL"](a, b) & MASK == spec_clmul(a, b)
    assert HELPERS["CLMUL"](a, b) >> XLEN == spec_clmulh(a, b)


def test_native_code_inlines_every_zb_instruction_but_the_carry_less_products() -> None:
    """Each Zba, Zbb and Zbs row lowers to IR with no exit to Python; clmul, clmulh and
    clmulr (a loop in their helper) leave to the interpreter."""
    words = {  # one encoding of each row, a0 = op(a1[, a2 or an immediate])
        "sh1add": 0x20C5A533, "sh2add": 0x20C5C533, "sh3add": 0x20C5E533,
        "andn": 0x40C5F533, "orn": 0x40C5E533, "xnor": 0x40C5C533, "clz": 0x60059513,
        "ctz": 0x60159513, "cpop": 0x60259513, "max": 0x0AC5E533, "maxu": 0x0AC5F533,
        "min": 0x0AC5C533, "minu": 0x0AC5D533, "sext.b": 0x60459513, "sext.h": 0x60559513,
        "zext.h": 0x0805C533, "rol": 0x60C59533, "ror": 0x60C5D533, "rori": 0x6035D513,
        "orc.b": 0x2875D513, "rev8": 0x6985D513, "bclr": 0x48C59533, "bext": 0x48C5D533,
        "binv": 0x68C59533, "bset": 0x28C59533, "bclri": 0x48359513, "bexti": 0x4835D513,
        "binvi": 0x68359513, "bseti": 0x28359513, "pause": 0x0100000F,
        "clmul": 0x0AC59533, "clmulh": 0x0AC5B533, "clmulr": 0x0AC5A533}
    for name, w in words.items():
        found = decode(w)
        assert found is not None and found[0].name == name, (name, found)
        block = native._Block([Insn(0x80000000, w, *found)], 0x80000000, 1 << 20)
        block.generate("b")
        assert block.native_len == (0 if name.startswith("clmul") else 1), name
