"""PLIC at 0xC000000: 96 interrupt sources, two contexts per hart (its M and S mode).

Follows QEMU 7.2.22 `hw/intc/sifive_plic.c` as virt configures it (ref virt-rv32.md
3.4; `include/hw/riscv/virt.h` layout constants, hart config "MS").  The gateway is the
7.2.15+ one ("hw/intc: Don't clear pending bits on IRQ lowering"): each raise of a
source line sets its pending bit, lowering never clears it.  Also owns the PLIC's
device-tree node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rvirt.devices.base import Device, DeviceAccessError, IrqLine
from rvirt.fdt import Node, u64

NUM_SOURCES = 96  # including source 0, which never interrupts
# Hart config "MS" (virt.c): context 2i = hart i's M mode (mip.MEIP), 2i + 1 its S mode.
NUM_PRIORITIES = 7  # 3 priority bits; a power-of-two range, so writes are WARL (mod 8)
PRIORITY_BASE = 0x0004  # VIRT_PLIC_PRIORITY_BASE in 7.2: the register of source 1
PENDING_BASE = 0x1000
ENABLE_BASE = 0x2000
ENABLE_STRIDE = 0x80
CONTEXT_BASE = 0x20_0000
CONTEXT_STRIDE = 0x1000
APERTURE = 0x60_0000
IRQ_M_EXT = 11  # mip bit numbers the DT's interrupts-extended refers to
IRQ_S_EXT = 9


class Plic(Device):
    """Priorities, pending bits, per-context enables and thresholds, claim/complete.

    Device lines connect with `line.connect(plic.source(n))` or by calling
    `set_source(n, level)`.  `meip[i]` and `seip[i]` are hart i's output lines (one
    IrqLine each makes a one-hart PLIC).
    Only naturally aligned 32-bit accesses are valid (`sifive_plic_ops.valid`);
    other offsets inside the window read 0 and ignore writes, as QEMU does after
    logging a guest error.
    """

    name = "plic"

    def __init__(self, num_sources: int = NUM_SOURCES,
                 meip: IrqLine | Sequence[IrqLine] | None = None,
                 seip: IrqLine | Sequence[IrqLine] | None = None) -> None:
        self.num_sources = num_sources
        self.words = (num_sources + 31) >> 5
        meips, seips = _lines(meip), _lines(seip)
        assert len(meips) == len(seips), "an M and an S context per hart"
        self._outputs = tuple(line for pair in zip(meips, seips, strict=True) for line in pair)
        self.contexts = len(self._outputs)
        self.reset()

    # Hart 0's lines, for callers that know one hart.
    @property
    def meip(self) -> IrqLine:
        return self._outputs[0]

    @property
    def seip(self) -> IrqLine:
        return self._outputs[1]

    def reset(self) -> None:
        """`sifive_plic_reset`: everything cleared, both outputs low."""
        self.priority = [0] * self.num_sources  # index = source id; [0] stays 0
        self.threshold = [0] * self.contexts
        self.pending = 0  # bit n = source n (Python int bitmaps)
        self.claimed = 0
        self.enable = [0] * self.contexts
        for line in self._outputs:
            line.lower()

    def state(self) -> dict[str, object]:
        return {"priority": tuple(self.priority), "threshold": tuple(self.threshold),
                "pending": self.pending, "claimed": self.claimed,
                "enable": tuple(self.enable),
                "outputs": tuple(line.level for line in self._outputs)}

    def set_state(self, state: dict[str, object]) -> None:
        self.priority = list(state["priority"])  # type: ignore[call-overload]
        self.threshold = list(state["threshold"])  # type: ignore[call-overload]
        self.pending = state["pending"]  # type: ignore[assignment]
        self.claimed = state["claimed"]  # type: ignore[assignment]
        self.enable = list(state["enable"])  # type: ignore[call-overload]
        outputs = state["outputs"]
        for line, level in zip(self._outputs, outputs, strict=True):  # type: ignore[call-overload]
            line.level = bool(level)

    # -- gateway -------------------------------------------------------------------

    def set_source(self, source: int, level: bool) -> None:
        """Drive source `source`'s input line: a high level latches it pending."""
        if not 0 < source < self.num_sources:
            raise ValueError(f"PLIC source {source} out of range 1..{self.num_sources - 1}")
        if level:
            self.pending |= 1 << source
            self._update()

    def source(self, source: int) -> Callable[[bool], None]:
        """A sink for `IrqLine.connect` feeding source `source`."""
        if not 0 < source < self.num_sources:
            raise ValueError(f"PLIC source {source} out of range 1..{self.num_sources - 1}")

        def sink(level: bool) -> None:
            self.set_source(source, level)

        return sink

    # -- core ----------------------------------------------------------------------

    def best(self, context: int) -> int:
        """`sifive_plic_claimed`: the id a claim would return now (0 = none).

        Candidates are pending, enabled and not already claimed, with priority strictly
        above the threshold; the highest priority wins, ties go to the lowest id.
        """
        candidates = self.pending & ~self.claimed & self.enable[context]
        best_id = 0
        best_prio = self.threshold[context]
        priority = self.priority
        while candidates:
            low = candidates & -candidates
            source = low.bit_length() - 1
            candidates ^= low
            if source < self.num_sources and priority[source] > best_prio:
                best_id, best_prio = source, priority[source]
        return best_id

    def _update(self) -> None:
        for context, line in enumerate(self._outputs):
            line.set(self.best(context) != 0)

    def claim(self, context: int) -> int:
        """Read of the claim register: take the best candidate (or 0)."""
        source = self.best(context)
        if source:
            self.pending &= ~(1 << source)
            self.claimed |= 1 << source
        self._update()
        return source

    def complete(self, context: int, source: int) -> None:
        """Write of the claim register: release `source` (QEMU checks only the range)."""
        if 0 <= source < self.num_sources:
            self.claimed &= ~(1 << source)
            self._update()

    # -- bus interface -------------------------------------------------------------

    def _check(self, offset: int, size: int) -> None:
        if size != 4 or offset & 3 or not 0 <= offset < APERTURE:
            raise DeviceAccessError(f"{self.name}: {size}-byte access at {offset:#x}")

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size)
        if PRIORITY_BASE <= offset < PRIORITY_BASE + 4 * (self.num_sources - 1):
            return self.priority[(offset - PRIORITY_BASE) // 4 + 1]
        if PENDING_BASE <= offset < PENDING_BASE + 4 * self.words:
            return (self.pending >> (8 * (offset - PENDING_BASE))) & 0xFFFF_FFFF
        if ENABLE_BASE <= offset < ENABLE_BASE + self.contexts * ENABLE_STRIDE:
            context, word = divmod(offset - ENABLE_BASE, ENABLE_STRIDE)
            word >>= 2
            if word < self.words:
                return (self.enable[context] >> (32 * word)) & 0xFFFF_FFFF
            return 0
        if CONTEXT_BASE <= offset < CONTEXT_BASE + self.contexts * CONTEXT_STRIDE:
            context, reg = divmod(offset - CONTEXT_BASE, CONTEXT_STRIDE)
            if reg == 0:
                return self.threshold[context]
            if reg == 4:
                return self.claim(context)
        # Source 0's priority (0x0), the gaps and the 7.2 slot past the last source
        # (0x180, an out-of-range index in QEMU) all read 0 here.
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size)
        value &= 0xFFFF_FFFF
        if PRIORITY_BASE <= offset < PRIORITY_BASE + 4 * (self.num_sources - 1):
            self.priority[(offset - PRIORITY_BASE) // 4 + 1] = value % (NUM_PRIORITIES + 1)
            self._update()
        elif ENABLE_BASE <= offset < ENABLE_BASE + self.contexts * ENABLE_STRIDE:
            context, word = divmod(offset - ENABLE_BASE, ENABLE_STRIDE)
            word >>= 2
            if word < self.words:
                shift = 32 * word
                mask = 0xFFFF_FFFF << shift
                self.enable[context] = (self.enable[context] & ~mask) | (value << shift)
                # QEMU 7.2 re-evaluates outputs on the next event, not on enable writes
                # (sifive_plic_write does not call sifive_plic_update here).
        elif CONTEXT_BASE <= offset < CONTEXT_BASE + self.contexts * CONTEXT_STRIDE:
            context, reg = divmod(offset - CONTEXT_BASE, CONTEXT_STRIDE)
            if reg == 0:
                self.threshold[context] = value % (NUM_PRIORITIES + 1)
                self._update()
            elif reg == 4:
                self.complete(context, value)
        # Pending bits are read-only; other offsets are ignored (guest errors in QEMU).


def _lines(given: IrqLine | Sequence[IrqLine] | None) -> list[IrqLine]:
    if given is None:
        return [IrqLine()]
    return [given] if isinstance(given, IrqLine) else list(given)


def fdt_node(base: int, size: int, phandle: int, intc_phandles: Sequence[int],
             ndev: int = NUM_SOURCES) -> Node:
    """`/soc/plic@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_socket_plic` writes it.

    7.2 puts VIRTIO_NDEV (96) in riscv,ndev although source 96 does not exist.
    """
    return Node(f"plic@{base:x}", [
        ("phandle", phandle),
        ("riscv,ndev", ndev),
        ("reg", [*u64(base), *u64(size)]),
        ("interrupts-extended",
         [cell for ph in intc_phandles for cell in (ph, IRQ_M_EXT, ph, IRQ_S_EXT)]),
        ("interrupt-controller", True),
        ("compatible", ["sifive,plic-1.0.0", "riscv,plic0"]),
        ("#address-cells", 0),
        ("#interrupt-cells", 1),
    ])
