"""Which kernels to grade: `--submissions DIR` (or the RVIRT_SUBMISSIONS environment
variable) names a folder with one folder per student, each holding the ELFs of the
tutorial's kernels named `p0`, `hello` and `trap` (or `p0.elf`, ...).  Without it, the
kernels built under examples/ are graded, as one submission called "examples".

Every test takes the `submission` argument and runs once per student.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent
TARGET = "riscv32imac-unknown-none-elf"
KERNELS = ("p0", "hello", "trap")


@dataclass(frozen=True)
class Submission:
    name: str
    folder: Path | None  # None: the built examples

    def elf(self, kernel: str) -> Path:
        """The submission's ELF for `kernel`; the test fails (not errors) without one."""
        if self.folder is None:
            candidates = [EXAMPLES / kernel / "target" / TARGET / "debug" / kernel]
        else:
            candidates = [self.folder / kernel, self.folder / f"{kernel}.elf"]
        for path in candidates:
            if path.is_file():
                return path
        pytest.fail(f"{self.name}: no {kernel} kernel (looked for "
                    f"{', '.join(str(p) for p in candidates)})", pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--submissions", default=os.environ.get("RVIRT_SUBMISSIONS"),
                     help="folder with one folder of kernels (p0, hello, trap) per student "
                          "(default: $RVIRT_SUBMISSIONS, else the built examples)")


def submissions(config: pytest.Config) -> list[Submission]:
    folder = config.getoption("submissions")
    if not folder:
        return [Submission("examples", None)]
    root = Path(folder)
    if not root.is_dir():
        raise pytest.UsageError(f"--submissions {folder}: not a folder")
    found = [Submission(sub.name, sub) for sub in sorted(root.iterdir()) if sub.is_dir()]
    if not found:
        raise pytest.UsageError(f"--submissions {folder}: no submission folders in it")
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "submission" in metafunc.fixturenames:
        subs = submissions(metafunc.config)
        metafunc.parametrize("submission", subs, ids=[s.name for s in subs])
