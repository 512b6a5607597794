"""The native tier's code cache (rvirt.exec.codecache): object code kept on disk between
runs, so that a second run of the same kernel compiles nothing, safe against damaged
files, against two rvirt processes sharing the directory, and within its size bound;
and code loaded once in a run is given again to a block made again."""

from __future__ import annotations

import json
import os
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from rvirt.board.virt import Board
from rvirt.exec import codecache, native
from rvirt.exec.codecache import CodeCache
from tests.cli.guest import ARGS
from tests.exec import programs as P
from tests.exec.harness import diff, machine, run, snapshot
from tests.tooling import ROOT, RVIRT

pytestmark = pytest.mark.tools

BUDGET = 1_000_000


# --- the store --------------------------------------------------------------------------

def test_an_entry_comes_back_as_stored(tmp_path: Path) -> None:
    c = CodeCache(str(tmp_path / "c"))
    assert c.get("ab" * 32) is None
    c.put("ab" * 32, "bfoo", 2, b"\x7fELF object")
    assert c.get("ab" * 32) == ("bfoo", 2, b"\x7fELF object")
    assert (c.hits, c.misses) == (1, 1)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "magic", "empty", "longer"])
def test_a_damaged_entry_is_a_miss_and_is_removed(tmp_path: Path, damage: str) -> None:
    c = CodeCache(str(tmp_path))
    c.put("d" * 64, "bx", 0, bytes(range(200)))
    p = Path(c.path("d" * 64))
    data = bytearray(p.read_bytes())
    if damage == "truncated":
        data = data[:-1]
    elif damage == "flipped":
        data[-7] ^= 0x10  # in the object code: its checksum no longer matches
    elif damage == "magic":
        data[0] ^= 1
    elif damage == "empty":
        data = bytearray()
    else:
        data += b"\0"
    p.write_bytes(bytes(data))
    assert c.get("d" * 64) is None
    assert c.damaged == 1 and not p.exists()


def test_the_directory_stays_within_its_bound_least_recently_used_first(tmp_path: Path
                                                                          ) -> None:
    entry = len(codecache.encode("bx", 0, bytes(1000)))
    c = CodeCache(str(tmp_path), bound=10 * entry)
    for i in range(10):
        c.put(f"{i:064x}", "bx", 0, bytes(1000))
        os.utime(c.path(f"{i:064x}"), (1000 + i, 1000 + i))  # entry i used at time i
    assert c.get(f"{0:064x}") is not None  # the oldest, used now: kept
    c.put(f"{10:064x}", "bx", 0, bytes(1000))  # over the bound: down to 3/4 of it
    left = sorted(int(n[:-2], 16) for n in os.listdir(tmp_path))
    assert sum(os.path.getsize(tmp_path / n) for n in os.listdir(tmp_path)) <= 10 * entry * 3 // 4
    assert left == [0, 5, 6, 7, 8, 9, 10]
    assert c.pruned == 4


def test_a_stale_temporary_file_is_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".tmp-dead.o"
    stale.write_bytes(b"half an entry")
    old = time.time() - 2 * codecache.STALE_TMP
    os.utime(stale, (old, old))
    fresh = tmp_path / ".tmp-writing.o"  # another process is writing it now
    fresh.write_bytes(b"half")
    CodeCache(str(tmp_path)).put("e" * 64, "bx", 0, b"x")
    assert not stale.exists() and fresh.exists()


def test_an_unwritable_directory_is_told_once_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    told: list[str] = []
    c = CodeCache(str(tmp_path / "file" / "cache"), warn=told.append)
    c.put("f" * 64, "bx", 0, b"x")
    c.put("0" * 64, "bx", 0, b"x")
    assert c.get("f" * 64) is None
    assert len(told) == 1 and told[0].startswith(f"code cache {tmp_path}/file/cache: ")


