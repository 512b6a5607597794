"""The pytest plugin (entry point `pytest11`, so installing rvirt is enough): the
`rvirt_machine` factory fixture, the `--rvirt-accel` option, and failure reports that
show each machine's console output and where its pc is.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rvirt.api import Machine

MachineFactory = Callable[..., "Machine"]
CONSOLE_TAIL = 4000  # characters of console output a failure report shows at most

_MACHINES = pytest.StashKey[list["Machine"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rvirt", "rvirt machines")
    group.addoption("--rvirt-accel", choices=("native", "tcg", "interp"), default=None,
                    help="execution tier of every rvirt_machine in this run (default: "
                         "the RVIRT_ACCEL environment variable, else native)")


@pytest.fixture
def rvirt_machine(request: pytest.FixtureRequest) -> Iterator[MachineFactory]:
    """A factory: `rvirt_machine(bios=ELF, **kwargs)` makes an rvirt.Machine (same
    parameters), on the tier --rvirt-accel chose unless `accel` is given.  Every
    machine made is closed when the test ends."""
    from rvirt.api import Machine

    accel = request.config.getoption("rvirt_accel")
    made = request.node.stash.setdefault(_MACHINES, [])

    def make(bios: Any = None, **kwargs: Any) -> Machine:
        if accel is not None:
            kwargs.setdefault("accel", accel)
        machine = Machine(bios=bios, **kwargs)
        made.append(machine)
        return machine

    yield make
    for machine in made:
        machine.close()


def _sections(item: pytest.Item) -> list[tuple[str, str]]:
    out = []
    machines = item.stash.get(_MACHINES, [])
    for i, machine in enumerate(machines, 1):
        label = "rvirt machine" if len(machines) == 1 else f"rvirt machine {i}"
        text = machine.console.text
        if len(text) > CONSOLE_TAIL:
            text = f"[... {len(text) - CONSOLE_TAIL} characters before]\n" + text[-CONSOLE_TAIL:]
        out.append((f"{label}: console output", text.rstrip("\n") or "(nothing printed)"))
        try:
            where = machine.summary()
        except Exception as e:  # a broken ELF must not hide the test's own failure
            where = f"(unknown: {type(e).__name__}: {e})"
        out.append((f"{label}: where the hart is", where))
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    sections = _sections(item)
    longrepr = report.longrepr
    for name, content in sections:
        # In the failure text itself, so JUnit XML's <failure> carries it too.
        if hasattr(longrepr, "addsection"):
            longrepr.addsection(name, content)
        else:
            report.sections.append((name, content))
