"""The pytest plugin, as a user's test suite sees it: the rvirt_machine factory (every
machine closed at teardown), --rvirt-accel, and failure reports with the console output
and the pc's function and line, in the terminal and in JUnit XML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.tools
pytest_plugins = ["pytester"]

SUITE = """
import pytest

MADE = []


def test_boots(rvirt_machine):
    m = rvirt_machine(bios={p0!r})
    MADE.append(m)
    assert m.run(until="p0::entry").reason == "until"
    assert m.board.config.accel == {accel!r}


def test_fails_after_printing(rvirt_machine):
    m = rvirt_machine(bios={hello!r})
    other = rvirt_machine(bios={p0!r})
    MADE.extend([m, other])
    other.run(until="p0::entry")
    m.run()
    assert "Goodbye" in m.console.text


def test_machines_were_closed():
    assert len(MADE) == 3 and all(m.closed for m in MADE)


def test_accel_given_wins(rvirt_machine):
    assert rvirt_machine(bios={p0!r}, accel="tcg").board.config.accel == "tcg"
"""


def test_fixture_and_report(pytester: pytest.Pytester, kernel: Callable[[str], Path]) -> None:
    pytester.makepyfile(test_user=SUITE.format(p0=str(kernel("p0")), hello=str(kernel("hello")),
                                               accel="interp"))
    result = pytester.runpytest("--rvirt-accel=interp", "-p", "no:cacheprovider",
                                "--junitxml=report.xml")
    result.assert_outcomes(passed=3, failed=1)
    out = result.stdout.str()
    # the failing test's report: both machines' console output and where their pc is
    result.stdout.fnmatch_lines([
        "*rvirt machine 1: console output*",
        "Hello from Rust on the RISC-V virt machine!",
        "running on hart 0 in machine mode",
        "*rvirt machine 1: where the hart is*",
        "pc 0x* in *, M-mode, * instructions retired*",
        "*rvirt machine 2: console output*",
        "(nothing printed)",
        "*rvirt machine 2: where the hart is*",
        "pc 0x80000020 in p0::entry at src/main.rs:*, M-mode, 12 instructions retired*",
    ])
    assert out.count("console output") == 2  # passing tests get no report
    junit = (pytester.path / "report.xml").read_text()
    assert "Hello from Rust on the RISC-V virt machine!" in junit
    assert "p0::entry at src/main.rs:" in junit


def test_accel_option_defaults_to_the_environment(pytester: pytest.Pytester,
                                                  kernel: Callable[[str], Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RVIRT_ACCEL", "tcg")
    pytester.makepyfile(test_env=f"""
def test_default(rvirt_machine):
    assert rvirt_machine(bios={str(kernel("p0"))!r}).board.config.accel == "tcg"
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_bad_accel_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--rvirt-accel=warp")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--rvirt-accel*invalid choice*warp*"])


def test_registered_by_entry_point() -> None:
    from importlib.metadata import entry_points
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "rvirt"]
    assert [ep.value for ep in found] == ["rvirt.pytest_plugin"]
