"""The block translator against the interpreter on the programs where exactness is hard:
self-modifying code with and without fence.i, precise traps in the middle of a block,
counters read inside blocks, timer interrupts, and the switch to the interpreter when
the debugger sets breakpoints or watchpoints."""

from __future__ import annotations

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.errors import RvirtError
from tests.exec import programs as P
from tests.exec.harness import assert_same, diff, machine, run, snapshot

pytestmark = pytest.mark.tools

BUDGET = 1_000_000


@pytest.mark.parametrize("threshold", [1, 3])
@pytest.mark.parametrize("sync", ["fence.i", "nop"])
def test_code_rewritten_in_a_hot_loop(sync: str, threshold: int) -> None:
    """fence.i drops every translation; without it rvirt still drops the block the store
    hit, so the new instruction runs from the next call on either way (rvirt's rule: a
    store is visible to the next instruction fetch, as in the interpreter)."""
    elf = P.build(f"smc_calls_{sync.replace('.', '')}",
                  P.SMC_CALLS.format(new=P.ADDI_A0_2, sync=sync))
    state, m = assert_same(elf, BUDGET, threshold)
    assert state.status == 0
    assert state.x[10] == 50 * 1 + 50 * 2
    tr = m.translator  # type: ignore[attr-defined]
    assert tr.translated > 0 and tr.dropped > 0


# A hot loop that runs fence.i on every iteration without changing any code, and then
# once more after rewriting func's instruction by a store the translators see (as above).
FENCE_EVERY_ITERATION = """
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    li a0, 0
    li s0, 100
    la s2, patch
    li s3, {new:#x}
loop:
    fence.i
    jal ra, func
    addi s0, s0, -1
    bnez s0, loop
    sw s3, 0(s2)
    fence.i
    jal ra, func
    j finish
func:
patch:
    addi a0, a0, 1
    ret
""" + P.FINISH


@pytest.mark.parametrize("accel", ["tcg", "native"])
def test_fence_i_keeps_the_blocks_of_code_that_did_not_change(accel: str) -> None:
    """fence.i drops only blocks whose code memory no longer holds (Zifencei asks no
    more): a loop fencing on every iteration keeps its blocks, and the result is the
    interpreter's, the rewritten instruction included."""
    elf = P.build("fence_every_iteration", FENCE_EVERY_ITERATION.format(new=P.ADDI_A0_2))
    ref, _ = run(elf, "interp", BUDGET)
    got, m = run(elf, accel, BUDGET, threshold=1)
    assert not diff(ref, got), diff(ref, got)
    assert got.x[10] == 100 + 2
    tr = m.translator  # type: ignore[attr-defined]
    # Each block is made once (a flush on every fence.i made them 100 times over); the
    # store dropped func's block, which was not made again (one more call).
    assert 0 < tr.translated < 10, tr.translated
    assert tr.dropped == 1


def test_store_into_the_running_block() -> None:
    """The store patches the next instruction of its own (translated) block: the block
    ends after the store and the patched instruction runs, on every iteration."""
    elf = P.build("smc_in_block", P.SMC_IN_BLOCK.format(new=P.ADDI_A0_2))
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert state.status == 0
    assert state.x[10] == 2 * 40
    tr = m.translator  # type: ignore[attr-defined]
    assert tr.dropped >= 1
    # Each drop doubles the warm-up before the next translation: a handful of
    # translations over the 40 iterations, not one per iteration.
    assert tr.translated < 12, tr.translated


def test_trap_in_the_middle_of_a_block_is_precise() -> None:
    elf = P.build("trap_mid_block", P.TRAP_MID_BLOCK)
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert state.status == 0
    saved = m.symbols["saved"] - m.hart.ram_base
    mepc, mcause, mtval, minstret = (int.from_bytes(m.ram[saved + 4 * i:saved + 4 * i + 4],
                                                    "little") for i in range(4))
    assert (mepc, mcause, mtval) == (m.symbols["fault"], 5, 0x90000000)
    # iteration 11 ran a1 += 1 and a2 += 3 before the faulting load, and not a4 += 1
    assert state.x[11] == 11 and state.x[12] == 33 and state.x[14] == 10
    assert minstret > 0
    assert _translated(m, m.symbols["fault"])


