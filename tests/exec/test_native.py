"""The native tier (-accel native) beyond what the three-tier differential runs check:
hot blocks really become native code and get recompiled when they stay hot, the one
invalidation path drops native code, the table's statements lower to IR without a
second copy of the ISA, llvmlite is imported only once a block is hot, and without
llvmlite rvirt says so once and runs Python blocks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.exec import native
from rvirt.exec.blocks import Insn
from rvirt.exec.translate import Translator
from rvirt.isa.decode import decode
from tests.exec import programs as P
from tests.exec.harness import clint_readers, diff, machine, run, snapshot

pytestmark = pytest.mark.tools

BUDGET = 1_000_000


def _native_blocks(m: Board) -> list[object]:
    return [fn for fn in m.translator.all_blocks()  # type: ignore[attr-defined]
            if getattr(fn, "native", False)]


def test_hot_blocks_run_native_with_the_interpreters_result() -> None:
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    got, m = run(elf, "native", BUDGET, threshold=1)
    assert not diff(ref, got), diff(ref, got)
    assert _native_blocks(m)


def test_a_block_that_stays_hot_is_compiled_again_optimised(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr(native, "HOTTER", 50)
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    got, m = run(elf, "native", BUDGET, threshold=1)
    assert not diff(ref, got), diff(ref, got)
    assert any(fn.opt == native.OPT_HOT for fn in _native_blocks(m))  # type: ignore[attr-defined]


def test_a_store_into_native_code_drops_it() -> None:
    """The loop patches its own next instruction: native code leaves the store to the
    interpreter, whose store drops the block through the translator's one path."""
    elf = P.build("smc_in_block", P.SMC_IN_BLOCK.format(new=P.ADDI_A0_2))
    ref, _ = run(elf, "interp", BUDGET)
    got, m = run(elf, "native", BUDGET, threshold=1)
    assert not diff(ref, got), diff(ref, got)
    assert got.x[10] == 2 * 40
    assert m.translator.dropped >= 1  # type: ignore[attr-defined]


def _block(*words: int, pc: int = 0x80000000) -> list[Insn]:
    out = []
    for w in words:
        found = decode(w)
        assert found is not None
        op, f = found
        out.append(Insn(pc, w, op, f))
        pc += op.length
    return out


def test_the_table_lowers_to_ir() -> None:
    """div (a helper lowered from its Python source), mulhu (a 64-bit product), a load
    and a store: straight IR, with no call out of native code."""
    # div a0, a1, a2; mulhu a3, a1, a2; lw a4, 8(sp); sw a4, 12(sp)
    insns = _block(0x02C5C533, 0x02C5B6B3, 0x00812703, 0x00E12623)
    ir = native.generate(insns, 0x80000000, 1 << 20)
    assert ir is not None
    assert "sdiv i64" in ir and "mul i128" in ir
    assert "load i32" in ir and "store i32" in ir
    assert "call" not in ir.replace("musttail call", "")
    assert "inttoptr" not in ir  # no host address: the same object code in every process


def test_code_that_leaves_at_once_stays_a_python_block() -> None:
    # csrr t6, mcause; addi t6, t6, 1
    insns = _block(0x34202FF3, 0x001F8F93)
    assert native.generate(insns, 0x80000000, 1 << 20) is None


@pytest.mark.parametrize("name", ["timer", "shared_check"])
def test_background_compiles_hand_over_at_every_instruction_boundary(name: str) -> None:
    """The machine's native tier compiles on the compiler's thread while the blocks go
    on in Python.  Stopped after each of the first instructions, with everything the
    thread was given by then installed there (as the dispatcher does between two
    blocks), each run must end exactly as the interpreter's: counters, mtime reads and
    the timer's interrupts included."""
    elf = P.build(name, getattr(P, name.upper()))
    ref, _ = run(elf, "interp", BUDGET)
    handed = 0
    for k in range(64):
        m = machine(elf, "native")
        m.translator = native.NativeTranslator(m.hart, threshold=1, hot=1,  # type: ignore[attr-defined]
                                               background=True)
        status = m.run(k) if k else None
        assert native.COMPILER.wait()
        m.translator.codegen.install_ready()  # type: ignore[attr-defined]
        handed += bool(_native_blocks(m))
        if status is None:
            status = m.run(BUDGET)
        got = snapshot(m, status)
        assert not diff(ref, got), f"handed over after {k} instructions:\n{diff(ref, got)}"
    assert handed >= 16  # native code came in mid-run, at many of the boundaries


