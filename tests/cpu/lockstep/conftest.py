"""Prints how many instructions the lock-step runs compared, at the end of the session."""

from __future__ import annotations

import pytest

from tests.cpu.lockstep.harness import SESSION_TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SESSION_TALLY:
        total = sum(SESSION_TALLY.values())
        terminalreporter.write_line(
            f"lock-step against QEMU 7.2: {total} instructions compared in "
            f"{len(SESSION_TALLY)} runs")
