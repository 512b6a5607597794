"""Differential runs with Sv32 paging and PMP on: S- and U-mode code, on the interpreter
alone and on the block translator; all state must agree (x registers, pc, privilege,
every CSR, instret, RAM, console output, exit status).

A translator that runs under paging must key its blocks by more than the pc: the same
virtual address can hold different code in two address spaces (satp, priv spec 4.1.11)
or after a PTE is rewritten and sfence.vma executed (4.2.1); every fetch, load and store
must fault exactly where the interpreter's does (page faults, 4.3.2; PMP access faults,
3.7.1) and leave the A/D bits the walk sets (4.3.2 step 7) in the same state.  The
programs come from tests/exec/paged.py: randgen's random bodies wrapped in page tables and
trap handlers, and fixed programs that switch address spaces under hot code.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from rvirt.cpu.pmp import PMP_R
from tests import tooling
from tests.cpu.lockstep import randgen
from tests.exec import paged
from tests.exec.harness import State
from tests.exec.paged import A, D, Layout

pytestmark = pytest.mark.tools


def _check_end(state: State, lay: Layout) -> None:
    """The run passed and really ended in the body's ecall: from lay.mode (MPP), with
    Sv32 on when the layout pages (the handler finishes only when mepc is the virtual
    address of the end marker, so an unpaged body could not pass an aliased layout)."""
    assert state.status == 0
    csrs = dict(state.csrs)
    assert csrs["mcause"] == paged.ECALL_FROM[lay.mode]
    assert (csrs["mstatus"] or 0) >> 11 & 3 == (paged.PRV_S if lay.mode == "S" else paged.PRV_U)
    assert (csrs["satp"] or 0) >> 31 == int(lay.paged)


# Fixed seed and example count: the same programs on every run, bounded time in CI.
@settings(max_examples=60, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(20, 300),
       threshold=st.sampled_from([1, 2, 3]), layout=st.integers(0, 2**32 - 1))
def test_paged_random_stream(seed: int, length: int, threshold: int, layout: int) -> None:
    """randgen's straight-line streams in S/U-mode under the layout's mapping: loads and
    stores page-fault or PMP-fault where the layout says, the handlers (M, or S for
    delegated causes) step over them.  Threshold 1 translates every block at first
    sight, so the whole body runs translated."""
    lay = paged.draw_layout(f"{seed}:{length}:{layout}")
    note(repr(lay))
    source = paged.random_program(seed, length, lay)
    elf = tooling.assemble(source, f"exec_paged_{seed}_{length}")
    state, tcg, _ = paged.assert_same(elf, threshold)
    _check_end(state, lay)
    if threshold == 1:
        assert tcg.below_m > 0  # S/U blocks really ran translated


@settings(max_examples=40, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(5, 150),
       threshold=st.sampled_from([1, 2, 3]), layout=st.integers(0, 2**32 - 1))
def test_paged_random_stream_in_a_loop(seed: int, length: int, threshold: int,
                                       layout: int) -> None:
    """The body run 6 times: blocks under paging get hot mid-run and are entered again,
    across traps to M and back (an ecall each round) and the A/D bits set on the first
    round."""
    lay = paged.draw_layout(f"loop:{seed}:{length}:{layout}")
    note(repr(lay))
    source = paged.random_program(seed, length, lay, loops=6)
    elf = tooling.assemble(source, f"exec_paged_loop_{seed}_{length}")
    state, tcg, _ = paged.assert_same(elf, threshold)
    _check_end(state, lay)
    if "fence.i" not in source:  # fence.i drops every translation and hit count
        assert tcg.translated > 0
        assert tcg.below_m > 0  # S/U blocks really ran translated


ROUNDS = [(0, 40), (1, 40), (0, 40), (1, 7), (1, 33), (0, 1), (0, 25), (1, 50), (0, 3)]


@pytest.mark.parametrize("asids", [(0, 0), (1, 2)])
@pytest.mark.parametrize("mode", ["S", "U"])
@pytest.mark.parametrize("threshold", [1, 2, 3])
def test_two_address_spaces(threshold: int, mode: str, asids: tuple[int, int]) -> None:
    """One virtual code address, two physical loops (adding 1 and adding 2 plus a word
    read through a virtual data address mapped differently too), switched by M-mode
    satp writes and sfence.vma between hot runs (4.1.11, 4.2.1).  Same ASID in both
    spaces or different ones: with sfence.vma after each write, either is correct.  A
    translator that keyed blocks by virtual pc alone would run A's loop under B."""
    adds, words = (1, 2), (10, 300)
    elf = tooling.assemble(paged.two_spaces_program(mode, ROUNDS, asids, adds, words, A | D),
                           f"exec_paged_spaces_{mode}_{asids[0]}{asids[1]}")
    state, tcg, m = paged.assert_same(elf, threshold)
    assert state.status == 0
    expected = 0
    last = [0, 0]  # a0 as last stored into each space's data page
    for s, n in ROUNDS:
        expected += n * (words[s] + adds[s])
        last[s] = expected
    assert state.x[10] == expected
    for s, name in enumerate("ab"):
        o = m.symbols[f"data_{name}"] + 4 - m.hart.ram_base
        assert int.from_bytes(m.ram[o:o + 4], "little") == last[s]
    assert tcg.below_m > 0  # the loops ran translated, not just the M-mode driver


