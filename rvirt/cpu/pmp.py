"""Physical memory protection: 16 entries, 4-byte granularity (privileged spec 3.7).

The CSR values live in the hart's CSR storage (`pmpcfg0-3`, `pmpaddr0-15`); this module
applies the WARL rules on writes and keeps the decoded rules that `check` consults.
"""

from __future__ import annotations

from collections.abc import Callable

from rvirt.isa.xlen import MASK

PMP_R, PMP_W, PMP_X = 1, 2, 4
PMP_A = 3 << 3
PMP_L = 1 << 7
A_OFF, A_TOR, A_NA4, A_NAPOT = 0, 1, 2, 3
ENTRIES = 16
# Bits a pmpcfg byte retains: R W X A L.  Bits 6:5 are reserved (WARL, read as zero);
# QEMU 7.2 keeps them (docs/differences.md).
CFG_KEEP = PMP_R | PMP_W | PMP_X | PMP_A | PMP_L

Rule = tuple[int, int, int, bool]  # [lo, hi) physical bytes, permissions, locked


class Pmp:
    """Decoded PMP rules over the CSR storage dict `csr`."""

    def __init__(self, csr: dict[str, int]) -> None:
        self.csr = csr
        self.rules: list[Rule] = []
        self.active = False  # some entry has A != OFF
        self.locked = False  # some active entry is locked: it applies to M-mode too
        self.open = False  # entry matched first grants RWX on everything: no checks needed
        self.version = 0  # bumped on every change, so cached permissions can be dropped
        self.on_change: Callable[[], None] = lambda: None  # the hart re-picks accessors

    def cfg(self, i: int) -> int:
        return self.csr[f"pmpcfg{i >> 2}"] >> (8 * (i & 3)) & 0xFF

    def write_cfg(self, reg: int, value: int) -> None:
        """pmpcfg<reg> write, byte by byte (spec 3.7.1): a locked entry ignores the write;
        reserved bits are dropped; the reserved R=0 W=1 encoding leaves the entry as it
        was (spec: WARL, not retained; QEMU 7.2 stores it)."""
        old = self.csr[f"pmpcfg{reg}"]
        new = 0
        for j in range(4):
            o = old >> (8 * j) & 0xFF
            b = value >> (8 * j) & CFG_KEEP
            if o & PMP_L or b & (PMP_R | PMP_W) == PMP_W:
                b = o
            new |= b << (8 * j)
        self.csr[f"pmpcfg{reg}"] = new
        self.rebuild()

    def write_addr(self, i: int, value: int) -> None:
        """pmpaddr<i> write: ignored when entry i is locked, or when entry i+1 is a locked
        TOR entry that uses it as its bottom (spec 3.7.1)."""
        if self.cfg(i) & PMP_L:
            return
        if i + 1 < ENTRIES:
            nxt = self.cfg(i + 1)
            if nxt & PMP_L and nxt >> 3 & 3 == A_TOR:
                return
        self.csr[f"pmpaddr{i}"] = value & MASK
        self.rebuild()

    def rebuild(self) -> None:
        rules: list[Rule] = []
        locked = False
        prev = 0
        for i in range(ENTRIES):
            cfg = self.cfg(i)
            addr = self.csr[f"pmpaddr{i}"]
            mode = cfg >> 3 & 3
            if mode == A_TOR:
                lo, hi = prev << 2, addr << 2  # an empty range (lo >= hi) matches nothing
            elif mode == A_NA4:
                lo, hi = addr << 2, (addr << 2) + 4
            elif mode == A_NAPOT:
                ones = (~addr & (addr + 1)).bit_length() - 1 if addr != 0xFFFFFFFF else 32
                size = 1 << (ones + 3)
                lo = (addr << 2) & ~(size - 1)
                hi = lo + size
            prev = addr
            if mode == A_OFF:
                continue
            rules.append((lo, hi, cfg & 7, bool(cfg & PMP_L)))
            locked = locked or bool(cfg & PMP_L)
        self.rules = rules
        self.active = bool(rules)
        self.locked = locked
        # The usual "allow everything" setup (riscv-tests INIT_PMP, xv6 start.c): the first
        # active entry covers all 34-bit physical addresses with RWX, so every access
        # matches it and is allowed.  (A TOR entry to 0xFFFFFFFF misses the last 4 bytes;
        # nothing is there, and an access there is an access fault either way.)
        self.open = bool(rules) and rules[0][0] == 0 and rules[0][1] >= (1 << 34) - 4 \
            and rules[0][2] == PMP_R | PMP_W | PMP_X
        self.version += 1
        self.on_change()

    def applies(self, priv: int) -> bool:
        """Accesses at this privilege need checking: S/U always (no matching entry denies
        them), M only while a locked entry exists; nobody while the first entry opens
        everything."""
        return not self.open and (priv < 3 or self.locked)

    def check(self, pa: int, size: int, perm: int, priv: int) -> bool:
        """May an access of `size` bytes at physical `pa` needing `perm` (PMP_R/W/X) go
        ahead?  The lowest-numbered entry that matches any byte decides; it must match
        all of them (spec 3.7.1.3).  With no match, M-mode is allowed and S/U are not."""
        end = pa + size
        for lo, hi, perms, locked in self.rules:
            if pa < hi and lo < end:
                if not (lo <= pa and end <= hi):
                    return False
                if priv == 3 and not locked:
                    return True
                return bool(perms & perm)
        return priv == 3
