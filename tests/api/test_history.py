"""rvirt.debug.history's pieces without a CPU: device state() / set_state() round trips,
and the RAM page scan."""

from __future__ import annotations

import mmap
import pickle

from rvirt.debug import history
from rvirt.devices.clint import Clint
from rvirt.devices.plic import Plic
from rvirt.devices.uart16550 import Uart16550


def test_uart_with_fifo_round_trip() -> None:
    clock = [0]
    a = Uart16550(clock_ns=lambda: clock[0])
    a.write(2, 1, 0xC1)  # FIFO on, trigger level 14
    a.write(1, 1, 0x01)  # receive interrupt enabled
    a.receive(bytes(range(40, 60)))  # 16 in the FIFO, 4 waiting
    b = Uart16550(clock_ns=lambda: clock[0])
    b.set_state(pickle.loads(pickle.dumps(a.state())))
    assert b.state() == a.state() and b.irq.level == a.irq.level
    assert [b.read(0, 1) for _ in range(20)] == [a.read(0, 1) for _ in range(20)] == list(
        range(40, 60))


def test_plic_and_clint_round_trip() -> None:
    p = Plic()
    p.write(0x28, 4, 3)  # source 10 priority 3
    p.write(0x2000, 4, 1 << 10)
    p.set_source(10, True)
    q = Plic()
    q.set_state(p.state())
    assert q.meip.level and q.claim(0) == p.claim(0) == 10
    now = [1000]
    c = Clint(lambda: now[0])
    c.write(0x4000, 8, 5000)
    d = Clint(lambda: now[0])
    d.set_state(c.state())
    now[0] = 6000  # mtime started at 0 when the clock read 1000
    c.update()
    d.update()
    assert c.mtip_irq.level and d.mtip_irq.level and d.mtime() == c.mtime()


def test_nonzero_pages() -> None:
    ram = mmap.mmap(-1, 8 << 20)
    ram[5] = 1
    ram[(3 << 20) + 4095] = 2
    pages = history.nonzero_pages(ram)
    assert sorted(pages) == [0, (3 << 20) // 4096]
    assert pages[0][5] == 1 and pages[(3 << 20) // 4096][-1] == 2
