"""The tutorial's gdb session, replayed with gdb-multiarch against rvirt running
examples/p0 with -S: every answer the tutorial shows, and the same transcript as QEMU's."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest
from elftools.elf.elffile import ELFFile

from tests.tooling import need, run_demo


def _symbol(elf: Path, name: str) -> int:
    with elf.open("rb") as f:
        for sym in ELFFile(f).get_section_by_name(".symtab").iter_symbols():
            if sym.name == name:
                return sym["st_value"]
    raise KeyError(name)


def _session(demo: ModuleType, emulator: str, elf: Path) -> str:
    need("gdb-multiarch")
    status, transcript = run_demo(demo, emulator, Path(elf), demo.TUTORIAL)
    assert status == 0, transcript
    return transcript


@pytest.fixture(scope="module")
def rvirt_transcript(demo: ModuleType, p0_elf: Path) -> str:
    return _session(demo, "rvirt", p0_elf)


def _answers(transcript: str) -> dict[str, list[str]]:
    """Command -> the lines gdb printed for it, in order of the session."""
    out: list[tuple[str, list[str]]] = []
    for line in transcript.splitlines():
        if line.startswith("(gdb) "):
            out.append((line[6:], []))
        elif line.startswith("--- "):
            out.append(("<emulator>", []))
        elif out:
            out[-1][1].append(line)
    return {f"{i}:{cmd}": lines for i, (cmd, lines) in enumerate(out)}


def test_each_step_answers_as_in_the_tutorial(rvirt_transcript: str, p0_elf: Path) -> None:
    t = rvirt_transcript
    a = list(_answers(t).values())
    assert a[0] == ["0x00001000 in ?? ()"]  # target remote
    rom = "\n".join(a[1])  # x/6i $pc: the boot ROM
    for text in ("=> 0x1000:\tauipc\tt0,0x0", "0x100c:\tlw\ta1,32(t0)",
                 "0x1010:\tlw\tt0,24(t0)", "0x1014:\tjr\tt0"):
        assert text in rom
    assert [x[0] for x in a[2:7]] == [f"0x0000{pc:x} in ?? ()" for pc in
                                     (0x1004, 0x1008, 0x100C, 0x1010, 0x1014)]
    assert a[7] == ["$1 = 0x80000000"]  # p/x $t0
    assert re.fullmatch(r"Breakpoint 1 at 0x800000[0-9a-f]{2}", a[8][0])
    assert re.fullmatch(r"Breakpoint 1, 0x800000[0-9a-f]{2} in _start \(\)", a[9][-1])
    stack_top = _symbol(p0_elf, "_stack_top")
    assert re.match(rf"sp\s+{stack_top:#x}\s", a[10][1])
    assert a[11] == [f"$2 = (void *) {stack_top:#x}"]
    assert a[12] == ["0x90000000:\tCannot access memory at address 0x90000000"]
    assert a[13] == ["0x0:\tCannot access memory at address 0x0"]
    assert re.match(r"p0::entry \(\) at src/main.rs:\d+", a[14][-2])
    assert "fn entry()" in a[14][-1]
    assert re.match(rf"pc\s+{_symbol(p0_elf, 'entry'):#x}\s", a[15][0])
    assert a[20] == ["$3 = 0"]
    assert a[23] == ["$4 = 1"]
    assert a[24] == ["[Inferior 1 (process 1) killed]"]
    assert "terminated via gdb stub" in a[25][0]


def test_transcript_is_the_same_as_on_qemu(demo: ModuleType, p0_elf: Path,
                                          rvirt_transcript: str) -> None:
    need("qemu-system-riscv32")
    qemu = _session(demo, "qemu", p0_elf)

    def body(t: str) -> str:
        t = t.split("\n--- ", 1)[0]  # what each emulator printed itself is compared above
        return re.sub(r"localhost:\d+", "localhost:PORT", t)

    assert body(rvirt_transcript) == body(qemu)
