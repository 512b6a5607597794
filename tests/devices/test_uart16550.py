"""NS16550A: reset values, register decoding, THRE interrupt rules, RX FIFO and timeout,
flow control of host input, line status, loopback (QEMU 7.2 hw/char/serial.c)."""

from __future__ import annotations

import pytest

from rvirt.devices.base import DeviceAccessError
from rvirt.devices.uart16550 import Uart16550, fdt_node

RBR = THR = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR = 3
MCR = 4
LSR = 5
MSR = 6
SCR = 7


class Clock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def make(clock: Clock | None = None) -> tuple[Uart16550, list[bytes]]:
    out: list[bytes] = []
    return Uart16550(out.append, clock_ns=clock), out


def rd(uart: Uart16550, reg: int) -> int:
    return uart.read(reg, 1)


def wr(uart: Uart16550, reg: int, value: int) -> None:
    uart.write(reg, 1, value)


# -- reset and decoding -----------------------------------------------------------------

def test_reset_values() -> None:
    uart, _ = make()
    assert [rd(uart, r) for r in range(8)] == [0, 0, 0x01, 0, 0x08, 0x60, 0xB0, 0]
    assert uart.irq.level is False
    wr(uart, LCR, 0x80)
    assert (rd(uart, DLL), rd(uart, DLM)) == (0x0C, 0x00)


def test_transmit_goes_to_output_and_thr_stays_empty() -> None:
    uart, out = make()
    for ch in b"hi\n":
        assert rd(uart, LSR) & 0x20
        wr(uart, THR, ch)
    assert b"".join(out) == b"hi\n"
    assert rd(uart, LSR) == 0x60


def test_word_store_writes_only_the_low_byte_to_one_register() -> None:
    uart, out = make()
    uart.write(0, 4, 0x4443_4241)
    assert out == [b"A"]
    assert rd(uart, IER) == 0 and rd(uart, LCR) == 0  # neighbours untouched
    uart.write(4, 4, 0xFFFF_FF1B)
    assert rd(uart, MCR) == 0x1B


def test_any_width_reads_one_register_zero_extended() -> None:
    uart, _ = make()
    wr(uart, SCR, 0xA5)
    assert uart.read(0, 8) == 0  # RBR only, not the neighbours
    assert uart.read(4, 4) == 0x08  # MCR
    assert uart.read(6, 2) == 0xB0  # MSR
    assert uart.read(4, 2) == 0x08
    assert uart.read(7, 1) == 0xA5


@pytest.mark.parametrize(("offset", "size"), [(8, 1), (1, 2), (2, 4), (4, 8), (3, 2)])
def test_undecoded_or_misaligned_accesses_fault(offset: int, size: int) -> None:
    uart, _ = make()
    with pytest.raises(DeviceAccessError):
        uart.read(offset, size)
    with pytest.raises(DeviceAccessError):
        uart.write(offset, size, 0)


def test_divisor_latch_access() -> None:
    uart, out = make()
    wr(uart, LCR, 0x83)
    wr(uart, DLL, 0x02)
    wr(uart, DLM, 0x01)
    assert (rd(uart, DLL), rd(uart, DLM)) == (0x02, 0x01)
    assert out == []  # DLL write is not a transmit
    assert rd(uart, LCR) == 0x83
    wr(uart, LCR, 0x03)
    assert rd(uart, IER) == 0
    assert uart.divider == 0x0102


def test_ier_is_four_bits_scr_is_eight() -> None:
    uart, _ = make()
    wr(uart, IER, 0xFF)
    assert rd(uart, IER) == 0x0F
    wr(uart, SCR, 0x5A)
    assert rd(uart, SCR) == 0x5A


def test_lsr_and_msr_ignore_writes() -> None:
    uart, _ = make()
    wr(uart, LSR, 0)
    wr(uart, MSR, 0)
    assert rd(uart, LSR) == 0x60 and rd(uart, MSR) == 0xB0


# -- THRE interrupt ---------------------------------------------------------------------

def test_enabling_thri_with_empty_thr_interrupts() -> None:
    uart, _ = make()
    wr(uart, IER, 0x02)
    assert uart.irq.level
    assert rd(uart, IIR) == 0x02


def test_reading_iir_clears_a_thre_interrupt() -> None:
    uart, _ = make()
    wr(uart, IER, 0x02)
    assert rd(uart, IIR) == 0x02
    assert not uart.irq.level
    assert rd(uart, IIR) == 0x01


def test_thr_write_rearms_the_thre_interrupt() -> None:
    uart, out = make()
    wr(uart, IER, 0x02)
    rd(uart, IIR)
    wr(uart, THR, ord("x"))
    assert out == [b"x"]
    assert uart.irq.level and rd(uart, IIR) == 0x02