@pytest.mark.parametrize("asids", [(0, 0), (3, 5)])
@pytest.mark.parametrize("ad", [A | D, 0], ids=["ad-preset", "ad-clear"])
@pytest.mark.parametrize("threshold", [1, 2, 3])
def test_pte_rewritten_under_hot_code(threshold: int, ad: int, asids: tuple[int, int]) -> None:
    """S-mode rewrites, through a mapping of its own page table, the PTE of a virtual
    code page whose function is hot (and of the data page it reads), executes
    sfence.vma (all, by address, by ASID: 4.2.1) and calls it again: the new physical
    code must run.  It also writes satp itself, the next instruction coming from the
    other address space.  The expected sum is computed from the plan (paged.remap_plan)
    and checked by the guest and here."""
    elf = tooling.assemble(paged.remap_program(ad, asids),
                           f"exec_paged_remap_{ad}_{asids[0]}{asids[1]}")
    state, tcg, _ = paged.assert_same(elf, threshold)
    assert state.status == 0
    assert state.x[10] == paged.remap_expected()
    assert tcg.below_m > 0


@pytest.mark.parametrize("sync", ["fence.i", "nop"])
@pytest.mark.parametrize("threshold", [1, 2, 3])
def test_code_rewritten_through_an_alias(threshold: int, sync: str) -> None:
    """A hot function's instruction rewritten by S-mode through a second, writable
    virtual mapping of its page, then by M-mode at its physical address: the next call
    runs the new instruction (rvirt's rule, as in test_translator's physical cases:
    with or without fence.i).  Code must be tracked by physical address."""
    elf = tooling.assemble(paged.smc_program(sync), f"exec_paged_smc_{sync.replace('.', '')}")
    state, tcg, _ = paged.assert_same(elf, threshold)
    assert state.status == 0
    assert state.x[10] == sum(paged.REMAP_CALLS * paged.REMAP_ITER * k for k in paged.SMC_ADDS)
    assert tcg.below_m > 0


CHECKED = [
    Layout(),
    Layout(mode="U", deleg=0xFFFF, pad=4096 - 2, ad="clear", data2="ro", hole="bus"),
    Layout(mapping="identity", data2="ro", pmp="napot", guard=0, read="phys"),
    Layout(data2="none", hole="none", pad=4096 - 6, mode="U"),
    Layout(mapping="megapage", va_base=0xC0000000, mode="U", pmp="ram", hole="ro"),
    Layout(mapping="megapage", va_base=paged.DRAM, ad="clear", deleg=0xFFFF, hole="bus"),
    Layout(va_base=0x00400000, data2="xonly", mxr=True, code_xonly=True, user_data=True,
           pmp="tor", guard=PMP_R, hole="rw", ad="mixed"),
    Layout(mapping="bare", mode="U", pmp="tor", guard=0),
]


@pytest.mark.parametrize("index", range(len(CHECKED)),
                         ids=[f"{lay.mapping}-{lay.mode}-{lay.data2}" for lay in CHECKED])
def test_programs_run_paged_below_m(index: int) -> None:
    """The generator does what it claims: stepping the interpreter, most instructions
    run in S/U, with Sv32 on, from the virtual pages of the layout (not the physical
    ones when aliased), and the layout's faults happen (load/store page faults 13/15
    when pages are missing or read-only, access faults 5/7 for PMP or the hole)."""
    lay = CHECKED[index].normalized()
    t = paged.trace(tooling.assemble(paged.random_program(7, 200, lay, loops=2),
                                     f"exec_paged_trace_{index}"))
    assert t.status == 0
    assert t.steps_below_m > 300
    assert t.paged_steps == (t.steps_below_m if lay.paged else 0)
    base = lay.va_base >> 12 if lay.paged else paged.DRAM >> 12
    assert all(base <= p < base + 1024 for p in t.pages_below_m), t.pages_below_m
    # two rounds and the end, and each round those of the body's own random ecalls its
    # branches do not skip (which depends on the layout's addresses)
    own = randgen.generate(7, 200).split("\nrand_data:")[0].count("\n    ecall\n")
    assert 3 <= t.causes.get(paged.ECALL_FROM[lay.mode], 0) <= 3 + 2 * own
    if lay.data2 in ("ro", "none") or lay.hole == "ro":
        assert t.causes.get(15, 0) > 0
    if lay.data2 == "none":
        assert t.causes.get(13, 0) > 0
    pmp_denies = lay.pmp in ("napot", "tor") and lay.guard == 0 and lay.data2 != "none"
    if pmp_denies or lay.hole == "bus" or not lay.paged:
        assert t.causes.get(5, 0) + t.causes.get(7, 0) > 0


def test_bare_s_mode_runs_physical_blocks() -> None:
    """S-mode with satp bare and PMP open: the one case below M where fetches, loads and
    stores are physical and unchecked, so its blocks are physical ones (and the counter
    behind the `below_m` checks sees them)."""
    lay = Layout(mapping="bare", pmp="open").normalized()
    elf = tooling.assemble(paged.random_program(11, 100, lay, loops=6), "exec_paged_bare")
    state, tcg, _ = paged.assert_same(elf, 2)
    _check_end(state, lay)
    assert tcg.below_m > 0
