"""The harts' register width, in one place: the table's semantics (MASK, SIGN, XLEN,
SHMASK), the decoder, the hart, the MMU and the tiers read it from here.  rvirt's harts
are RV32 today; RV64 is to be a second value of this parameter, not a fork."""

from __future__ import annotations

XLEN = 32
MASK = (1 << XLEN) - 1  # an XLEN-bit register's bits
SIGN = 1 << (XLEN - 1)  # its sign bit
