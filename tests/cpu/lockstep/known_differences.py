"""The documented differences between rvirt and QEMU 7.2 that the lock-step harness
accepts, and nothing else (docs/differences.md; shared/ref/virt-rv32.md section 9).

Each entry says exactly where the difference may show up: which register or CSR, after
which kind of instruction, with which value on each side.  Any other difference fails the
run.  When a difference is accepted, the harness copies rvirt's value into QEMU, so the
two machines continue from the same state: a documented difference is seen once, where it
arises, and cannot hide a later one.

Separately, a few CSRs have values that are not comparable at all (QEMU without -icount
derives them from host time): UNCOMPARABLE_CSRS.  Reads of them are copied, not compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.cpu.lockstep.rv32 import CSR_NAMES, csr_access, is_amo

# CSR numbers
MISA = 0x301
MEPC = 0x341
MCAUSE = 0x342

CAUSE_MISALIGNED_LOAD = 4
CAUSE_MISALIGNED_STORE = 6


@dataclass(frozen=True)
class Observation:
    """One value that differs after a step.

    where:     "pc", "x0".."x31", or a CSR name ("mcause")
    insn:      the instruction just executed (as fetched from QEMU's memory)
    trapped:   that instruction raised an exception (QEMU went to mtvec)
    reference: QEMU's value (None: QEMU has no such register)
    candidate: rvirt's value
    """

    where: str
    insn: int
    trapped: bool
    reference: int | None
    candidate: int | None


@dataclass(frozen=True)
class KnownDifference:
    name: str
    qemu: str
    rvirt: str
    matches: Callable[[Observation], bool]


def _reads_csr_into(obs: Observation, csr: int) -> bool:
    """obs is that CSR, or the rd of a CSR instruction on it, right after the instruction."""
    access = csr_access(obs.insn)
    if access is None or access.csr != csr or obs.trapped:
        return False
    return obs.where == CSR_NAMES[csr] or (access.rd != 0 and obs.where == f"x{access.rd}")


def _misa(obs: Observation) -> bool:
    return (_reads_csr_into(obs, MISA)
            and (obs.reference, obs.candidate) == (0x401411AD, 0x40141105))


def _mepc_bit0(obs: Observation) -> bool:
    return (_reads_csr_into(obs, MEPC) and obs.reference is not None
            and obs.reference & 1 == 1 and obs.candidate == obs.reference & ~1)


def _misaligned_amo(obs: Observation) -> bool:
    return (obs.where == CSR_NAMES[MCAUSE] and obs.trapped and is_amo(obs.insn)
            and (obs.reference, obs.candidate) == (CAUSE_MISALIGNED_LOAD,
                                                   CAUSE_MISALIGNED_STORE))


KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference(
        "misaligned AMO cause",
        qemu="load address misaligned (mcause 4): 7.2 expands the AMO as load-op-store",
        rvirt="store/AMO address misaligned (mcause 6), as the A extension specifies",
        matches=_misaligned_amo),
    KnownDifference(
        "mepc bit 0",
        qemu="keeps bit 0 of a value written to mepc",
        rvirt="mepc[0] is always 0 (IALIGN = 16), as the privileged spec specifies",
        matches=_mepc_bit0),
    KnownDifference(
        "misa",
        qemu="0x401411ad: -cpu rv32 has A C D F H I M S U",
        rvirt="0x40141105: A C I M S U, the extensions rvirt implements",
        matches=_misa),
)

# Counters: cycle, time, instret, their high halves, mcycle, minstret and high halves.
UNCOMPARABLE_CSRS = frozenset({0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82,
                               0xB00, 0xB02, 0xB80, 0xB82})


def explain(obs: Observation) -> KnownDifference | None:
    """The documented difference that accounts for `obs`, if any."""
    for known in KNOWN_DIFFERENCES:
        if known.matches(obs):
            return known
    return None


def reads_uncomparable_csr(obs: Observation) -> bool:
    """obs is the destination register of a read of a counter CSR."""
    access = csr_access(obs.insn)
    return (access is not None and not obs.trapped and access.csr in UNCOMPARABLE_CSRS
            and obs.where == f"x{access.rd}")
