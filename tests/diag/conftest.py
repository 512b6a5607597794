from tests.examples.conftest import example_elf, p0_elf, p0_mistake_elf, p0_noscript_elf

__all__ = ["example_elf", "p0_elf", "p0_mistake_elf", "p0_noscript_elf"]
