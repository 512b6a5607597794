"""SBI calls whose effect is on the hart or the machine rather than in a return value:
HSM stop and suspend (retentive, non-retentive), SRST, DBCN read and the legacy getchar
with console input.  Each call is made as the hart makes it (an ecall trap from S-mode
at a kernel address) on a machine booted by the built-in firmware."""

from __future__ import annotations

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.cpu import csr as C
from rvirt.cpu.trap import ECALL_S
from rvirt.errors import MachineExit, MachineReset
from rvirt.firmware.sbi import EXT_DBCN, EXT_HSM, EXT_SRST, EXT_TIME, PARK, STARTED, STOPPED
from tests.board import probe as P

pytestmark = pytest.mark.tools

PC = 0x80400100  # where the calls are made from (the probe's code)
BUF = 0x80500000  # a buffer in the kernel's RAM


@pytest.fixture()
def m() -> Board:
    board = Board(BoardConfig(ram_size=150 << 20, kernel=str(P.build()), accel="interp"),
                  console=lambda b: None)
    for _ in range(100):
        board.run(50)
        if board.hart.priv == C.PRV_S:
            return board
    raise AssertionError("the firmware did not start the kernel")


def until_s_mode(m: Board) -> None:
    """Run a parked hart one instruction at a time until it is back in S-mode."""
    for _ in range(1000):
        if m.hart.priv == C.PRV_S:
            return
        m.run(1)
    raise AssertionError("the hart stayed in the firmware")


def call(m: Board, ext: int, fid: int, *args: int) -> None:
    h = m.hart
    h.x[17], h.x[16] = ext, fid
    for i, v in enumerate(args):
        h.x[10 + i] = v & 0xFFFFFFFF
    h.pc = PC
    h.take_trap(ECALL_S, 0)


def test_retentive_suspend_returns_on_the_timer(m: Board) -> None:
    h = m.hart
    h.csr["mie"] |= C.STIP  # S-mode enabled its timer interrupt (sie.STIE), SIE off
    call(m, EXT_TIME, 0, m.mtime() + 1000, 0)
    call(m, EXT_HSM, 3, 0, 0, 0)  # hart_suspend(default retentive)
    assert (h.priv, h.pc) == (C.PRV_M, m.firmware.base + PARK)
    call_status = m.firmware.states[0].hsm
    assert call_status == 4  # SUSPENDED
    until_s_mode(m)
    # back after the ecall with SUCCESS, the timer's STIP pending for S-mode
    assert (h.priv, h.pc, h.x[10]) == (C.PRV_S, PC + 4, 0)
    assert h.read_mip() & C.STIP
    assert m.firmware.states[0].hsm == STARTED


def test_non_retentive_suspend_resumes_at_its_address(m: Board) -> None:
    h = m.hart
    h.csr["mie"] |= C.STIP
    call(m, EXT_TIME, 0, m.mtime() + 1000, 0)
    call(m, EXT_HSM, 3, 0x80000000, 0x80400200, 0x1234)
    assert h.priv == C.PRV_M
    until_s_mode(m)
    # resumed in S-mode at resume_addr with a0 = hart id, a1 = opaque, SIE and satp 0
    assert h.priv == C.PRV_S
    assert (h.x[10], h.x[11]) == (0, 0x1234)
    assert h.csr["satp"] == 0 and not h.csr["mstatus"] & C.MSTATUS_SIE
    assert h.pc == 0x80400200


def test_bad_suspend_types(m: Board) -> None:
    h = m.hart
    for kind, error in ((1, -3), (0x10000000, -2), (0x90000000, -2), (0x80000001, -3)):
        call(m, EXT_HSM, 3, kind, 0x80400200, 0)
        assert (h.priv, h.pc, h.x[10]) == (C.PRV_S, PC + 4, error & 0xFFFFFFFF)
    call(m, EXT_HSM, 3, 0x80000000, 0x80000100, 0)  # resume inside the firmware
    assert h.x[10] == -5 & 0xFFFFFFFF  # SBI_ERR_INVALID_ADDRESS


def test_hart_stop_parks_the_hart(m: Board) -> None:
    h = m.hart
    call(m, EXT_HSM, 1)
    assert (h.priv, h.pc) == (C.PRV_M, m.firmware.base + PARK)
    assert m.firmware.states[0].hsm == STOPPED
    assert m.run(10_000) is None and m.idle  # nothing will start it again


@pytest.mark.parametrize(("kind", "reason", "ends"), [
    (0, 0, MachineExit), (0, 1, MachineExit), (1, 0, MachineReset), (2, 1, MachineReset),
])
def test_srst_ends_the_machine_through_the_test_device(m: Board, kind: int, reason: int,
                                                       ends: type) -> None:
    with pytest.raises(ends) as e:
        call(m, EXT_SRST, 0, kind, reason)
    if ends is MachineExit:
        assert e.value.status == 0  # type: ignore[attr-defined]  # QEMU 7.2: FAIL code 0


def test_dbcn_read_and_legacy_getchar_take_console_input(m: Board) -> None:
    h = m.hart
    call(m, 0x02, 0)  # legacy getchar with nothing typed
    assert h.x[10] == 0xFFFFFFFF
    m.console_input(b"hey")
    call(m, 0x02, 0)
    assert h.x[10] == ord("h")
    call(m, EXT_DBCN, 1, 16, BUF, 0)  # console_read: what is there, at most 16
    assert (h.x[10], h.x[11]) == (0, 2)
    assert bytes(m.read_memory(BUF, 2) or b"") == b"ey"
    call(m, EXT_DBCN, 1, 16, 0x7FFFFFF0, 0)  # below RAM
    assert h.x[10] == -3 & 0xFFFFFFFF
    call(m, EXT_DBCN, 0, 0x100, 0x89600000 - 0x80, 0)  # running off the end of RAM
    assert h.x[10] == -3 & 0xFFFFFFFF
