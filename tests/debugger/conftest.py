"""The example kernels and scripts/demo.py, as in tests/examples."""

from tests.examples.conftest import demo, example_elf, p0_elf  # noqa: F401 - fixtures
