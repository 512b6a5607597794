"""The tutorial's gdb session (scripts/demo.py TUTORIAL, without `target remote`) played
through `rvirt -debugger` with the commands on stdin: every answer as gdb-multiarch gives
it on QEMU 7.2, line by line, except where rvirt means to differ (`x/i` names CSRs)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.debug.frontend.compare import answers, rvirt_session, side_by_side
from tests.tooling import need

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def tutorial(demo: ModuleType, p0_elf: Path) -> list[tuple[str, list[str], list[str]]]:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    return side_by_side(p0_elf, demo, demo.TUTORIAL[1:])


def test_every_answer_is_gdbs(tutorial: list[tuple[str, list[str], list[str]]]) -> None:
    assert tutorial[0][1] == tutorial[0][2] == ["0x00001000 in ?? ()"]  # as on attaching
    for command, ours, gdbs in tutorial[1:]:
        if command == "x/6i $pc":
            # beyond gdb: the ROM's csrr is named (gdb 13: `.4byte 0xf1402573`)
            assert ours[2] == "   0x1008:\tcsrr\ta0,mhartid"
            assert gdbs[2] == "   0x1008:\t.4byte\t0xf1402573"
            assert ours[:2] + ours[3:] == gdbs[:2] + gdbs[3:]
            continue
        assert ours == gdbs, command


def test_the_session_answers_without_gdb_or_qemu(p0_elf: Path, demo: ModuleType) -> None:
    """The facts the tutorial teaches, from rvirt alone."""
    status, out, err = rvirt_session(p0_elf, demo.TUTORIAL[1:])
    assert status == 0, err
    a = dict((f"{i}:{c}", lines) for i, (c, lines) in enumerate(answers(out, "(rvirt) ")))
    assert a["7:p/x $t0"] == ["$1 = 0x80000000"]
    assert a["8:break _start"] == ["Breakpoint 1 at 0x80000014"]  # past gp and sp set-up
    assert a["9:continue"] == ["Continuing.", "", "Breakpoint 1, 0x80000014 in _start ()"]
    assert a["12:x 0x90000000"] == ["0x90000000:\tCannot access memory at address 0x90000000"]
    assert a["14:step"][:2] == ["Single stepping until exit from function _start,",
                                "which has no line number information."]
    assert a["14:step"][2] == "p0::entry () at src/main.rs:37"
    assert a["20:p ticks"] == ["$3 = 0"]
    assert a["23:p TICKS"] == ["$4 = 1"]
    assert a["24:kill"] == ["[Inferior 1 (process 1) killed]"]
    assert "Traceback" not in err
