"""CLINT at 0x2000000: machine software interrupt (MSWI) and machine timer (MTIMER).

Follows QEMU 7.2 `hw/intc/riscv_aclint.c` as the virt board instantiates it for one
hart (ref virt-rv32.md 3.3): msip at 0x0, mtimecmp at 0x4000, mtime at 0xBFF8.  The
machine owns time: `clock()` returns virtual 10 MHz ticks, and mtime is that count plus
an offset that guest writes to mtime adjust.  Also owns the CLINT's device-tree node.
"""

from __future__ import annotations

from collections.abc import Callable

from rvirt.devices.base import Device, DeviceAccessError, IrqLine
from rvirt.fdt import Node, u64

MSWI_SIZE = 0x4000  # RISCV_ACLINT_SWI_SIZE
MTIMER_BASE = 0x4000  # the mtimer region follows the MSWI region
MTIMER_SIZE = 0x8000  # RISCV_ACLINT_DEFAULT_MTIMER_SIZE
MTIMECMP = 0x0000  # RISCV_ACLINT_DEFAULT_MTIMECMP, inside the mtimer region
MTIME = 0x7FF8  # RISCV_ACLINT_DEFAULT_MTIME, inside the mtimer region
DECODE_SIZE = MTIMER_BASE + MTIMER_SIZE  # 0xC000
MASK64 = (1 << 64) - 1
MASK32 = 0xFFFF_FFFF

# Interrupt cause numbers the DT's interrupts-extended refers to (mip bits).
IRQ_M_SOFT = 3
IRQ_M_TIMER = 7


class Clint(Device):
    """One hart's msip, mtimecmp and mtime.

    `msip_irq` drives mip.MSIP and `mtip_irq` drives mip.MTIP.  MTIP follows
    `mtime >= mtimecmp`; writes re-evaluate it at once, and because time moves on by
    itself the machine calls `update()` to raise it when the deadline passes
    (`next_deadline()` says when, for a wfi fast-forward).
    """

    name = "clint"

    def __init__(self, clock: Callable[[], int], msip_irq: IrqLine | None = None,
                 mtip_irq: IrqLine | None = None) -> None:
        self.clock = clock
        self.msip_irq = msip_irq if msip_irq is not None else IrqLine()
        self.mtip_irq = mtip_irq if mtip_irq is not None else IrqLine()
        self.mtimecmp = 0  # zero-initialised at creation: MTIP is pending from power-on
        self._delta = 0
        self._deadline: int | None = None  # clock value at which MTIP rises
        self.reset()

    def reset(self) -> None:
        """MSWI reset lowers msip; MTIMER reset writes mtime = 0 (mtimecmp is kept)."""
        self.msip_irq.lower()
        self._set_mtime(0)

    def state(self) -> dict[str, object]:
        return {"mtimecmp": self.mtimecmp, "delta": self._delta, "deadline": self._deadline,
                "msip": self.msip_irq.level, "mtip": self.mtip_irq.level}

    def set_state(self, state: dict[str, object]) -> None:
        self.mtimecmp = state["mtimecmp"]  # type: ignore[assignment]
        self._delta = state["delta"]  # type: ignore[assignment]
        self._deadline = state["deadline"]  # type: ignore[assignment]
        self.msip_irq.level = bool(state["msip"])
        self.mtip_irq.level = bool(state["mtip"])

    # -- time ----------------------------------------------------------------------

    def mtime(self) -> int:
        """The current mtime (also what the `time`/`timeh` CSRs read)."""
        return (self.clock() + self._delta) & MASK64

    def _set_mtime(self, value: int) -> None:
        self._delta = value - self.clock()
        self._write_timecmp(self.mtimecmp)

    def _write_timecmp(self, value: int) -> None:
        """`riscv_aclint_mtimer_write_timecmp`: raise now, or note when to raise."""
        self.mtimecmp = value & MASK64
        now = self.clock()
        mtime = (now + self._delta) & MASK64
        if self.mtimecmp <= mtime:
            self._deadline = None
            self.mtip_irq.raise_()
        else:
            self.mtip_irq.lower()
            self._deadline = now + (self.mtimecmp - mtime)

    def update(self) -> None:
        """Raise MTIP if mtime has reached mtimecmp since the last look."""
        deadline = self._deadline
        if deadline is not None and self.clock() >= deadline:
            self._deadline = None
            self.mtip_irq.raise_()

    def next_deadline(self) -> int | None:
        """The `clock()` value at which MTIP will rise, or None if it is already up.

        With mtimecmp = 2**64-1 this lies centuries ahead: a fast-forwarding caller
        should cap it.
        """
        return self._deadline

    # -- bus interface -------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        if offset < MSWI_SIZE:
            self._check(offset, size, 4, 4)
            # msip[0] reads the mip.MSIP level; the rest of MSWI reads 0 (LOG_UNIMP).
            return int(self.msip_irq.level) if offset == 0 else 0
        self._check(offset, size, 4, 8)
        addr = offset - MTIMER_BASE
        if addr == MTIMECMP:
            return self.mtimecmp & MASK32 if size == 4 else self.mtimecmp
        if addr == MTIMECMP + 4:
            return self.mtimecmp >> 32
        if addr == MTIME:
            mtime = self.mtime()
            return mtime & MASK32 if size == 4 else mtime
        if addr == MTIME + 4:
            return self.mtime() >> 32
        return 0  # QEMU: "aclint-mtimer: invalid read", value 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < MSWI_SIZE:
            self._check(offset, size, 4, 4)
            if offset == 0:
                self.msip_irq.set(bool(value & 1))
            return  # other MSWI offsets: ignored (LOG_UNIMP)
        self._check(offset, size, 4, 8)
        addr = offset - MTIMER_BASE
        if addr == MTIMECMP:
            if size == 4:
                self._write_timecmp((self.mtimecmp & ~MASK32) | (value & MASK32))
            else:
                self._write_timecmp(value)
        elif addr == MTIMECMP + 4:  # necessarily 32-bit: a 64-bit access here is unaligned
            self._write_timecmp((value & MASK32) << 32 | (self.mtimecmp & MASK32))
        elif addr == MTIME:
            if size == 4:
                self._set_mtime((self.mtime() & ~MASK32 & MASK64) | (value & MASK32))
            else:
                self._set_mtime(value & MASK64)
        elif addr == MTIME + 4:
            self._set_mtime((value & MASK32) << 32 | (self.mtime() & MASK32))
        # Anything else in the window: ignored, as QEMU does after logging.

    def _check(self, offset: int, size: int, smallest: int, largest: int) -> None:
        # QEMU's MemoryRegionOps.valid: the size range, and no unaligned accesses.
        if not smallest <= size <= largest or offset & (size - 1) or offset + size > DECODE_SIZE:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")


def fdt_node(base: int, size: int, intc_phandle: int) -> Node:
    """`/soc/clint@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_socket_clint` writes it."""
    return Node(f"clint@{base:x}", [
        ("interrupts-extended", [intc_phandle, IRQ_M_SOFT, intc_phandle, IRQ_M_TIMER]),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", ["sifive,clint0", "riscv,clint0"]),
    ])
