"""qemu_line against QEMU 7.2's own disassembler: the instruction lines of its
`-d in_asm` log.

The programs in tests/isa/qemu-disasm/ run every instruction rvirt implements with their
operand corners (and the bits QEMU prints as `illegal`); record.py there ran them, and the
example kernels, on QEMU and kept every line it logged.  The golden tests compare those
lines with qemu_line for the same bits and pc, without QEMU; the live tests run QEMU now.
unknown.S holds what QEMU names but rvirt does not implement (F, D, RV64, Zb*, ...): for
those rvirt prints `illegal`, and the test checks that they are nothing more.  The sweeps
(every 16-bit word; 32-bit words of each opcode, funct3 and funct7) are checked live only:
every word in rvirt's instruction space must print as QEMU prints it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from rvirt.isa.decode import decode
from rvirt.isa.disasm import qemu_line
from rvirt.isa.table import TABLE
from tests import tooling
from tests.tooling import ROOT, assemble, need

DIR = Path(__file__).resolve().parent / "qemu-disasm"
# sweep_*.S run every word of a space: too many lines to record, checked live only
PROGRAMS = sorted(p for p in DIR.glob("*.S") if not p.stem.startswith("sweep_"))
SWEEPS = sorted(DIR.glob("sweep_*.S"))
UNKNOWN = "unknown"  # the program of instructions rvirt does not implement
EXAMPLES = [ROOT / "examples" / name / "target" / "riscv32imac-unknown-none-elf" / "debug" / name
            for name in ("p0", "hello", "trap", "paging")]
EXAMPLES_LOG = DIR / "examples.log"

# tests/tooling.py's layout, plus section .rom in QEMU's boot ROM (mrom, 0x1000..0xffff)
# past its reset vector, for code whose pc-relative targets lie below address 0.
LINKER_SCRIPT = tooling.LINKER_SCRIPT.replace("\n}\n", "\n  . = 0x2000;\n  .rom : { *(.rom) }\n}\n")
assert LINKER_SCRIPT != tooling.LINKER_SCRIPT

# `0x80000624:  715d              addi                    sp,sp,-80`
_INSN = re.compile(r"^0x([0-9a-f]{8}):  ([0-9a-f]{4,16}) ")
QEMU_RUN_SECONDS = 20
QEMU_LOG_LIMIT = 50_000_000  # a runaway log means the program went wrong


def instruction(line: str) -> tuple[int, int] | None:
    """(pc, instruction bits) of an instruction line of the log, None for other lines."""
    m = _INSN.match(line)
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else None


def build(program: Path) -> Path:
    return assemble(program, f"qemu-disasm-{program.stem}", linker_script=LINKER_SCRIPT,
                    extra_as=("-I", str(DIR)))


def qemu_in_asm(elf: Path, seconds: float = QEMU_RUN_SECONDS) -> list[str]:
    """The instruction lines QEMU logs with -d in_asm running `elf` as its -bios, each once,
    in the order of first appearance.  A program that does not exit by itself (an example
    kernel) is stopped after `seconds`."""
    qemu = need("qemu-system-riscv32")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "in_asm.log"
        proc = subprocess.Popen(
            [qemu, "-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic",
             "-bios", str(elf), "-d", "in_asm", "-D", str(log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + seconds
        try:
            while proc.poll() is None:
                if log.exists() and log.stat().st_size > QEMU_LOG_LIMIT:
                    raise AssertionError(f"{elf.name}: QEMU's log passed {QEMU_LOG_LIMIT} bytes")
                if time.monotonic() > deadline:
                    proc.terminate()  # QEMU writes out its log on SIGTERM
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=10)
                    break
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = log.read_text(errors="replace") if log.exists() else ""
    complete = text.split("\n")[:-1]  # a line cut short by the stop has no newline
    return list(dict.fromkeys(line for line in complete if instruction(line)))


def read_log(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if instruction(line)]


def mismatches(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        found = instruction(line)
        assert found is not None, line
        got = qemu_line(found[1], found[0])
        if got != line:
            out.append(f"QEMU : {line!r}\nrvirt: {got!r}")
    return out


def implemented(w: int) -> bool:
    """Whether some table row's bit pattern matches `w` (its reserved-encoding constraint
    aside): an instruction rvirt implements, or one of its reserved forms."""
    if w & 3 != 3:
        return any(op.length == 2 and w & 0xFFFF & op.mask == op.match for op in TABLE)
    return w <= 0xFFFFFFFF and any(op.length == 4 and w & op.mask == op.match
                                   for op in TABLE)


def outside_rvirt(lines: list[str]) -> list[str]:
    """The lines that differ from qemu_line's, failing unless each is an instruction word
    rvirt does not implement (and so prints as `illegal`)."""
    differing = [line for line in lines if mismatches([line])]
    for line in differing:
        pc, w = instruction(line)  # type: ignore[misc]
        assert not implemented(w), mismatches([line])[0]
        assert qemu_line(w & 0xFFFFFFFF, pc).split()[-1] == "illegal", line
    return differing


def _report(program: str, bad: list[str]) -> str:
    return f"{program}: {len(bad)} lines differ, e.g.\n" + "\n".join(bad[:20])


# --- golden: the recorded logs, without QEMU ---------------------------------------------

@pytest.mark.parametrize("program", [p.stem for p in PROGRAMS if p.stem != UNKNOWN])
def test_recorded_lines_match(program: str) -> None:
    lines = read_log(DIR / f"{program}.log")
    assert len(lines) > 20, "record.py has not recorded this program"
    bad = mismatches(lines)
    assert not bad, _report(program, bad)


def test_recorded_example_kernels_match() -> None:
    lines = read_log(EXAMPLES_LOG)
    assert len(lines) > 1000
    bad = mismatches(lines)
    assert not bad, _report("examples", bad)


def test_what_differs_is_only_what_rvirt_does_not_implement() -> None:
    lines = read_log(DIR / f"{UNKNOWN}.log")
    differing = set(outside_rvirt(lines))
    assert len(differing) >= 30
    for line in set(lines) - differing:  # the harness's own instructions
        assert implemented(instruction(line)[1]), line  # type: ignore[index]


def test_every_csr_number_was_recorded() -> None:
    words = {w for _, w in map(instruction, read_log(DIR / "csr_names.log"))}  # type: ignore
    csrrs_a0 = (2 << 12) | (10 << 7) | 0x73
    assert {w >> 20 for w in words if w & 0xFFFFF == csrrs_a0} == set(range(4096))


QEMU_PSEUDOS = ["nop", "mv", "not", "neg", "seqz", "snez", "sltz", "sgtz", "beqz", "bnez",
                "blez", "bgez", "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu", "j", "jr", "ret",
                "rdcycle", "rdtime", "rdinstret", "rdcycleh", "rdtimeh", "rdinstreth",
                "frcsr", "frrm", "frflags", "fscsr", "fsrm", "fsflags", "fsrmi", "fsflagsi"]


def test_corpus_covers_every_instruction_and_pseudo_instruction() -> None:
    lines = [line for p in PROGRAMS for line in read_log(DIR / f"{p.stem}.log")]
    rows = set()
    for _, w in map(instruction, lines):  # type: ignore[arg-type]
        found = decode(w)
        if found:
            rows.add(found[0].name)
    assert rows == {op.name for op in TABLE}
    mnemonics = {line[31:].split()[0] for line in lines}
    assert set(QEMU_PSEUDOS) <= mnemonics
    assert {"illegal", "amoadd.w.aq.rl", "lr.w.aq", "sc.w.rl"} <= mnemonics


# --- live: QEMU now ------------------------------------------------------------------------

@functools.cache
def _live(program: str) -> tuple[str, ...]:
    return tuple(qemu_in_asm(build(DIR / f"{program}.S")))


@pytest.mark.tools
@pytest.mark.parametrize("program", [p.stem for p in PROGRAMS if p.stem != UNKNOWN])
def test_qemu_lines_match(program: str) -> None:
    lines = list(_live(program))
    assert len(lines) > 20
    bad = mismatches(lines)
    assert not bad, _report(program, bad)


@pytest.mark.tools
@pytest.mark.parametrize("kernel", EXAMPLES, ids=lambda p: p.name)
def test_qemu_lines_of_example_kernels_match(kernel: Path) -> None:
    if not kernel.exists():
        pytest.skip(f"{kernel.name} is not built (cargo build in examples/{kernel.name})")
    lines = qemu_in_asm(kernel, seconds=5)
    assert len(lines) > 20
    bad = mismatches(lines)
    assert not bad, _report(kernel.name, bad)


@pytest.mark.tools
@pytest.mark.parametrize("sweep", [p.stem for p in SWEEPS])
def test_qemu_lines_of_whole_instruction_spaces_match(sweep: str) -> None:
    lines = list(_live(sweep))
    assert len(lines) > 100_000
    assert len(outside_rvirt(lines)) < len(lines) // 5


@pytest.mark.tools
def test_qemu_still_prints_the_recorded_differences() -> None:
    assert set(_live(UNKNOWN)) == set(read_log(DIR / f"{UNKNOWN}.log"))