def test_rewriting_the_same_ier_does_not_rearm() -> None:
    uart, _ = make()
    wr(uart, IER, 0x02)
    rd(uart, IIR)
    wr(uart, IER, 0x02)  # no change: thr_ipending untouched
    assert not uart.irq.level
    wr(uart, IER, 0x00)
    wr(uart, IER, 0x02)  # 0 -> 1 edge re-samples THRE
    assert uart.irq.level


def test_disabling_thri_lowers_the_line() -> None:
    uart, _ = make()
    wr(uart, IER, 0x02)
    wr(uart, IER, 0x00)
    assert not uart.irq.level and rd(uart, IIR) == 0x01


def test_thr_write_reasserts_a_high_line() -> None:
    uart, _ = make()
    edges: list[bool] = []
    uart.irq.connect(edges.append)
    wr(uart, IER, 0x02)
    wr(uart, THR, 0x41)
    # QEMU raises the line on every update that finds a cause: the PLIC sees a new raise.
    assert edges == [False, True, False, True]


def test_fcr_tx_reset_sets_thr_ipending() -> None:
    uart, _ = make()
    wr(uart, IER, 0x02)
    rd(uart, IIR)
    wr(uart, FCR, 0x05)  # enable + XMIT reset
    assert rd(uart, IIR) == 0xC2


# -- receive, non-FIFO mode -------------------------------------------------------------

def test_receive_without_fifo_holds_one_byte() -> None:
    uart, _ = make()
    uart.receive(b"ab")
    assert rd(uart, LSR) == 0x61
    assert uart.pending_input == 1  # 'b' waits: serial_can_receive says no
    assert rd(uart, RBR) == ord("a")
    assert rd(uart, LSR) & 0x01  # 'b' moved in when RBR was read
    assert rd(uart, RBR) == ord("b")
    assert rd(uart, LSR) == 0x60
    assert uart.pending_input == 0


def test_rx_data_interrupt() -> None:
    uart, _ = make()
    wr(uart, IER, 0x01)
    assert not uart.irq.level
    uart.receive(b"z")
    assert uart.irq.level and rd(uart, IIR) == 0x04
    rd(uart, RBR)
    assert not uart.irq.level and rd(uart, IIR) == 0x01


def test_rx_data_outranks_thre() -> None:
    uart, _ = make()
    wr(uart, IER, 0x03)
    uart.receive(b"q")
    assert rd(uart, IIR) == 0x04
    rd(uart, RBR)
    assert rd(uart, IIR) == 0x02


def test_overrun_sets_oe_and_line_status_interrupt() -> None:
    uart, _ = make()
    wr(uart, MCR, 0x10)  # loopback bypasses the host flow control
    wr(uart, IER, 0x05)
    wr(uart, THR, 1)
    wr(uart, THR, 2)
    assert rd(uart, IIR) == 0x06  # RLSI outranks RDI
    lsr = rd(uart, LSR)
    assert lsr & 0x03 == 0x03
    assert rd(uart, LSR) & 0x02 == 0  # reading LSR clears OE
    assert rd(uart, IIR) == 0x04
    assert rd(uart, RBR) == 2  # the newer byte replaced the held one


def test_break_sets_bi_and_a_nul() -> None:
    uart, _ = make()
    wr(uart, IER, 0x04)
    uart.send_break()
    assert rd(uart, IIR) == 0x06 and uart.irq.level
    assert rd(uart, LSR) & 0x11 == 0x11
    assert rd(uart, LSR) & 0x10 == 0
    assert rd(uart, RBR) == 0


# -- FIFO mode --------------------------------------------------------------------------

def test_fifo_enable_shows_in_iir() -> None:
    uart, _ = make()
    wr(uart, FCR, 0x01)
    assert rd(uart, IIR) == 0xC1
    wr(uart, FCR, 0x00)
    assert rd(uart, IIR) == 0x01


@pytest.mark.parametrize(("fcr", "level"), [(0x01, 1), (0x41, 4), (0x81, 8), (0xC1, 14)])
def test_rx_trigger_levels(fcr: int, level: int) -> None:
    uart, _ = make()
    wr(uart, FCR, fcr)
    wr(uart, IER, 0x01)
    uart.receive(bytes(range(0x30, 0x30 + level - 1)))
    assert not uart.irq.level
    uart.receive(b"!")
    assert uart.irq.level and rd(uart, IIR) == 0xC4