def _writer(directory: str, worker: int) -> int:
    """Put and get the same 40 entries as the other workers, many times."""
    c = CodeCache(directory, bound=1 << 30)
    for rnd in range(15):
        for i in range(40):
            digest = f"{i:064x}"
            payload = bytes([i]) * (500 + 300 * i)
            if (i + rnd + worker) % 2:
                c.put(digest, f"b{i}", i % 3, payload)
            else:
                got = c.get(digest)
                assert got is None or got == (f"b{i}", i % 3, payload)
    return c.damaged


def test_processes_sharing_a_directory_see_only_whole_entries(tmp_path: Path) -> None:
    with ProcessPoolExecutor(4) as pool:
        damaged = list(pool.map(_writer, [str(tmp_path)] * 4, range(4)))
    assert damaged == [0, 0, 0, 0]  # no reader ever saw half an entry
    c = CodeCache(str(tmp_path))
    for i in range(40):
        assert c.get(f"{i:064x}") == (f"b{i}", i % 3, bytes([i]) * (500 + 300 * i))
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]


# --- the native tier with it ------------------------------------------------------------

def _cached_machine(elf: Path, directory: Path) -> Board:
    m = machine(elf, "native")
    m.translator = native.NativeTranslator(  # type: ignore[attr-defined]
        m.hart, threshold=1, hot=1, warm=1, cache=CodeCache(str(directory)))
    return m


def _stats(m: Board) -> dict[str, int]:
    return m.translator.stats()  # type: ignore[attr-defined, no-any-return]


