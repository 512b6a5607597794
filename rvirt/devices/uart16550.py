"""NS16550A UART (UART0 at 0x10000000, PLIC source 10): registers, FIFOs, interrupt.

Follows QEMU 7.2 `hw/char/serial.c` (ref virt-rv32.md 3.2) register by register,
including its quirks: the IIR FIFO bits, `thr_ipending`, the RX trigger levels, the
character-timeout interrupt and the way host input is handed over only as fast as the
guest makes room (`serial_can_receive` plus the -nographic mux's buffering).
Transmission is instant.  Also owns the UART's device-tree node.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from rvirt.devices.base import Device, DeviceAccessError, IrqLine
from rvirt.fdt import Node, u64

# Register bits (names as in Linux/QEMU serial_reg.h).
LCR_DLAB = 0x80
IER_RDI, IER_THRI, IER_RLSI, IER_MSI = 0x01, 0x02, 0x04, 0x08
IIR_NO_INT, IIR_ID = 0x01, 0x06
IIR_MSI, IIR_THRI, IIR_RDI, IIR_RLSI, IIR_CTI = 0x00, 0x02, 0x04, 0x06, 0x0C
IIR_FIFO_ENABLED = 0xC0
MCR_LOOP, MCR_OUT2 = 0x10, 0x08
MSR_DCD, MSR_DSR, MSR_CTS, MSR_ANY_DELTA = 0x80, 0x20, 0x10, 0x0F
LSR_DR, LSR_OE, LSR_BI, LSR_THRE, LSR_TEMT = 0x01, 0x02, 0x10, 0x20, 0x40
LSR_INT_ANY = 0x1E  # OE | PE | FE | BI: the line-status interrupt causes
FCR_FE, FCR_RFR, FCR_XFR = 0x01, 0x02, 0x04
FCR_STICKY = 0xC9  # trigger level, DMA mode and enable bits are kept
FIFO_SIZE = 16
TRIGGER_LEVELS = {0x00: 1, 0x40: 4, 0x80: 8, 0xC0: 14}

# virt.c passes 399193 as the baud base to serial_mm_init (the DT's 3686400 is only
# what the guest is told); it only scales the character time used for the RX timeout.
QEMU_VIRT_BAUDBASE = 399193
CLOCK_FREQUENCY = 3_686_400  # DT clock-frequency
NS_PER_S = 1_000_000_000
_RESET_CHAR_TIME_NS = (NS_PER_S // 9600) * 10  # serial_reset: 9600 8N1

_BYTES = [bytes((i,)) for i in range(256)]


def _discard(data: bytes) -> None:
    pass


class Uart16550(Device):
    """The 8-byte register window of an NS16550A.

    `output(data)` receives transmitted bytes; `receive(data)` queues host input, which
    enters the RX FIFO as the guest makes room.  `irq` is the level output to the PLIC.
    With FIFOs on, the character-timeout interrupt needs time: pass `clock_ns` (virtual
    nanoseconds) and call `update()` from time to time; without a clock the timeout
    fires on the first `update()` after it was armed.
    """

    name = "uart16550"

    def __init__(self, output: Callable[[bytes], None] | None = None, *,
                 clock_ns: Callable[[], int] | None = None, irq: IrqLine | None = None,
                 baudbase: int = QEMU_VIRT_BAUDBASE) -> None:
        self.output: Callable[[bytes], None] = output or _discard
        self.irq = irq if irq is not None else IrqLine()
        self._clock = clock_ns
        self.baudbase = baudbase
        self.rx: deque[int] = deque()
        self._host = bytearray()  # host input the guest has not made room for yet
        # Power-on values of state serial_reset leaves alone (the device is zeroed).
        self.fcr = 0
        self.rx_trigger = 1
        self.reset()

    # -- state ---------------------------------------------------------------------

    def reset(self) -> None:
        """QEMU `serial_reset`: note it keeps FCR (and the trigger level) as they were."""
        self.rbr = 0
        self.ier = 0
        self.iir = IIR_NO_INT
        self.lcr = 0
        self.lsr = LSR_TEMT | LSR_THRE
        self.msr = MSR_DCD | MSR_DSR | MSR_CTS
        self.divider = 0x0C
        self.mcr = MCR_OUT2
        self.scr = 0
        self.char_time_ns = _RESET_CHAR_TIME_NS
        self.thr_ipending = 0
        self.timeout_ipending = 0
        self._deadline: int | None = None
        self.rx.clear()
        self.irq.lower()

    _FIELDS = ("rbr", "ier", "iir", "lcr", "lsr", "msr", "divider", "mcr", "scr",
               "char_time_ns", "thr_ipending", "timeout_ipending", "fcr", "rx_trigger")

    def state(self) -> dict[str, object]:
        """Registers, the RX FIFO, host input not yet taken, the timeout and the line."""
        out: dict[str, object] = {k: getattr(self, k) for k in self._FIELDS}
        out.update(rx=bytes(self.rx), host=bytes(self._host), deadline=self._deadline,
                   irq=self.irq.level)
        return out

    def set_state(self, state: dict[str, object]) -> None:
        for k in self._FIELDS:
            setattr(self, k, state[k])
        self.rx = deque(state["rx"])  # type: ignore[call-overload]
        self._host = bytearray(state["host"])  # type: ignore[arg-type]
        self._deadline = state["deadline"]  # type: ignore[assignment]
        self.irq.level = bool(state["irq"])

    def _update_irq(self) -> None:
        """`serial_update_irq`: pick the highest-priority cause, set IIR and the line."""
        ier = self.ier
        lsr = self.lsr
        if ier & IER_RLSI and lsr & LSR_INT_ANY:
            iid = IIR_RLSI
        elif ier & IER_RDI and self.timeout_ipending:
            iid = IIR_CTI
        elif ier & IER_RDI and lsr & LSR_DR and (
                not self.fcr & FCR_FE or len(self.rx) >= self.rx_trigger):
            iid = IIR_RDI
        elif ier & IER_THRI and self.thr_ipending:
            iid = IIR_THRI
        elif ier & IER_MSI and self.msr & MSR_ANY_DELTA:
            iid = IIR_MSI
        else:
            iid = IIR_NO_INT
        self.iir = iid | (self.iir & 0xF0)
        irq = self.irq
        if iid == IIR_NO_INT:
            irq.set(False)
        else:
            # QEMU raises the line on every update that finds a cause, and the PLIC
            # gateway latches each raise: re-assert so a high line re-pends the source.
            if irq.level:
                irq.set(False)
            irq.set(True)

    def _update_parameters(self) -> None:
        """`serial_update_parameters`: only the character time matters to a model."""
        if self.divider == 0 or self.divider > self.baudbase:
            return
        lcr = self.lcr
        frame = 1 + (1 if lcr & 0x08 else 0) + (lcr & 0x03) + 5 + (2 if lcr & 0x04 else 1)
        speed = self.baudbase // self.divider
        self.char_time_ns = (NS_PER_S // speed) * frame

    def _arm_timeout(self) -> None:
        # fifo_timeout_timer: four character times after the last RX event.
        self._deadline = 0 if self._clock is None else self._clock() + 4 * self.char_time_ns

    # -- receive side --------------------------------------------------------------

    def _can_receive(self) -> int:
        """`serial_can_receive`: how many bytes the guest side accepts right now."""
        if self.fcr & FCR_FE:
            count = len(self.rx)
            if count < FIFO_SIZE:
                trigger = self.rx_trigger
                return trigger - count if count <= trigger else 1
            return 0
        return 0 if self.lsr & LSR_DR else 1

    def _receive_byte(self, byte: int) -> None:
        """`serial_receive1` for one byte."""
        if self.fcr & FCR_FE:
            if len(self.rx) < FIFO_SIZE:
                self.rx.append(byte)
            else:
                self.lsr |= LSR_OE  # overruns do not overwrite FIFO contents
            self.lsr |= LSR_DR
            self._arm_timeout()
        else:
            if self.lsr & LSR_DR:
                self.lsr |= LSR_OE
            self.rbr = byte
            self.lsr |= LSR_DR
        self._update_irq()

    def _pump(self) -> None:
        # The -nographic mux hands bytes over one at a time while the UART can take them.
        host = self._host
        while host and self._can_receive() > 0:
            byte = host[0]
            del host[0]
            self._receive_byte(byte)

    def receive(self, data: bytes) -> None:
        """Host input (keyboard): queued, then moved into the UART as room allows."""
        self._host += data
        self._pump()

    @property
    def pending_input(self) -> int:
        """Host bytes still waiting outside the UART."""
        return len(self._host)

    def send_break(self) -> None:
        """A break from the host (`serial_receive_break`): a NUL with BI set."""
        self.rbr = 0
        if len(self.rx) < FIFO_SIZE:
            self.rx.append(0)
        else:
            self.lsr |= LSR_OE
        self.lsr |= LSR_BI | LSR_DR
        self._update_irq()

    def update(self) -> None:
        """Fire the RX character timeout if its time has come (machine calls this)."""
        deadline = self._deadline
        if deadline is None:
            return
        if self._clock is not None and self._clock() < deadline:
            return
        self._deadline = None
        if self.rx:  # fifo_timeout_int
            self.timeout_ipending = 1
            self._update_irq()

    def next_deadline(self) -> int | None:
        """Clock value (ns) at which `update()` has work to do, or None."""
        return self._deadline

    # -- bus interface -------------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        if offset == 5 and size == 1:  # LSR: the polling hot path
            lsr = self.lsr
            if lsr & (LSR_BI | LSR_OE):
                self.lsr = lsr & ~(LSR_BI | LSR_OE)
                self._update_irq()
            return lsr
        if offset > 7 or offset & (size - 1) or size > 8:
            raise DeviceAccessError(f"{self.name}: {size}-byte read at {offset:#x}")
        if offset == 0:
            if self.lcr & LCR_DLAB:
                return self.divider & 0xFF
            if self.fcr & FCR_FE:
                rx = self.rx
                value = rx.popleft() if rx else 0
                if rx:
                    self._arm_timeout()
                else:
                    self.lsr &= ~(LSR_DR | LSR_BI)
                self.timeout_ipending = 0
            else:
                value = self.rbr
                self.lsr &= ~(LSR_DR | LSR_BI)
            self._update_irq()
            if not self.mcr & MCR_LOOP:
                self._pump()  # qemu_chr_fe_accept_input
            return value
        if offset == 1:
            return (self.divider >> 8) & 0xFF if self.lcr & LCR_DLAB else self.ier
        if offset == 2:
            value = self.iir
            if value & IIR_ID == IIR_THRI:
                self.thr_ipending = 0
                self._update_irq()
            return value
        if offset == 3:
            return self.lcr
        if offset == 4:
            return self.mcr
        if offset == 5:
            return self.read(5, 1)
        if offset == 6:
            if self.mcr & MCR_LOOP:
                # Loopback: OUT2/OUT1 -> DCD/RI, RTS -> CTS, DTR -> DSR.
                mcr = self.mcr
                return (mcr & 0x0C) << 4 | (mcr & 0x02) << 3 | (mcr & 0x01) << 5
            value = self.msr
            if value & MSR_ANY_DELTA:
                self.msr = value & 0xF0
                self._update_irq()
            return value
        return self.scr

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFF  # serial_mm_write: one byte reaches the register
        if offset == 0 and not self.lcr & LCR_DLAB:  # THR: the printing hot path
            if self.mcr & MCR_LOOP:
                self._receive_byte(value)
            else:
                self.output(_BYTES[value])
            # serial_xmit empties THR at once: THRE/TEMT set, thr_ipending raised.
            self.lsr |= LSR_THRE | LSR_TEMT
            self.thr_ipending = 1
            if self.ier:  # with IER = 0 the line is already low and stays low
                self._update_irq()
            return
        if offset > 7 or offset & (size - 1) or size > 8:
            raise DeviceAccessError(f"{self.name}: {size}-byte write at {offset:#x}")
        if offset == 0:
            self.divider = (self.divider & 0xFF00) | value
            self._update_parameters()
        elif offset == 1:
            if self.lcr & LCR_DLAB:
                self.divider = (self.divider & 0x00FF) | value << 8
                self._update_parameters()
                return
            changed = (self.ier ^ value) & 0x0F
            self.ier = value & 0x0F
            if changed & IER_THRI:
                # Enabling THRI while THR is empty interrupts even if IIR was read.
                self.thr_ipending = 1 if self.ier & IER_THRI and self.lsr & LSR_THRE else 0
            if changed:
                self._update_irq()
        elif offset == 2:
            self._write_fcr(value)
        elif offset == 3:
            self.lcr = value
            self._update_parameters()
        elif offset == 4:
            self.mcr = value & 0x1F
        elif offset == 7:
            self.scr = value
        # LSR and MSR ignore writes.

    def _write_fcr(self, value: int) -> None:
        if (value ^ self.fcr) & FCR_FE:
            value |= FCR_XFR | FCR_RFR  # toggling the enable flushes both FIFOs
        if value & FCR_RFR:
            self.lsr &= ~(LSR_DR | LSR_BI)
            self._deadline = None
            self.timeout_ipending = 0
            self.rx.clear()
        if value & FCR_XFR:
            self.lsr |= LSR_THRE
            self.thr_ipending = 1
        self.fcr = value & FCR_STICKY
        if value & FCR_FE:
            self.iir |= IIR_FIFO_ENABLED
            self.rx_trigger = TRIGGER_LEVELS[value & 0xC0]
        else:
            self.iir &= ~IIR_FIFO_ENABLED & 0xFF
        self._update_irq()


def fdt_node(base: int, size: int, irq: int, plic_phandle: int) -> Node:
    """`/soc/serial@...` as QEMU 7.2 `hw/riscv/virt.c` `create_fdt_uart` writes it."""
    return Node(f"serial@{base:x}", [
        ("interrupts", irq),
        ("interrupt-parent", plic_phandle),
        ("clock-frequency", CLOCK_FREQUENCY),
        ("reg", [*u64(base), *u64(size)]),
        ("compatible", "ns16550a"),
    ])
