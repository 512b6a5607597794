"""Goldfish RTC at 0x101000 (PLIC source 11): wall-clock nanoseconds and one alarm.

Follows QEMU 7.2 `hw/rtc/goldfish_rtc.c` (ref virt-rv32.md 3.5).  The time source is
`now_ns()`, nanoseconds since the Unix epoch as the machine defines them; guest writes
to TIME_LOW/TIME_HIGH shift an offset against it.  Also owns the RTC's device-tree node.
"""

from __future__ import annotations

from collections.abc import Callable

from rvirt.devices.base import Device, DeviceAccessError, IrqLine
from rvirt.fdt import Node, u64

TIME_LOW = 0x00
TIME_HIGH = 0x04
ALARM_LOW = 0x08
ALARM_HIGH = 0x0C
IRQ_ENABLED = 0x10
CLEAR_ALARM = 0x14
ALARM_STATUS = 0x18
CLEAR_INTERRUPT = 0x1C
WINDOW = 0x24  # the memory region QEMU creates (memmap says 0x1000)
MASK32 = 0xFFFF_FFFF
MASK64 = (1 << 64) - 1


class GoldfishRtc(Device):
    """TIME, ALARM and interrupt registers; `irq` = irq_pending & irq_enabled.

    An armed alarm fires when the count reaches it; the machine calls `update()` to let
    that happen (`next_deadline()` gives the `now_ns()` value it waits for).  Only
    aligned 32-bit accesses are valid.
    """

    name = "goldfish_rtc"

    def __init__(self, now_ns: Callable[[], int], irq: IrqLine | None = None) -> None:
        self.now_ns = now_ns
        self.irq = irq if irq is not None else IrqLine()
        self.offset = 0  # tick_offset: guest time minus now_ns()
        self.time_high = 0  # latched by a TIME_LOW read
        self.reset()

    def reset(self) -> None:
        """`goldfish_rtc_reset`: alarm and interrupt state cleared; the time runs on."""
        self.alarm_next = 0
        self.alarm_running = 0
        self.irq_pending = 0
        self.irq_enabled = 0
        self.irq.lower()  # QEMU leaves the line until the next update; nothing is pending

    _FIELDS = ("offset", "time_high", "alarm_next", "alarm_running", "irq_pending",
               "irq_enabled")

    def state(self) -> dict[str, object]:
        out: dict[str, object] = {k: getattr(self, k) for k in self._FIELDS}
        out["irq"] = self.irq.level
        return out

    def set_state(self, state: dict[str, object]) -> None:
        for k in self._FIELDS:
            setattr(self, k, state[k])
        self.irq.level = bool(state["irq"])

    def count(self) -> int:
        """The guest-visible time in nanoseconds."""
        return (self.now_ns() + self.offset) & MASK64

    def _update_irq(self) -> None:
        # goldfish_rtc_update: qemu_set_irq on every call; a level-1 call re-pends the
        # PLIC source, so a high line is re-asserted.
        if self.irq_pending and self.irq_enabled:
            if self.irq.level:
                self.irq.lower()
            self.irq.raise_()
        else:
            self.irq.lower()

    def _interrupt(self) -> None:
        self.alarm_running = 0
        self.irq_pending = 1
        self._update_irq()

    def _set_alarm(self) -> None:
        if self.alarm_next <= self.count():
            self._interrupt()  # a time already passed fires at once
        else:
            self.alarm_running = 1

    def update(self) -> None:
        """Fire the alarm if its time has come."""
        if self.alarm_running and self.alarm_next <= self.count():
            self._interrupt()

    def next_deadline(self) -> int | None:
        """The `now_ns()` value at which the armed alarm fires, or None."""
        if not self.alarm_running:
            return None
        return self.alarm_next - self.offset

    def _check(self, offset: int, size: int) -> None:
        if size != 4 or offset & 3 or not 0 <= offset < WINDOW:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        if offset == TIME_LOW:
            count = self.count()
            self.time_high = count >> 32
            return count & MASK32
        if offset == TIME_HIGH:
            return self.time_high
        if offset == ALARM_LOW:
            return self.alarm_next & MASK32
        if offset == ALARM_HIGH:
            return self.alarm_next >> 32
        if offset == IRQ_ENABLED:
            return self.irq_enabled
        if offset == ALARM_STATUS:
            return self.alarm_running
        return 0  # write-only and unimplemented offsets (QEMU logs a guest error)

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)
        value &= MASK32
        if offset == TIME_LOW:
            current = self.count()
            self.offset += ((current & ~MASK32) | value) - current
        elif offset == TIME_HIGH:
            current = self.count()
            self.offset += ((value << 32) | (current & MASK32)) - current
        elif offset == ALARM_LOW:
            self.alarm_next = (self.alarm_next & ~MASK32) | value
            self._set_alarm()
        elif offset == ALARM_HIGH:
            self.alarm_next = (value << 32) | (self.alarm_next & MASK32)
        elif offset == IRQ_ENABLED:
            self.irq_enabled = value & 1
            self._update_irq()
        elif offset == CLEAR_ALARM:
            self.alarm_running = 0
        elif offset == CLEAR_INTERRUPT:
            self.irq_pending = 0
            self._update_irq()
        # ALARM_STATUS and the word at 0x20 ignore writes (QEMU logs a guest error).


def fdt_node(base: int, size: int, irq: int, plic_phandle: int) -> Node:
    """`/soc/rtc@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_rtc` writes it."""
    return Node(f"rtc@{base:x}", [
        ("interrupts", irq),
        ("interrupt-parent", plic_phandle),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", "google,goldfish-rtc"),
    ])
