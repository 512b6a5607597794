"""The lock-step harness itself: the acceptance table takes exactly the documented
differences, and real divergences (a register, an early end, a different exit status)
are caught and reported.  These runs put QEMU on both sides, so they need no rvirt."""

from __future__ import annotations

import pytest

from tests.cpu.lockstep.harness import QEMU, Divergence, lockstep
from tests.cpu.lockstep.known_differences import Observation, explain, reads_uncomparable_csr
from tests.isa import corpus
from tests.tooling import assemble

CSRR_A0_MISA = 0x30102573        # csrrs a0, misa, zero
CSRW_MEPC_A1 = 0x34159073        # csrrw zero, mepc, a1
AMOADD = 0x00C525AF              # amoadd.w a1, a2, (a0)
LR_W = 0x100525AF                # lr.w a1, (a0)
ADD = 0x00B50533                 # add a0, a0, a1
ECALL = 0x00000073
CSRR_A0_MCYCLE = 0xB0002573      # csrrs a0, mcycle, zero
CSRR_A0_MSCRATCH = 0x34002573    # csrrs a0, mscratch, zero

MISA_QEMU, MISA_RVIRT = 0x401411AD, 0x40141105

ACCEPTANCE = [
    # (observation, the rule that accepts it or None)
    (Observation("x10", CSRR_A0_MISA, False, MISA_QEMU, MISA_RVIRT), "misa"),
    (Observation("misa", CSRR_A0_MISA, False, MISA_QEMU, MISA_RVIRT), "misa"),
    (Observation("x11", CSRR_A0_MISA, False, MISA_QEMU, MISA_RVIRT), None),
    (Observation("x10", CSRR_A0_MISA, False, MISA_QEMU, 0x40141101), None),
    (Observation("x10", ADD, False, MISA_QEMU, MISA_RVIRT), None),
    (Observation("mepc", CSRW_MEPC_A1, False, 0x80000003, 0x80000002), "mepc bit 0"),
    (Observation("mepc", CSRW_MEPC_A1, False, 0x80000002, 0x80000000), None),
    (Observation("mepc", CSRW_MEPC_A1, False, 0x80000004, 0x80000008), None),
    (Observation("mepc", ECALL, True, 0x80000003, 0x80000002), None),
    (Observation("mcause", AMOADD, True, 4, 6), "misaligned AMO cause"),
    (Observation("mcause", AMOADD, False, 4, 6), None),
    (Observation("mcause", LR_W, True, 4, 6), None),
    (Observation("mcause", AMOADD, True, 5, 7), None),   # AMO access fault: not listed
    (Observation("mtval", AMOADD, True, 4, 6), None),
    (Observation("pc", ADD, False, 0x80000000, 0x80000004), None),
    (Observation("x10", CSRR_A0_MCYCLE, False, 123456789, 42), None),  # counters: not a
]                                                                       # known difference


@pytest.mark.parametrize(("obs", "rule"), ACCEPTANCE)
def test_acceptance_table(obs: Observation, rule: str | None) -> None:
    known = explain(obs)
    assert (known.name if known else None) == rule


def test_counter_reads_are_not_compared() -> None:
    assert reads_uncomparable_csr(Observation("x10", CSRR_A0_MCYCLE, False, 1, 2))
    assert not reads_uncomparable_csr(Observation("x11", CSRR_A0_MCYCLE, False, 1, 2))
    assert not reads_uncomparable_csr(Observation("x10", CSRR_A0_MCYCLE, True, 1, 2))
    assert not reads_uncomparable_csr(Observation("x10", CSRR_A0_MSCRATCH, False, 1, 2))


def _program(name: str, body: str) -> str:
    return (f"# {name}\n    .option norvc\n    .globl _start\n_start:\n"
            "    li t0, 0x100000\n    li t1, 0x5555\n    li t2, 0x33333\n" + body
            + "1:  j 1b\n")


@pytest.mark.tools
def test_qemu_against_itself_agrees() -> None:
    """Two QEMUs agree step for step, counters included (they are copied, not compared),
    and both report the exit status of the finisher write (a failing program: 1)."""
    result = lockstep("self/zicsr_counters", corpus.build("zicsr_counters"), 5000,
                      candidate=QEMU)
    assert result.exit_status == 0 and result.steps > 50
    assert {a.rule for a in result.accepted} == {"counter CSR (not comparable)"}
    failing = lockstep("self/misaligned_amo", corpus.build("rv32a_misaligned_amo"), 5000,
                       candidate=QEMU)
    assert failing.exit_status == 1 and failing.traps >= 1 and not failing.accepted


@pytest.mark.tools
def test_register_divergence_is_reported() -> None:
    a = assemble(_program("a", "    li a0, 1\n    li a1, 2\n    sw t1, 0(t0)\n"), "harness_a")
    b = assemble(_program("b", "    li a0, 1\n    li a1, 3\n    sw t1, 0(t0)\n"), "harness_b")
    with pytest.raises(Divergence) as info:
        lockstep("self/register", a, 100, candidate=QEMU, candidate_elf=b)
    message = str(info.value)
    # 6 ROM instructions, li t0 (lui), li t1 and li t2 (lui+addi each), li a0: the
    # 13th instruction, li a1, makes the difference
    assert "divergence at step 13" in message
    assert "x11 (a1): qemu 0x00000002  qemu 0x00000003" in message
    assert info.value.result is not None and info.value.result.steps == 12


@pytest.mark.tools
def test_early_end_is_reported() -> None:
    a = assemble(_program("a", "    nop\n    sw t1, 0(t0)\n"), "harness_end_a")
    b = assemble(_program("b", "    sw t1, 0(t0)\n    nop\n"), "harness_end_b")
    with pytest.raises(Divergence, match=r"machine end: qemu: still running; qemu: exited "
                                         r"with status 0"):
        lockstep("self/end", a, 100, candidate=QEMU, candidate_elf=b)


@pytest.mark.tools
def test_exit_status_difference_is_reported() -> None:
    a = assemble(_program("a", "    sw t1, 0(t0)\n"), "harness_status_a")
    b = assemble(_program("b", "    sw t2, 0(t0)\n"), "harness_status_b")
    with pytest.raises(Divergence, match=r"exited with status 0; qemu: exited with status 3"):
        lockstep("self/status", a, 100, candidate=QEMU, candidate_elf=b)


@pytest.mark.tools
def test_a_port_taken_before_the_emulator_binds_it_is_replaced(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """free_port's port can be taken by someone else before QEMU binds it; the harness
    then starts QEMU again on another port instead of failing the run."""
    import socket

    from tests.cpu.lockstep import harness
    from tests.tooling import free_port

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))  # bound, not listening: QEMU's bind fails, connects too
    ports = iter([busy.getsockname()[1]])
    monkeypatch.setattr(harness, "free_port", lambda: next(ports, None) or free_port())
    try:
        result = lockstep("self/port", corpus.build("zicsr_counters"), 200, candidate=QEMU)
    finally:
        busy.close()
    assert result.steps > 50