def test_illegal_csr_at_the_end_of_a_hot_block() -> None:
    elf = P.build("trap_illegal_csr", P.TRAP_ILLEGAL_CSR)
    state, m = assert_same(elf, BUDGET, threshold=1)
    mepc, mcause, mtval = state.x[24], state.x[25], state.x[26]
    assert mepc == m.symbols["bad"] and mcause == 2
    assert mtval == 0x7C0026F3  # csrrs a3, 0x7c0, zero: the instruction's bits
    assert _translated(m, m.symbols["bad"])


def test_counters_read_inside_blocks_are_exact() -> None:
    elf = P.build("counters", P.COUNTERS)
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert state.status == 0
    assert state.x[9] == 200 * 6  # s1: csrr t0 + 5 instructions before csrr t1


def test_stores_next_to_code_drop_nothing() -> None:
    """The loop stores to a data word in the page of its own code: only stores into
    the bytes of translated instructions drop blocks."""
    elf = P.build("counters", P.COUNTERS)
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert m.symbols["log"] >> 12 == m.symbols["_start"] >> 12
    tr = m.translator  # type: ignore[attr-defined]
    assert tr.translated > 0 and tr.dropped == 0


def test_timer_interrupts_land_at_the_same_instruction() -> None:
    elf = P.build("timer", P.TIMER)
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert state.status == 0 and state.x[21] == 10  # s5: ten interrupts taken
    log = m.symbols["log"] - m.hart.ram_base
    mepcs = {int.from_bytes(m.ram[log + 12 * i:log + 12 * i + 4], "little") for i in range(10)}
    spin = m.symbols["spin"]
    assert mepcs <= set(range(spin, spin + 20, 4))
    assert m.translator.translated > 0  # type: ignore[attr-defined]