def test_fifo_accepts_host_input_only_up_to_the_trigger_level() -> None:
    uart, _ = make()
    wr(uart, FCR, 0xC1)  # trigger 14
    data = bytes(range(65, 65 + 20))
    uart.receive(data)
    assert len(uart.rx) == 14 and uart.pending_input == 6
    got = bytearray()
    while rd(uart, LSR) & 0x01:
        got.append(rd(uart, RBR))
    assert bytes(got) == data
    assert rd(uart, RBR) == 0  # empty FIFO reads 0


def test_character_timeout_interrupt() -> None:
    clock = Clock()
    uart, _ = make(clock)
    wr(uart, FCR, 0x81)  # trigger 8
    wr(uart, IER, 0x01)
    uart.receive(b"k")
    assert not uart.irq.level
    deadline = uart.next_deadline()
    assert deadline == 4 * uart.char_time_ns
    clock.ns = deadline - 1
    uart.update()
    assert not uart.irq.level
    clock.ns = deadline
    uart.update()
    assert uart.irq.level and rd(uart, IIR) == 0xCC
    assert rd(uart, RBR) == ord("k")
    assert not uart.irq.level and rd(uart, IIR) == 0xC1


def test_timeout_without_clock_fires_on_next_update() -> None:
    uart, _ = make()
    wr(uart, FCR, 0xC1)
    wr(uart, IER, 0x01)
    uart.receive(b"a")
    uart.update()
    assert rd(uart, IIR) == 0xCC


def test_timeout_masked_by_ier_rdi() -> None:
    uart, _ = make()
    wr(uart, FCR, 0xC1)
    uart.receive(b"a")
    uart.update()
    assert not uart.irq.level
    wr(uart, IER, 0x01)
    assert rd(uart, IIR) == 0xCC


def test_character_time_follows_divisor_and_frame() -> None:
    uart, _ = make()
    assert uart.char_time_ns == (10**9 // 9600) * 10
    wr(uart, LCR, 0x80)
    wr(uart, DLL, 2)
    wr(uart, DLM, 0)
    wr(uart, LCR, 0x03)  # 8N1: 10 bits per character
    assert uart.char_time_ns == (10**9 // (399193 // 2)) * 10
    wr(uart, LCR, 0x0F)  # 8 data, parity, 2 stop: 12 bits
    assert uart.char_time_ns == (10**9 // (399193 // 2)) * 12


def test_fcr_rx_reset_flushes() -> None:
    uart, _ = make()
    wr(uart, FCR, 0xC1)
    uart.receive(b"abc")
    wr(uart, FCR, 0xC3)
    assert rd(uart, LSR) & 0x01 == 0 and len(uart.rx) == 0


def test_toggling_fifo_enable_flushes() -> None:
    uart, _ = make()
    wr(uart, FCR, 0xC1)
    uart.receive(b"abc")
    wr(uart, FCR, 0x00)
    assert rd(uart, LSR) == 0x60 and len(uart.rx) == 0


# -- loopback, modem status, reset ------------------------------------------------------

def test_loopback_routes_tx_to_rx_and_modem_lines() -> None:
    uart, out = make()
    wr(uart, MCR, 0x1F)
    assert rd(uart, MSR) == 0xF0  # OUT2/OUT1 -> DCD/RI, RTS -> CTS, DTR -> DSR
    wr(uart, MCR, 0x12)
    assert rd(uart, MSR) == 0x10
    wr(uart, THR, 0x55)
    assert out == []
    assert rd(uart, LSR) & 0x01 and rd(uart, RBR) == 0x55


def test_loopback_holds_host_input_back() -> None:
    uart, _ = make()
    wr(uart, MCR, 0x10)
    uart.receive(b"xy")
    assert rd(uart, RBR) == ord("x")
    assert uart.pending_input == 1  # no accept_input in loopback


def test_reset_restores_power_on_registers_but_keeps_fcr() -> None:
    uart, _ = make()
    wr(uart, FCR, 0xC1)
    wr(uart, IER, 0x0F)
    wr(uart, LCR, 0x1B)
    wr(uart, MCR, 0x03)
    wr(uart, SCR, 0x44)
    uart.receive(b"abc")
    uart.reset()
    assert [rd(uart, r) for r in range(1, 8)] == [0, 0x01, 0, 0x08, 0x60, 0xB0, 0]
    assert uart.fcr == 0xC1  # serial_reset leaves FCR alone, as QEMU does
    assert not uart.irq.level and len(uart.rx) == 0


def test_fdt_node() -> None:
    node = fdt_node(0x10000000, 0x100, 10, 3)
    assert node.name == "serial@10000000"
    assert list(node.props) == ["interrupts", "interrupt-parent", "clock-frequency", "reg",
                                "compatible"]
    assert node.get("clock-frequency") == bytes.fromhex("00384000")
    assert node.get("interrupts") == bytes.fromhex("0000000a")
    assert node.get("compatible") == b"ns16550a\0"
