"""The documentation's examples run: docs/api.md as a doctest, and its pytest examples
(and the README's test of examples/hello) as a user's test suite, through the plugin."""

from __future__ import annotations

import doctest
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tooling import BUILD, ROOT

pytestmark = pytest.mark.tools
pytest_plugins = ["pytester"]

FENCED = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_api_md_doctest(kernel: Callable[[str], Path], echo_elf: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("p0", "hello", "trap"):
        kernel(name)
    assert echo_elf == BUILD / "api_echo.elf"
    monkeypatch.chdir(ROOT)  # the examples use paths from the repository's root
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS, report=True)
    assert result.attempted >= 25  # every example on the page ran
    assert result.failed == 0


def pytest_examples(path: Path) -> list[str]:
    return [block for block in FENCED.findall(path.read_text())
            if ">>>" not in block and "def test_" in block]


@pytest.mark.parametrize("doc", ["docs/api.md", "README.md"])
def test_pytest_examples(doc: str, pytester: pytest.Pytester,
                         kernel: Callable[[str], Path]) -> None:
    kernel("hello")
    blocks = pytest_examples(ROOT / doc)
    assert blocks, f"{doc} shows a pytest example"
    files = [pytester.makepyfile(**{f"test_doc{i}": block}) for i, block in enumerate(blocks)]
    # the examples name the kernels from the repository's root
    (pytester.path / "examples").symlink_to(ROOT / "examples")
    result = pytester.runpytest("-p", "no:cacheprovider", *map(str, files))
    result.assert_outcomes(passed=sum(b.count("def test_") for b in blocks))
