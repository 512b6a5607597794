"""The tiny device protocol every device implements, and interrupt lines.

A device sees only offsets into its own window: `read(offset, size)` returns an unsigned
int, `write(offset, size, value)` takes one.  `size` is 1, 2, 4 or 8 bytes.  A device that
does not decode an access (a hole, a size it rejects) raises `DeviceAccessError`; the bus
turns that into an access fault, as QEMU's `MEMTX_DECODE_ERROR` becomes one
(`riscv_cpu_do_transaction_failed`).
"""

from __future__ import annotations

from collections.abc import Callable


class DeviceAccessError(Exception):
    """The device does not decode this access; the hart takes an access fault."""


class Device:
    """Base class: a window of `size` bytes with read/write handlers."""

    name = "device"

    def read(self, offset: int, size: int) -> int:
        raise DeviceAccessError(f"{self.name}: read at {offset:#x}")

    def write(self, offset: int, size: int, value: int) -> None:
        raise DeviceAccessError(f"{self.name}: write at {offset:#x}")

    def reset(self) -> None:
        """Return to power-on state (system reset)."""

    def state(self) -> dict[str, object]:
        """The device's state as plain values (ints, bytes, tuples), for a snapshot
        (rvirt.debug.history); stateless devices have none."""
        return {}

    def set_state(self, state: dict[str, object]) -> None:
        """Put back what `state()` returned.  Interrupt lines get their saved level
        without calling their sinks: the sink's side (PLIC, mip) is restored too."""


class IrqLine:
    """A level-triggered interrupt wire from a device to a sink (PLIC source or mip bit).

    The sink is called only when the level changes, so devices may call `set` freely.
    """

    __slots__ = ("level", "_sink")

    def __init__(self, sink: Callable[[bool], None] | None = None) -> None:
        self.level = False
        self._sink = sink

    def connect(self, sink: Callable[[bool], None]) -> None:
        self._sink = sink
        sink(self.level)

    def set(self, level: bool) -> None:
        level = bool(level)
        if level != self.level:
            self.level = level
            if self._sink is not None:
                self._sink(level)

    def raise_(self) -> None:
        self.set(True)

    def lower(self) -> None:
        self.set(False)
