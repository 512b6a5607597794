"""The helpers the Python block tier spells out inline (semantics.INLINE) compute what
their functions do, edge cases (division by zero) included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rvirt.exec.semantics import HELPERS, INLINE
from rvirt.isa.xlen import MASK

WORD = st.one_of(st.sampled_from([0, 1, 2, MASK, MASK >> 1, (MASK >> 1) + 1]),
                 st.integers(0, MASK))


@given(a=WORD, b=WORD)
def test_inline_forms_equal_their_functions(a: int, b: int) -> None:
    assert INLINE  # DIVU and REMU today
    for name, form in INLINE.items():
        assert eval(form.format(a=a, b=b)) == HELPERS[name](a, b), name  # noqa: S307
