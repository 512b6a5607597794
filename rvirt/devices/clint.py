"""CLINT at 0x2000000: machine software interrupt (MSWI) and machine timer (MTIMER).

Follows QEMU 7.2 `hw/intc/riscv_aclint.c` as the virt board instantiates it (ref
virt-rv32.md 3.3): hart i's msip at 4*i, its mtimecmp at 0x4000 + 8*i, mtime at 0xBFF8.  The
machine owns time: `clock()` returns virtual 10 MHz ticks, and mtime is that count plus
an offset that guest writes to mtime adjust.  Also owns the device-tree nodes: the SiFive
CLINT's (aclint=off), or the ACLINT MSWI's and MTIMER's (aclint=on: the same two devices
at the same addresses in QEMU 7.2's virt_machine_init, described as ACLINT parts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    """Every hart's msip and mtimecmp, and the one mtime.

    Hart i's `msip_irqs[i]` drives its mip.MSIP and `mtip_irqs[i]` its mip.MTIP; msip[i]
    is the word at 4*i, mtimecmp[i] the doubleword at 0x4000 + 8*i (QEMU's ACLINT
    layout, which the virt board's CLINT is).  MTIP follows `mtime >= mtimecmp`; writes
    re-evaluate it at once, and because time moves on by itself the machine calls
    `update()` to raise it when a deadline passes (`next_deadline()` says when the
    first one is, for a wfi fast-forward).  One IrqLine for each of msip_irq and
    mtip_irq makes a one-hart CLINT.
    """

    name = "clint"

    def __init__(self, clock: Callable[[], int],
                 msip_irq: IrqLine | Sequence[IrqLine] | None = None,
                 mtip_irq: IrqLine | Sequence[IrqLine] | None = None) -> None:
        self.clock = clock
        self.msip_irqs = _lines(msip_irq)
        self.mtip_irqs = _lines(mtip_irq)
        assert len(self.msip_irqs) == len(self.mtip_irqs), "one msip and one mtip per hart"
        self.harts = len(self.msip_irqs)
        # zero-initialised at creation: MTIP is pending from power-on
        self.mtimecmps = [0] * self.harts
        self._delta = 0
        self._deadlines: list[int | None] = [None] * self.harts  # clock values MTIPs rise at
        self.reset()

    # The first hart's, for callers that know one hart.
    @property
    def mtimecmp(self) -> int:
        return self.mtimecmps[0]

    @property
    def msip_irq(self) -> IrqLine:
        return self.msip_irqs[0]

    @property
    def mtip_irq(self) -> IrqLine:
        return self.mtip_irqs[0]

    def reset(self) -> None:
        """MSWI reset lowers every msip; MTIMER reset writes mtime = 0 (mtimecmps kept)."""
        for line in self.msip_irqs:
            line.lower()
        self._set_mtime(0)

    def state(self) -> dict[str, object]:
        return {"mtimecmp": tuple(self.mtimecmps), "delta": self._delta,
                "deadline": tuple(self._deadlines),
                "msip": tuple(line.level for line in self.msip_irqs),
                "mtip": tuple(line.level for line in self.mtip_irqs)}

    def set_state(self, state: dict[str, object]) -> None:
        self.mtimecmps = list(state["mtimecmp"])  # type: ignore[call-overload]
        self._delta = state["delta"]  # type: ignore[assignment]
        self._deadlines = list(state["deadline"])  # type: ignore[call-overload]
        for line, level in zip(self.msip_irqs, state["msip"], strict=True):  # type: ignore[call-overload]
            line.level = bool(level)
        for line, level in zip(self.mtip_irqs, state["mtip"], strict=True):  # type: ignore[call-overload]
            line.level = bool(level)

    # -- time ----------------------------------------------------------------------

    def mtime(self) -> int:
        """The current mtime (also what the `time`/`timeh` CSRs read)."""
        return (self.clock() + self._delta) & MASK64

    def _set_mtime(self, value: int) -> None:
        self._delta = value - self.clock()
        for hart in range(self.harts):
            self._write_timecmp(hart, self.mtimecmps[hart])

    def _write_timecmp(self, hart: int, value: int) -> None:
        """`riscv_aclint_mtimer_write_timecmp`: raise now, or note when to raise."""
        cmp = self.mtimecmps[hart] = value & MASK64
        now = self.clock()
        mtime = (now + self._delta) & MASK64
        if cmp <= mtime:
            self._deadlines[hart] = None
            self.mtip_irqs[hart].raise_()
        else:
            self.mtip_irqs[hart].lower()
            self._deadlines[hart] = now + (cmp - mtime)

    def update(self) -> None:
        """Raise the MTIPs whose mtimecmp mtime has reached since the last look."""
        deadlines = self._deadlines
        if len(deadlines) == 1:  # one hart: the short way (this runs at every batch)
            deadline = deadlines[0]
            if deadline is not None and self.clock() >= deadline:
                deadlines[0] = None
                self.mtip_irqs[0].raise_()
            return
        now = None
        for hart, deadline in enumerate(self._deadlines):
            if deadline is not None:
                now = self.clock() if now is None else now
                if now >= deadline:
                    self._deadlines[hart] = None
                    self.mtip_irqs[hart].raise_()

    def next_deadline(self) -> int | None:
        """The `clock()` value at which the next MTIP will rise, or None if none will
        (every one is up already).

        With mtimecmp = 2**64-1 this lies centuries ahead: a fast-forwarding caller
        should cap it.
        """
        deadlines = self._deadlines
        if len(deadlines) == 1:
            return deadlines[0]
        pending = [d for d in deadlines if d is not None]
        return min(pending) if pending else None

    # -- bus interface -------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        if offset < MSWI_SIZE:
            self._check(offset, size, 4, 4)
            # msip[i] reads hart i's mip.MSIP level; the rest of MSWI reads 0 (LOG_UNIMP).
            hart, rest = divmod(offset, 4)
            return int(self.msip_irqs[hart].level) if hart < self.harts and not rest else 0
        self._check(offset, size, 4, 8)
        addr = offset - MTIMER_BASE
        if addr == MTIME:
            mtime = self.mtime()
            return mtime & MASK32 if size == 4 else mtime
        if addr == MTIME + 4:
            return self.mtime() >> 32
        hart, rest = divmod(addr - MTIMECMP, 8)
        if 0 <= hart < self.harts:
            cmp = self.mtimecmps[hart]
            if rest == 0:
                return cmp & MASK32 if size == 4 else cmp
            if rest == 4:
                return cmp >> 32
        return 0  # QEMU: "aclint-mtimer: invalid read", value 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < MSWI_SIZE:
            self._check(offset, size, 4, 4)
            hart, rest = divmod(offset, 4)
            if hart < self.harts and not rest:
                self.msip_irqs[hart].set(bool(value & 1))
            return  # other MSWI offsets: ignored (LOG_UNIMP)
        self._check(offset, size, 4, 8)
        addr = offset - MTIMER_BASE
        if addr == MTIME:
            if size == 4:
                self._set_mtime((self.mtime() & ~MASK32 & MASK64) | (value & MASK32))
            else:
                self._set_mtime(value & MASK64)
            return
        if addr == MTIME + 4:
            self._set_mtime((value & MASK32) << 32 | (self.mtime() & MASK32))
            return
        hart, rest = divmod(addr - MTIMECMP, 8)
        if not 0 <= hart < self.harts:
            return  # anything else in the window: ignored, as QEMU does after logging
        cmp = self.mtimecmps[hart]
        if rest == 0:
            self._write_timecmp(hart, (cmp & ~MASK32) | (value & MASK32) if size == 4
                                else value)
        elif rest == 4:  # necessarily 32-bit: a 64-bit access here is unaligned
            self._write_timecmp(hart, (value & MASK32) << 32 | (cmp & MASK32))

    def _check(self, offset: int, size: int, smallest: int, largest: int) -> None:
        # QEMU's MemoryRegionOps.valid: the size range, and no unaligned accesses.
        if not smallest <= size <= largest or offset & (size - 1) or offset + size > DECODE_SIZE:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")


def _lines(given: IrqLine | Sequence[IrqLine] | None) -> list[IrqLine]:
    if given is None:
        return [IrqLine()]
    return [given] if isinstance(given, IrqLine) else list(given)


def fdt_node(base: int, size: int, intc_phandles: Sequence[int]) -> Node:
    """`/soc/clint@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_socket_clint` writes it:
    each hart's software and timer interrupt, in hart order."""
    return Node(f"clint@{base:x}", [
        ("interrupts-extended",
         [cell for ph in intc_phandles for cell in (ph, IRQ_M_SOFT, ph, IRQ_M_TIMER)]),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", ["sifive,clint0", "riscv,clint0"]),
    ])


def aclint_fdt_nodes(base: int, size: int, intc_phandles: Sequence[int]) -> tuple[Node, Node]:
    """`/soc/mswi@...` and `/soc/mtimer@...`, in the order QEMU 7.2 `hw/riscv/virt.c`
    `create_fdt_socket_aclint` makes them (aclint=on, no IMSIC): the MSWI's first
    RISCV_ACLINT_SWI_SIZE bytes of the CLINT window, then the MTIMER's rest, its reg
    being mtime's range and then the mtimecmp array's."""
    timer = base + MSWI_SIZE
    timer_size = size - MSWI_SIZE
    mswi = Node(f"mswi@{base:x}", [
        ("#interrupt-cells", 0),
        ("interrupt-controller", True),
        ("interrupts-extended", [cell for ph in intc_phandles for cell in (ph, IRQ_M_SOFT)]),
        ("reg", [*u64(base), *u64(MSWI_SIZE)]),
        ("compatible", "riscv,aclint-mswi"),
    ])
    mtimer = Node(f"mtimer@{timer:x}", [
        ("interrupts-extended", [cell for ph in intc_phandles for cell in (ph, IRQ_M_TIMER)]),
        ("reg", [*u64(timer + MTIME), *u64(timer_size - MTIME),
                 *u64(timer + MTIMECMP), *u64(MTIME)]),
        ("compatible", "riscv,aclint-mtimer"),
    ])
    return mswi, mtimer
