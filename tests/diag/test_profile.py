"""-profile FILE: instructions by call stack, counted exactly (the folded counts sum to
the instructions retired), the same on every tier, with a frame per call of a recursive
function, traps and interrupts as frames of their own; written as folded stacks, an SVG
flame graph or a top-functions table when the run ends, and never changing what the guest
does."""

from __future__ import annotations

import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.debug.infos import debug_infos
from rvirt.diag import profile
from rvirt.diag.profile import RA, Profile
from rvirt.isa.decode import decode
from tests.cli.guest import ARGS, one_error_line
from tests.exec.harness import machine
from tests.tooling import BUILD, CROSS, LINKER_SCRIPT, MARCH, ROOT, RVIRT, need, run_rvirt

pytestmark = pytest.mark.tools


def profiled(elf: Path, accel: str = "tcg") -> tuple[Counter[str], Board]:
    m = Board(BoardConfig(ram_size=150 << 20, bios=str(elf), accel=accel),
                console=lambda b: None)
    p = Profile(m)
    p.attach()
    assert m.run() == 0
    return p.finish(), m


@pytest.mark.parametrize("name", ["hello", "trap", "paging"])
def test_counts_sum_to_instructions_retired(name: str,
                                            example_elf: Callable[[str], Path]) -> None:
    counts, m = profiled(example_elf(name))
    minstret = m.hart.csr_peek(0xB82) << 32 | m.hart.csr_peek(0xB02)  # as the guest reads it
    assert sum(counts.values()) == m.hart.instret == minstret
    plain = Board(BoardConfig(ram_size=150 << 20, bios=str(example_elf(name))),
                    console=lambda b: None)
    assert plain.run() == 0
    assert plain.hart.instret == m.hart.instret  # profiling changes nothing the guest sees
    assert plain.hart.x[:32] == m.hart.x[:32] and plain.hart.pc == m.hart.pc


@pytest.mark.parametrize("name", ["hello", "trap"])
def test_both_tiers_give_the_same_profile(name: str,
                                          example_elf: Callable[[str], Path]) -> None:
    assert profiled(example_elf(name), "tcg")[0] == profiled(example_elf(name), "interp")[0]


@pytest.mark.parametrize("accel", ["tcg", "native"])
@pytest.mark.parametrize("name", ["hello", "trap", "paging"])
def test_translated_code_gives_the_interpreters_profile(
        name: str, accel: str, example_elf: Callable[[str], Path]) -> None:
    """Every block translated at first sight (native: compiled at its second entry):
    the profile is the interpreter's, to the instruction, traps and batch ends included.
    Profiled code still runs native: a block entered from another function's block moves
    the stack itself (WatchTables)."""
    elf = example_elf(name)
    m = machine(elf, accel, threshold=1, hot=1)
    p = Profile(m)
    p.attach()
    assert m.run() == 0
    if accel == "native":
        assert any(getattr(fn, "native", False) for fn in m.translator.all_blocks())  # type: ignore[attr-defined]
        assert any(p.tables.counts)  # calls and returns moved the stack in native code
    assert p.finish() == profiled(elf, "interp")[0]


def test_stacks_follow_calls_returns_and_traps(example_elf: Callable[[str], Path]) -> None:
    hello, _ = profiled(example_elf("hello"))
    assert any(s.startswith("hello::kmain;core::panicking::panic_fmt;hello::panic;") for s in
               hello)
    assert "[boot rom]" in hello and hello["[boot rom]"] == 6  # the ROM's six instructions
    trap, _ = profiled(example_elf("trap"))
    timer = [s for s in trap if "[interrupt m_timer];trap_vector;trap::handle_trap" in s]
    assert timer and all(s.startswith("trap::kmain;") for s in timer)
    ecall = [s for s in trap if ";[exception user_ecall];trap_vector;" in s]
    assert ecall and all("trap::user_main" in s for s in ecall)
    # after each mret the stack is the interrupted one again: nothing grows without end
    assert max(s.count(";") for s in trap) < 25


def _run_with_profile(elf: Path, path: Path) -> subprocess.CompletedProcess[bytes]:
    r = run_rvirt(*ARGS, "-bios", str(elf), "-profile", str(path), input=b"")
    assert r.returncode == 0, r.stderr
    return r


