"""What every part of a debugging session (session.py and the modules it is made of)
shares: gdb's refusal of a command, and limits."""

from __future__ import annotations

from rvirt.isa.xlen import MASK

__all__ = ["MASK", "MAX_VALUE_SIZE", "CommandError"]
MAX_VALUE_SIZE = 65536  # gdb's `set max-value-size`: a bigger value is refused


class CommandError(Exception):
    """gdb's answer to a command it refuses (one line)."""
