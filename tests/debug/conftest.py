"""The example kernels as inputs for the DWARF tests (built like tests/examples does)."""

from tests.examples.conftest import example_elf, p0_elf, p0_noscript_elf  # noqa: F401
