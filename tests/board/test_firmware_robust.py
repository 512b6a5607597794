"""The guest is not trusted: any SBI call, with any arguments, returns (or stops the
hart, or ends the machine as SRST asks) and never raises into the host or hangs it."""

from __future__ import annotations

import random

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.cpu import csr as C
from rvirt.cpu.trap import ECALL_S
from rvirt.errors import MachineExit, MachineReset
from rvirt.firmware.sbi import EXT_NAMES, PARK
from tests.board import probe as P

pytestmark = pytest.mark.tools

VALUES = (0, 1, 2, 7, 0xFF, 0x1000, 0x80000000, 0x8003FFFC, 0x80400000, 0x895FFFFF,
          0x89600000, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFFFFFF, 0x10000000, 0x02004000)


def booted(m: Board) -> None:
    """Run the probe until it makes its first SBI call from S-mode."""
    m.reset()
    h = m.hart
    for _ in range(100):
        m.run(50)
        if h.priv == C.PRV_S:
            return
    raise AssertionError("the firmware did not start the kernel")


def test_random_sbi_calls_never_break_the_host() -> None:
    rng = random.Random(18)
    m = Board(BoardConfig(ram_size=150 << 20, kernel=str(P.build()), accel="interp"),
              console=lambda b: None)
    booted(m)
    h = m.hart
    exts = [*EXT_NAMES, 0x12345678, 0x504D55]
    for _ in range(3000):
        h.x[17] = rng.choice(exts) if rng.random() < 0.9 else rng.getrandbits(32)
        h.x[16] = rng.randrange(12) if rng.random() < 0.9 else rng.getrandbits(32)
        for r in range(10, 16):
            h.x[r] = rng.choice(VALUES) if rng.random() < 0.8 else rng.getrandbits(32)
        if rng.random() < 0.1:  # now and then with Sv32 on (legacy masks by pointer)
            h.csr_poke(0x180, 1 << 31 | rng.getrandbits(10))
        pc = h.pc = 0x80400100
        try:
            h.take_trap(ECALL_S, 0)
        except (MachineExit, MachineReset):
            booted(m)
            continue
        fw = m.firmware
        assert fw is not None
        if h.priv == C.PRV_M:  # stopped or suspended: parked in the firmware
            assert h.pc == fw.base + PARK
            booted(m)
            continue
        assert h.priv == C.PRV_S and h.pc == pc + 4
        h.csr_poke(0x180, 0)
