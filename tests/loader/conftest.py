"""The example kernels (built on demand as tests/examples builds them) as loader inputs."""

from tests.examples.conftest import example_elf, p0_elf, p0_noscript_elf

__all__ = ["example_elf", "p0_elf", "p0_noscript_elf"]