def test_folded_file(tmp_path: Path, example_elf: Callable[[str], Path]) -> None:
    elf = example_elf("hello")
    out = tmp_path / "hello.folded"
    r = _run_with_profile(elf, out)
    assert r.stdout == run_rvirt(*ARGS, "-bios", str(elf), input=b"").stdout
    lines = out.read_text().splitlines()
    total = 0
    for line in lines:
        stack, count = line.rsplit(" ", 1)
        assert stack and int(count) > 0
        total += int(count)
    assert total == profiled(elf)[1].hart.instret


def test_svg_flame_graph(tmp_path: Path, example_elf: Callable[[str], Path]) -> None:
    out = tmp_path / "trap.svg"
    _run_with_profile(example_elf("trap"), out)
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("trap::kmain (") and "instructions" in t for t in titles)
    assert any(t.startswith("[interrupt m_timer] (") for t in titles)


def test_top_table(tmp_path: Path, example_elf: Callable[[str], Path]) -> None:
    out = tmp_path / "hello.txt"
    _run_with_profile(example_elf("hello"), out)
    text = out.read_text().splitlines()
    assert text[0] == f"{profiled(example_elf('hello'))[1].hart.instret} instructions retired"
    assert "self" in text[2] and "total" in text[2]
    assert any(line.endswith("  hello::kmain") for line in text)


