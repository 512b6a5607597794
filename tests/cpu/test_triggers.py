"""Debug triggers (rvirt/cpu/triggers.py) at the unit level: WARL writes of tdata1, the
CSR plumbing, the match checks, and that the block translator steps aside while any
trigger is armed.  tests/cpu/priv/triggers.S compares the whole behaviour with QEMU 7.2."""

from __future__ import annotations

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.cpu import csr as C
from rvirt.cpu.hart import Hart
from rvirt.cpu.trap import BREAKPOINT, Trap
from rvirt.cpu.triggers import RESET_TDATA1, validate
from rvirt.exec.translate import Translator
from tests.tooling import assemble

TSELECT, TDATA1, TDATA2, TDATA3, TINFO = range(0x7A0, 0x7A5)
DATA = 0x80001000

PROG = """
    .section .text.init
    .globl _start
_start:
    j _start
"""


@pytest.fixture
def hart() -> Hart:
    elf = assemble(PROG, "triggers_unit")
    m = Board(BoardConfig(ram_size=16 << 20, bios=str(elf)), console=lambda b: None)
    return m.hart


def arm(h: Hart, n: int, addr: int, ctl: int) -> None:
    h.csr_swap(TSELECT, n, False)
    h.csr_swap(TDATA2, addr, False)
    h.csr_swap(TDATA1, ctl, False)


@pytest.mark.parametrize(("written", "kept"), [
    (0xFFFFFFFF, None),              # type 15: ignored
    (0x2FFFFFFF, 0x2003005F),        # type 2: modes, accesses, sizelo
    (0x2807FFBF, 0x2003001F),        # dmode, match, chain, action, timing, bit 5 dropped
    (0x3000005F, None),              # type 3: ignored
    (0x00000000, None),              # type 0: ignored
    (0x6FFFFFFF, 0x6180005F),        # type 6: vs/vu kept, size 15 unsupported
    (0x6005005F, 0x6005005F),        # type 6: size 5 (8 bytes) kept
    (0x1000005F, None),              # type 1: QEMU 7.2 aborts; rvirt ignores
])
def test_tdata1_warl(written: int, kept: int | None) -> None:
    assert validate(written) == kept


def test_csrs_reset_and_select(hart: Hart) -> None:
    h = hart
    assert [h.csr_set(n, 0, False) for n in (TSELECT, TDATA1, TDATA2, TDATA3, TINFO)] == [
        0, RESET_TDATA1, 0, 0, 0x44]
    h.csr_swap(TSELECT, 1, False)
    h.csr_swap(TSELECT, 2, False)  # out of range: kept
    assert h.csr_set(TSELECT, 0, False) == 1
    h.csr_swap(TDATA2, 0x1234, False)
    h.csr_swap(TDATA3, 0xFFFFFFFF, False)
    assert h.csr_set(TDATA3, 0, False) == 0
    h.csr_swap(TSELECT, 0, False)
    assert h.csr_set(TDATA2, 0, False) == 0
    h.priv = C.PRV_S
    with pytest.raises(Trap):
        h.csr_set(TDATA1, 0, False)  # M-mode CSRs


def test_load_store_match_before_access(hart: Hart) -> None:
    h = hart
    tcg = Translator(h)
    assert tcg.physical()
    h.sw(DATA, 0x11111111)
    arm(h, 1, DATA, 0x20000000 | 0x40 | 0x3)  # M, load and store, 4 bytes
    assert not tcg.physical()
    for access in (lambda: h.lw(DATA), lambda: h.lb(DATA + 3), lambda: h.sw(DATA, 5),
                   lambda: h.amo_load(DATA), lambda: h.lr_w(DATA)):
        with pytest.raises(Trap) as e:
            access()
        assert (e.value.cause, e.value.tval) == (BREAKPOINT, 0)
    assert h.lb(DATA + 4) == 0 and h.lh(DATA - 2) == 0  # no overlap
    h.csr_swap(TDATA1, 0x20000000, False)  # disarmed
    assert tcg.physical()
    assert h.lw(DATA) == 0x11111111  # the store never happened


def test_privilege_bits(hart: Hart) -> None:
    h = hart
    arm(h, 0, DATA, 0x20000000 | 0x08 | 0x1)  # U only
    assert h.lw(DATA) == 0  # M: no match (MPRV would not change that: QEMU uses priv)
    h.priv = C.PRV_U
    with pytest.raises(Trap):
        h.lw(DATA)


def test_execute_match_and_reset(hart: Hart) -> None:
    h = hart
    limit = h.fetch_limit
    arm(h, 0, 0x80000000, 0x20000000 | 0x40 | 0x4)  # M, execute
    assert h.fetch_limit == 0
    with pytest.raises(Trap) as e:
        h.fetch_slow(0x80000000)
    assert e.value.cause == BREAKPOINT
    assert h.fetch_slow(0x80000004) is not None
    h.reset()
    assert h.fetch_limit == limit and h.csr_set(TDATA1, 0, False) == RESET_TDATA1