def test_a_second_run_compiles_nothing_and_ends_the_same(tmp_path: Path) -> None:
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    first = _cached_machine(elf, tmp_path)
    got = snapshot(first, first.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    made = _stats(first)["native"]
    assert made >= 1 and len(os.listdir(tmp_path)) >= made
    second = _cached_machine(elf, tmp_path)
    got = snapshot(second, second.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    s = _stats(second)
    assert s["native"] == 0 and s["cached"] >= made


def test_damaged_entries_are_compiled_again(tmp_path: Path) -> None:
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    first = _cached_machine(elf, tmp_path)
    first.run(BUDGET)
    for p in tmp_path.iterdir():  # each entry's object code damaged at its middle
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    again = _cached_machine(elf, tmp_path)
    got = snapshot(again, again.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    assert again.translator.codegen.store.cache.damaged >= 1  # type: ignore[attr-defined]
    assert _stats(again)["native"] >= 1 and _stats(again)["cached"] == 0


def test_a_block_made_hot_once_gets_its_optimised_code_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The optimised recompile of a block is recorded under its first-tier code's digest
    too: the next run (and a block made again) skips the first tier."""
    monkeypatch.setattr(native, "HOTTER", 50)
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    first = _cached_machine(elf, tmp_path)
    first.run(BUDGET)
    hot = {fn.key for fn in first.translator.all_blocks()  # type: ignore[attr-defined]
           if getattr(fn, "opt", None) == native.OPT_HOT}
    assert hot
    second = _cached_machine(elf, tmp_path)
    got = snapshot(second, second.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    assert _stats(second)["native"] == 0
    now = {fn.key: fn.opt for fn in second.translator.all_blocks()  # type: ignore[attr-defined]
           if hasattr(fn, "opt")}
    assert all(now.get(k) == native.OPT_HOT for k in hot)


def test_a_block_made_again_takes_the_code_loaded_before(tmp_path: Path) -> None:
    """Without a disk cache too: the same block made again (after a flush of every
    block, as after a write to its page) gets the code this run loaded, not a compile."""
    elf = P.build("timer", P.TIMER)
    ref, _ = run(elf, "interp", BUDGET)
    m = machine(elf, "native")
    m.translator = native.NativeTranslator(m.hart, threshold=1, hot=1, warm=1)  # type: ignore[attr-defined]
    m.run(20_000)
    made = _stats(m)["native"]
    assert made >= 1
    m.translator.flush()  # type: ignore[attr-defined]
    got = snapshot(m, m.run(BUDGET))
    assert not diff(ref, got), diff(ref, got)
    s = _stats(m)
    assert s["reused"] >= 1 and s["native"] - made < s["reused"]


# --- the command line -------------------------------------------------------------------

def _rvirt(elf: Path, cache: Path, *accel: str, stats: Path | None = None
           ) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "RVIRT_CACHE_DIR": str(cache)}
    if stats is not None:
        env["RVIRT_STATS"] = str(stats)
    return subprocess.run([*RVIRT, *ARGS, *accel, "-bios", str(elf)], capture_output=True,
                          timeout=120, input=b"", cwd=ROOT, env=env)


def _hot_program() -> Path:
    # a loop long enough that its block is compiled before the run ends; then hart 0
    # ends the run and any other hart waits
    return P.build("cache_loop", """\
    .section .text.init
    .globl _start
_start:
    li t0, 3000000
    li a0, 0
1:  addi a0, a0, 3
    xori a0, a0, 0x55
    slli a1, a0, 2
    add a0, a0, a1
    srli a1, a0, 7
    xor a0, a0, a1
    addi t0, t0, -1
    bnez t0, 1b
    csrr t1, mhartid
    bnez t1, 2f
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
2:  j 2b
""")


def test_the_command_line_keeps_code_for_the_next_run(tmp_path: Path) -> None:
    elf = _hot_program()
    runs = []
    for i in range(2):
        stats = tmp_path / f"stats{i}"
        r = _rvirt(elf, tmp_path / "cache", stats=stats)
        assert r.returncode == 0, r.stderr
        runs.append(json.loads(stats.read_text()))
    assert runs[0]["native"] >= 1 and runs[0]["cached"] == 0
    assert runs[1]["native"] == 0 and runs[1]["cached"] >= 1
    # two processes at once on the same directory (here: a new one, so both write)
    procs = [subprocess.Popen([*RVIRT, *ARGS, "-bios", str(elf)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                              env={**os.environ, "RVIRT_CACHE_DIR": str(tmp_path / "two")})
             for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    c = CodeCache(str(tmp_path / "two"))
    names = os.listdir(tmp_path / "two")
    assert names and all(c.get(n[:-2]) is not None for n in names)


def test_cache_off_writes_nothing(tmp_path: Path) -> None:
    stats = tmp_path / "stats"
    r = _rvirt(_hot_program(), tmp_path / "cache", "-accel", "native,cache=off",
               stats=stats)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "cache").exists()
    assert json.loads(stats.read_text())["native"] >= 1


def test_an_unwritable_cache_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    r = _rvirt(_hot_program(), tmp_path / "file" / "cache")
    assert r.returncode == 0
    err = r.stderr.decode()
    assert err.startswith(f"rvirt: code cache {tmp_path}/file/cache: ") and err.count("\n") == 1


@pytest.mark.parametrize("opt", ["cache=maybe", "cache-size=lots", "cache-size=0"])
def test_bad_cache_options_are_one_line(tmp_path: Path, opt: str) -> None:
    r = _rvirt(_hot_program(), tmp_path, "-accel", f"native,{opt}")
    assert r.returncode != 0
    err = r.stderr.decode()
    assert err.startswith("rvirt: ") and err.count("\n") == 1 and "Traceback" not in err


def test_cache_size_bounds_the_directory(tmp_path: Path) -> None:
    r = _rvirt(_hot_program(), tmp_path, "-accel", "native,cache-size=1K")
    assert r.returncode == 0, r.stderr
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 1024


def test_harts_share_their_native_code(tmp_path: Path) -> None:
    """Native code reads every host address from its hart's state block, so the code
    one hart's block got serves the same block on another hart: here the second hart's
    loop takes the first's code (no disk cache)."""
    elf = _hot_program()
    stats = tmp_path / "stats"
    r = _rvirt(elf, tmp_path / "cache", "-smp", "2", "-accel", "native,cache=off",
               stats=stats)
    assert r.returncode == 0, r.stderr
    got = json.loads(stats.read_text())
    assert got["reused"] >= 1 and got["cached"] == 0
