"""examples/grading on the built kernels, and over a folder of submissions (good ones, a
wrong kernel, a missing one) in parallel with JUnit XML, as docs/grading.md shows."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tooling import ROOT

pytestmark = pytest.mark.tools

GRADING = ROOT / "examples" / "grading"


def grade(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_the_built_examples_pass(kernel: Callable[[str], Path]) -> None:
    for name in ("p0", "hello", "trap"):
        kernel(name)
    r = grade(str(GRADING), "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 passed" in r.stdout
    # on its own too, from its folder (its pytest.ini makes it its own root)
    r = grade("-q", cwd=GRADING)
    assert r.returncode == 0 and "3 passed" in r.stdout, r.stdout + r.stderr


def test_a_folder_of_submissions(kernel: Callable[[str], Path], tmp_path: Path) -> None:
    good = tmp_path / "alice"
    wrong = tmp_path / "bob"  # p0 handed in as hello: it never prints or exits
    partial = tmp_path / "carol"  # trap missing
    for folder in (good, wrong, partial):
        folder.mkdir()
    for name in ("p0", "hello", "trap"):
        (good / name).symlink_to(kernel(name))
    (wrong / "p0").symlink_to(kernel("p0"))
    (wrong / "hello").symlink_to(kernel("p0"))
    (wrong / "trap").symlink_to(kernel("trap"))
    (partial / "p0.elf").symlink_to(kernel("p0"))
    (partial / "hello.elf").symlink_to(kernel("hello"))
    report = tmp_path / "grades.xml"
    r = grade(str(GRADING), "--submissions", str(tmp_path), "-n", "2",
              f"--junitxml={report}", "-q")
    assert r.returncode == 1, r.stdout + r.stderr
    cases = {c.get("name"): c for c in ET.parse(report).getroot().iter("testcase")}
    failed = {name for name, c in cases.items() if c.find("failure") is not None}
    assert len(cases) == 9
    assert failed == {"test_hello_prints_and_exits[bob]",
                      "test_trap_takes_three_timer_interrupts[carol]"}
    bob = cases["test_hello_prints_and_exits[bob]"].find("failure")
    assert bob is not None and "p0::entry" in (bob.text or "")  # where bob's hello was
    carol = cases["test_trap_takes_three_timer_interrupts[carol]"].find("failure")
    assert carol is not None and "carol: no trap kernel" in (carol.get("message") or "")


def test_submissions_from_the_environment(kernel: Callable[[str], Path],
                                          tmp_path: Path) -> None:
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "p0").symlink_to(kernel("p0"))
    r = subprocess.run([sys.executable, "-m", "pytest", str(GRADING), "-q", "-k", "p0"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "RVIRT_SUBMISSIONS": str(tmp_path)})
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr
    assert "test_p0_boots_to_entry[dave]" in grade(str(GRADING), "--collect-only", "-q",
                                                   "--submissions", str(tmp_path)).stdout