def test_a_full_cache_is_dropped_whole_and_refilled() -> None:
    """With room for two blocks (the timer program's loop and handler need more) the
    cache fills and is emptied again and again; the run still ends exactly as the
    interpreter's does."""
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    m = machine(elf, "tcg", threshold=1)
    m.translator.max_blocks = 2  # type: ignore[attr-defined]
    got = snapshot(m, m.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    tr = m.translator  # type: ignore[attr-defined]
    assert len(tr.all_blocks()) <= 2 and tr.dropped > 10 and tr.translated > 10


def test_shared_range_check_falls_back_access_by_access() -> None:
    """The loop's accesses off s3 share one check; when it fails (misaligned base, RAM
    end, below RAM, a device) each access goes through the accessors and faults exactly
    where the interpreter's does."""
    elf = P.build("shared_check", P.SHARED_CHECK)
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert state.status == 0
    assert state.x[11] > 0  # a1: faults stepped over
    loop = m.symbols["loop"]
    fn = next(fn for fn in m.translator.all_blocks() if fn.pcs[0] == loop)  # type: ignore[attr-defined]
    assert "if f19:" in fn.source  # s3 (x19): one check for the window, a flag per access


def test_inlined_ifs_count_both_paths_and_traps_name_the_load() -> None:
    elf = P.build("if_then_trap", P.IF_THEN_TRAP)
    state, m = assert_same(elf, BUDGET, threshold=1)
    assert state.status == 0
    assert (state.x[11], state.x[12], state.x[13], state.x[14]) == (10, 30, 20, 5)
    log = m.symbols["log"] - m.hart.ram_base
    mepcs = {int.from_bytes(m.ram[log + 8 * i:log + 8 * i + 4], "little") for i in range(5)}
    assert mepcs == {m.symbols["load"]}
    loop = m.symbols["loop"]
    fn = next(fn for fn in m.translator.all_blocks() if fn.pcs[0] == loop)  # type: ignore[attr-defined]
    assert fn.source.count("ic -= ") == 2  # both ifs inlined, none a side exit


def _translated(m: Board, pc: int) -> bool:
    """Some block holds the instruction at pc."""
    return any(pc in fn.pcs for fn in m.translator.all_blocks())  # type: ignore[attr-defined]


def _spinning(threshold: int = 1) -> Board:
    m = machine(P.build("timer", P.TIMER), "tcg", threshold)
    assert m.resume(3000) is None
    assert m.translator.translated > 0  # type: ignore[attr-defined]
    return m


def test_breakpoint_in_translated_code_stops_there() -> None:
    m = _spinning()
    spin = m.symbols["spin"]
    m.add_breakpoint(spin + 8)
    stop = m.resume(100_000)
    assert stop is not None and stop.kind == "breakpoint" and stop.addr == spin + 8
    assert m.hart.pc == spin + 8


def test_watchpoint_in_translated_code_stops_before_the_store() -> None:
    m = _spinning()
    counter = m.symbols["counter"]
    m.add_watchpoint("watch", counter, 4)
    stop = m.resume(100_000)
    assert stop is not None and stop.kind == "watch" and stop.addr == counter
    assert m.hart.pc == m.symbols["spin"] + 12  # the sw, not yet executed


def test_accel_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RVIRT_ACCEL", "interp")
    assert BoardConfig().accel == "interp"
    monkeypatch.delenv("RVIRT_ACCEL")
    assert BoardConfig().accel == "native"
    with pytest.raises(RvirtError, match="unknown accelerator"):
        BoardConfig(accel="kvm")


def test_constants_are_folded_into_the_block() -> None:
    """`li t2, 1103515245` (lui + addi) becomes one constant, and the multiply that
    follows uses it as a literal; a register read before any constant is set stays."""
    from rvirt.exec.blocks import Insn
    from rvirt.exec.translate import generate
    from rvirt.isa.decode import decode

    words = [(0x41C65 << 12) | (7 << 7) | 0x37,  # lui t2, 0x41c65
             (0xE6D << 20) | (7 << 15) | (7 << 7) | 0x13,  # addi t2, t2, -403
             (1 << 25) | (7 << 20) | (10 << 15) | (28 << 7) | 0x33]  # mul t3, a0, t2
    insns = []
    for i, w in enumerate(words):
        found = decode(w)
        assert found is not None
        insns.append(Insn(0x80000000 + 4 * i, w, *found))
    src = generate(insns, 0x80000000, 1 << 20)
    assert "x7 = 0x41c64e6d" in src and "0x41c65000" not in src
    assert "x28 = (x10 * 0x41c64e6d) & 0xffffffff" in src
    ns: dict[str, object] = {}
    exec(src, ns)  # noqa: S102
    X = [0] * 33
    X[10] = 3
    h = type("H", (), {"instret": 0})()
    ns["b_80000000"](h, X, 0, 100)  # type: ignore[operator]
    assert X[7] == 1103515245 and X[28] == (3 * 1103515245) & 0xFFFFFFFF and h.instret == 3


@pytest.mark.parametrize("name", ["timer", "if_then_trap", "trap_mid_block"])
def test_basic_block_lengths_are_the_untraced_scans(name: str) -> None:
    """Cold code is interpreted by basic blocks, whose lengths come from a slim loop:
    at every instruction address of the program it must give what the untraced scan
    gives (the block that scan would make)."""
    m = machine(P.build(name, getattr(P, name.upper())), "tcg")
    tr = m.translator  # type: ignore[attr-defined]
    space = tr.spaces[0]
    lo = m.hart.ram_base
    hi = lo + 0x200  # the program's code and more (data decodes or stops the scan)
    for pc in range(lo, hi, 2):
        tr._enter(space, pc, pc)
        want = max(1, len(tr.scan(pc, trace=False)))
        assert tr._basic_length(space, pc, pc) == want, hex(pc)
