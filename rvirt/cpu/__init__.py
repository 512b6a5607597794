"""The hart: registers, CSRs, traps (and later the MMU and PMP)."""
