"""Differential runs: every program of the instruction corpus and random instruction
streams, on the interpreter alone and on the block translator; all state must agree (x
registers, pc, privilege, every CSR, instret, RAM, console output, exit status)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import tooling
from tests.cpu.lockstep import randgen
from tests.exec.harness import assert_same
from tests.isa import corpus

pytestmark = pytest.mark.tools

BUDGET = 2_000_000  # far more than any corpus program needs; a hang shows as status None


@pytest.mark.parametrize("threshold", [1, 8])
@pytest.mark.parametrize("name", corpus.PROGRAMS)
def test_corpus_program(name: str, threshold: int) -> None:
    """Threshold 1 translates every block at first sight (all code runs translated);
    8, the default, mixes interpreted cold code with translated hot code."""
    state, m = assert_same(corpus.build(name), BUDGET, threshold)
    departure = corpus.QEMU_7_2_DEPARTURES.get(name)
    assert state.status == 0, f"{name} fails on rvirt" + (f" ({departure.why})"
                                                          if departure else "")
    if threshold == 1:
        assert m.translator.translated > 0  # type: ignore[attr-defined]


# Fixed seed and example count: the same streams on every run, bounded time in CI.
@settings(max_examples=120, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(10, 400),
       threshold=st.sampled_from([1, 2]))
def test_random_stream(seed: int, length: int, threshold: int) -> None:
    """randgen's streams: ALU, M, loads/stores (some misaligned or faulting), branches,
    AMOs, lr/sc, CSRs, compressed forms and trapping instructions, stepped over by a
    handler that itself runs translated after its first trap or two."""
    elf = tooling.assemble(randgen.generate(seed, length), f"exec_rand_{seed}_{length}")
    state, _ = assert_same(elf, BUDGET, threshold)
    assert state.status == 0


def _looped(source: str, times: int) -> str:
    """randgen's program with its random body run `times` times: a counter in memory
    (every register but t5/t6, the trap handler's, belongs to the body) closes the loop,
    so blocks get hot, are translated mid-run and are entered again."""
    lines = source.splitlines()
    first = lines.index(f"    addi sp, s0, {randgen.SP_OFFSET}") + 1 + len(randgen.POOL)
    end = lines.index(f"    li t6, {randgen.FINISHER:#x}")
    lines[end:end] = ["    la t6, loop_count", "    lw t5, 0(t6)", "    addi t5, t5, -1",
                      "    sw t5, 0(t6)", "    bnez t5, body"]
    lines[first:first] = ["body:"]
    lines += ["    .balign 4", f"loop_count: .word {times}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=80, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(5, 200),
       threshold=st.sampled_from([2, 3, 5]))
def test_random_stream_in_a_loop(seed: int, length: int, threshold: int) -> None:
    source = _looped(randgen.generate(seed, length), 6)
    elf = tooling.assemble(source, f"exec_loop_{seed}_{length}")
    state, m = assert_same(elf, BUDGET, threshold)
    assert state.status == 0
    if "fence.i" not in source:  # fence.i drops every translation and hit count
        assert m.translator.translated > 0  # type: ignore[attr-defined]