def test_llvmlite_is_imported_only_once_a_block_gets_hot() -> None:
    """Not at start-up nor for cold code; once a block is hot (the timer program's spin
    loop, entered again after each interrupt), LLVM loads on the compiler's thread while
    the block goes on as Python."""
    elf = P.build("timer", P.TIMER)
    code = ("import sys\n"
            "from rvirt.board.virt import Board, BoardConfig\n"
            f"m = Board(BoardConfig(bios={str(elf)!r}, accel='native'), "
            "console=lambda b: None)\n"
            "m.run(5)\n"
            "cold = 'llvmlite' in sys.modules\n"
            "m.run(1_000_000)\n"
            "from rvirt.exec.native import COMPILER\n"
            "assert COMPILER.wait()\n"
            "print(cold, 'llvmlite' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True)
    assert r.stdout.split() == ["False", "True"]


def test_without_llvmlite_one_note_and_python_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "available", lambda: False)
    notes: list[str] = []
    elf = P.build("counters", P.COUNTERS)
    m = Board(BoardConfig(bios=str(elf), accel="native"), console=lambda b: None,
                notice=notes.append)
    assert m.run(BUDGET) == 0
    assert len(notes) == 1 and "llvmlite" in notes[0]
    assert type(m.translator) is Translator  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["sv32_user", "pmp"])
def test_code_under_sv32_or_pmp_runs_native(name: str) -> None:
    """Mapped blocks (keyed by virtual pc and physical page) become native too: their
    loads, stores and chaining read the native copy of the MMU's RAM fast path."""
    from tests.cpu.priv import programs

    elf = programs.build(name)
    ref, _ = run(elf, "interp", BUDGET)
    got, m = run(elf, "native", BUDGET, threshold=1)
    assert not diff(ref, got), diff(ref, got)
    made = m.translator.codegen.mapped_made  # type: ignore[attr-defined]
    assert made > 0, f"{name}: no mapped block ran native"


def test_a_device_asking_for_the_pc_gets_the_instruction_native_code_left_to_python(
        ) -> None:
    """A bus access from a side exit (the COUNTERS loop's mtime load, a device) is
    attributed to its instruction, as diagnostics do when they name the pc."""
    elf = P.build("counters", P.COUNTERS)
    m = Board(BoardConfig(bios=str(elf), accel="tcg"), console=lambda b: None)
    m.translator = native.NativeTranslator(m.hart, threshold=1, hot=1)  # type: ignore[attr-defined]
    seen = clint_readers(m, BUDGET)
    loop = m.symbols["loop"]
    assert _native_blocks(m)
    assert seen == {loop + 12}  # lw t3, 0(s2): mtime


def test_a_full_code_store_starts_over_and_frees_the_old_code(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """MCJIT frees code only with its engine: when MAX_LOADED functions are loaded, every
    block goes and a new engine takes over between two batches (as QEMU flushes its
    translations when its code buffer is full); the old engine is freed once no block
    holds it, and the run ends as on the interpreter.  A machine let go frees the last
    one."""
    import gc
    import weakref

    monkeypatch.setattr(native, "MAX_LOADED", 2)
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    m = machine(elf, "native")
    store = m.translator.codegen.store  # type: ignore[attr-defined]
    engines = []  # each engine renew() left

    def spied(store: native.CodeStore = store, renew: object = store.renew) -> None:
        engines.append(weakref.ref(store.engine))
        renew()  # type: ignore[operator]

    store.renew = spied
    got = snapshot(m, m.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    assert store.renewals >= 2
    gc.collect()
    assert engines and all(e() is None for e in engines)  # the old engines were freed
    last = weakref.ref(store.engine)
    del m, store, spied
    gc.collect()
    assert last() is None


def test_the_native_tlb_copy_follows_the_mmus_contexts() -> None:
    """The C copy of the MMU's RAM fast path keeps each context's tables aside as the
    MMU keeps its entries (Mmu.switch), and the state block points native code at the
    current context's: through any sequence of context switches, new entries,
    sfence.vma of one page or of all, every entry native code can find is the MMU's own
    for the current context (a stale one would translate wrongly), and a context the MMU
    restores comes back whole."""
    import ctypes
    import random

    from rvirt.cpu.mmu import LOAD, STORE

    m = Board(BoardConfig(ram_size=8 << 20, bios="none"), notice=lambda msg: None)
    mmu = m.hart.mmu
    state = native.State()
    tlb = native.Tlb(state)
    mmu.mirror = tlb
    rng = random.Random(7)
    contexts = [(p, 0, 0, i) for p in (0, 1) for i in range(6)]
    mmu.switch(contexts[0])
    restored = 0
    for _ in range(3000):
        op = rng.random()
        if op < 0.25:
            ctx = rng.choice(contexts)
            back = ctx in mmu.saved
            mmu.switch(ctx)
            restored += back
        elif op < 0.9:
            vpn = rng.randrange(0x40000, 0x40000 + 2048)  # colliding slots too
            pa = 0x80000000 + rng.randrange(2048) * 0x1000
            mmu.remember(vpn << 12, pa, rng.choice((LOAD, STORE, 2)), 3)
        elif op < 0.98:
            mmu.flush_page(rng.randrange(0x40000, 0x40000 + 2048) << 12)
        else:
            mmu.flush()
        assert state.tlb_load == ctypes.addressof(tlb.cur.tables[0])
        for acc in range(3):
            mine = tlb.entries(acc)
            assert all(mmu.fast[acc].get(v) == d for v, d in mine.items())
            if len(mmu.fast[acc]) == len({v & 1023 for v in mmu.fast[acc]}):
                assert mine == mmu.fast[acc]  # no two pages share a slot: all of them
    assert restored > 50 and len(tlb.kept) == len(mmu.saved)