def test_profile_written_on_sigterm(tmp_path: Path, p0_elf: Path) -> None:
    """p0 counts forever: the profile is written when the run is ended by a signal."""
    out = tmp_path / "p0.folded"
    proc = subprocess.Popen([*RVIRT, *ARGS, "-bios", str(p0_elf), "-profile", str(out)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    stacks = dict(line.rsplit(" ", 1) for line in out.read_text().splitlines())
    # `_start` tail-calls entry (`tail entry`): entry takes _start's place on the stack
    assert stacks["[boot rom]"] == "6" and stacks["_start"] == "6"
    assert int(stacks["p0::entry"]) > 1000


@pytest.mark.parametrize("path, text", [
    ("profile.png", "must end in .folded, .svg or .txt"),
    ("/nonexistent/dir/p.svg", "no such directory"),
])
def test_bad_profile_path_is_one_line(path: str, text: str,
                                      example_elf: Callable[[str], Path]) -> None:
    r = run_rvirt(*ARGS, "-bios", str(example_elf("hello")), "-profile", path, input=b"")
    assert text in one_error_line(r)


# --- recursion ----------------------------------------------------------------------------
RECURSE_C = Path(__file__).with_name("recurse.c")


@pytest.fixture(scope="module")
def recurse_elf() -> Path:
    """tests/diag/recurse.c, built as a learner builds C for the machine (-g -O0)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    obj, elf, lds = (BUILD / f"recurse.{ext}" for ext in ("o", "elf", "ld"))
    lds.write_text(LINKER_SCRIPT)
    subprocess.run([need(CROSS + "gcc"), f"-march={MARCH}", "-mabi=ilp32", "-g", "-O0",
                    "-nostdlib", "-ffreestanding", "-c", "-o", str(obj), str(RECURSE_C)],
                   check=True, capture_output=True, text=True)
    subprocess.run([need(CROSS + "ld"), "-m", "elf32lriscv", "-T", str(lds), "-o", str(elf),
                    str(obj)], check=True, capture_output=True, text=True)
    return elf


def shadow_profile(elf: Path) -> tuple[Counter[str], int]:
    """What the profile must say, by another route: the interpreter one instruction at a
    time, with a shadow stack that a call (jal/jalr linking ra) pushes and a `ret` pops,
    as perf's call graph shows -O0 code; each instruction retired counted on the stack
    it ran in (a call in its caller, a ret in its callee)."""
    m = Board(BoardConfig(ram_size=150 << 20, bios=str(elf), accel="interp"),
                console=lambda b: None)
    h = m.hart
    counts: Counter[str] = Counter()
    stack: list[str] = []
    then = ""
    while True:
        pc = h.pc
        f = debug_infos(m).function_at(pc)
        name = f.name if f is not None else "[boot rom]"
        if then == "call":
            stack.append(name)
        elif then == "ret":
            stack.pop()
        elif not stack or stack[-1] != name:  # a jump: the ROM to _start
            stack[-1:] = [name]
        assert stack[-1] == name
        then = ""
        o = pc - h.ram_base
        if 0 <= o < len(m.ram):
            op, fields = decode(int.from_bytes(m.ram[o:o + 4], "little"))
            if (op.base or op.name) in ("jal", "jalr"):
                if fields.get("rd") == RA:
                    then = "call"
                elif fields.get("rd") == 0 and fields.get("rs1") == RA:
                    then = "ret"
        ic = h.instret
        stop = m.step()
        counts[";".join(stack)] += h.instret - ic  # (the store that exits does not retire)
        if stop.kind == "exited":
            return counts, h.instret


@pytest.fixture(scope="module")
def recurse_shadow(recurse_elf: Path) -> tuple[Counter[str], int]:
    return shadow_profile(recurse_elf)


def test_recursion_pushes_a_frame_per_call(recurse_elf: Path,
                                           recurse_shadow: tuple[Counter[str], int]) -> None:
    """fib calling itself is `main;fib;fib;fib...` as perf and flamegraph.pl show it, one
    frame per call, not one fib frame; is_even and is_odd calling each other alternate;
    a loop back to a function's entry is no call."""
    counts, m = profiled(recurse_elf, "interp")
    shadow, retired = recurse_shadow
    minstret = m.hart.csr_peek(0xB82) << 32 | m.hart.csr_peek(0xB02)
    assert sum(counts.values()) == m.hart.instret == minstret == retired
    fibs = [s for s in counts if s.startswith("_start;main;fib")]
    # fib(16) goes 16 calls deep: fib(16), fib(15), ..., fib(1)
    assert max(s.count(";fib") for s in fibs) == 16
    assert all(s == "_start;main" + ";fib" * s.count(";fib") for s in fibs)
    chain = ["is_even", "is_odd"] * 5  # is_even(9), is_odd(8), ..., is_odd(0)
    assert {s for s in counts if "is_" in s} == {
        "_start;main;" + ";".join(chain[:k]) for k in range(1, 11)}
    # a jump back to the entry with ra untouched is a loop: 100 times 3 instructions, and
    # the beqz and ret of the last round
    assert counts["_start;main;countdown"] == 302
    # a loop back to a label (a function for the profile) with ra after a call of
    # something else: 20 times 5 instructions and the last beqz, mv, ret; 20 calls of
    # countdown(3)
    assert {s: n for s, n in counts.items() if "loop" in s or "again" in s} == {
        "_start;main;calls_in_a_loop": 2, "_start;main;again": 103,
        "_start;main;again;countdown": 220}
    assert counts == shadow  # to the instruction, at every depth


@pytest.mark.parametrize("accel", ["tcg", "native"])
def test_translated_recursion_gives_the_interpreters_profile(
        accel: str, recurse_elf: Path, recurse_shadow: tuple[Counter[str], int]) -> None:
    """Calls into a function's own entry and returns into itself are seen by translated
    blocks too (native: moved in native code once seen), loops of fib's blocks got hot
    and compiled again included."""
    m = machine(recurse_elf, accel, threshold=1, hot=1)
    p = Profile(m)
    p.attach()
    assert m.run() == 0
    if accel == "native":
        assert any(getattr(fn, "native", False) for fn in m.translator.all_blocks())  # type: ignore[attr-defined]
        assert any(getattr(fn, "opt", 0) for fn in m.translator.all_blocks())  # type: ignore[attr-defined]
        assert any(p.tables.counts)  # recursive calls and returns moved in native code
    assert p.finish() == recurse_shadow[0]


def test_recursion_in_the_folded_file(tmp_path: Path, recurse_elf: Path,
                                      recurse_shadow: tuple[Counter[str], int]) -> None:
    """`-profile x.folded` on the default tier, as a user runs it."""
    out = tmp_path / "recurse.folded"
    _run_with_profile(recurse_elf, out)
    stacks = Counter({s: int(n) for s, n in (line.rsplit(" ", 1)
                                             for line in out.read_text().splitlines())})
    assert stacks == recurse_shadow[0]
    assert stacks["_start;main;fib;fib;fib"] > 0


def test_deep_recursion_is_counted_at_max_depth(monkeypatch: pytest.MonkeyPatch,
                                                recurse_elf: Path,
                                                recurse_shadow: tuple[Counter[str], int]
                                                ) -> None:
    """Frames below MAX_DEPTH are counted in the frame at MAX_DEPTH (perf keeps 127 by
    default): a deep recursion does not make keys as long as its stack."""
    monkeypatch.setattr(profile, "MAX_DEPTH", 6)
    counts, _ = profiled(recurse_elf, "interp")
    cut: Counter[str] = Counter()
    for stack, n in recurse_shadow[0].items():
        cut[";".join(stack.split(";")[:6])] += n
    assert counts == cut
    assert "_start;main;fib;fib;fib;fib" in counts
