"""rvirt against QEMU 7.2, one instruction at a time: every corpus program from reset to
its exit, the tutorial kernel examples/p0 for its first few thousand instructions, and
seeded random instruction streams.  The harness is tests/cpu/lockstep/harness.py; the differences
it accepts are listed in tests/cpu/lockstep/known_differences.py.

The last test checks that the suite compared enough instructions; it relies on running
after the others in this module (pytest's default order).
"""

from __future__ import annotations

import pytest

from tests.cpu.lockstep.harness import SESSION_TALLY, lockstep
from tests.cpu.lockstep.randgen import generate
from tests.isa import corpus
from tests.tooling import ROOT, assemble, missing

pytestmark = pytest.mark.tools

CORPUS_MAX_STEPS = 20_000
P0_ELF = ROOT / "examples" / "p0" / "target" / "riscv32imac-unknown-none-elf" / "debug" / "p0"
P0_STEPS = 3_000
RANDOM_SEEDS = range(16)
RANDOM_LENGTH = 300
MIN_TOTAL_COMPARED = 10_000


def corpus_label(name: str) -> str:
    return f"corpus/{name}"


def random_label(seed: int) -> str:
    return f"random/{seed}"


@pytest.mark.parametrize("name", corpus.PROGRAMS)
def test_corpus_program_in_lockstep(name: str) -> None:
    result = lockstep(corpus_label(name), corpus.build(name), CORPUS_MAX_STEPS)
    # rvirt's documented differences are copied into QEMU as they arise, so QEMU follows
    # the spec too and every program passes on both
    assert result.exit_status == 0


def test_p0_kernel_in_lockstep() -> None:
    if not P0_ELF.is_file():
        missing(f"{P0_ELF.relative_to(ROOT)} is not built (make p0)")
    result = lockstep("examples/p0", P0_ELF, P0_STEPS, expect_exit=False)
    assert result.steps == P0_STEPS or result.exit_status is not None


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_stream_in_lockstep(seed: int) -> None:
    elf = assemble(generate(seed, RANDOM_LENGTH), f"diff_random_{seed}")
    result = lockstep(random_label(seed), elf, 20 * RANDOM_LENGTH)
    assert result.exit_status == 0
    assert result.traps > 0, "every stream should take some traps"


def test_total_compared_instructions() -> None:
    """At least MIN_TOTAL_COMPARED instructions compared by the runs above (checked only
    when all corpus and random runs took place in this session)."""
    wanted = {corpus_label(n) for n in corpus.PROGRAMS} | {random_label(s) for s in RANDOM_SEEDS}
    missing = wanted - SESSION_TALLY.keys()
    if missing:
        pytest.skip(f"{len(missing)} lock-step runs did not run in this session")
    total = sum(SESSION_TALLY.values())
    print(f"lock-step: {total} instructions compared in {len(SESSION_TALLY)} runs")
    assert total >= MIN_TOTAL_COMPARED
