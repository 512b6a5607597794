"""rvirt: a RISC-V "virt" machine (QEMU 7.2 compatible) written in Python."""

__version__ = "0.1.0"
