"""The example kernels and scripts/demo.py, as in tests/examples."""

from tests.examples.conftest import (  # noqa: F401 - fixtures
    demo,
    example_elf,
    p0_elf,
    p0_noscript_elf,
)
