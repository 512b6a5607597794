"""Inputs of the API tests: the example kernels (built as tests/examples builds them, when
missing) and small programs assembled with the real toolchain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.guest import ECHO
from tests.cli.test_uart_input import SHELL
from tests.examples.conftest import TARGET, _build
from tests.tooling import ROOT, assemble


def kernel_path(name: str) -> Path:
    return ROOT / "examples" / name / "target" / TARGET / "debug" / name


@pytest.fixture(scope="session")
def kernel() -> Callable[[str], Path]:
    """The ELF of examples/<name> (p0, hello, trap, paging)."""
    def build(name: str) -> Path:
        return _build(kernel_path(name), project=ROOT / "examples" / name)
    return build


@pytest.fixture(scope="session")
def echo_elf() -> Path:
    """Polls the UART and echoes every byte received (tests/cli/guest.py ECHO)."""
    return assemble(ECHO, "api_echo")


@pytest.fixture(scope="session")
def shell_elf() -> Path:
    """Waits in wfi; its UART receive interrupt handler echoes in upper case, `q` quits
    (tests/cli/test_uart_input.py SHELL)."""
    return assemble(SHELL, "api_shell")
