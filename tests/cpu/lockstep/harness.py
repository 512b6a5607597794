"""Lock-step comparison of rvirt against QEMU 7.2 through their gdb stubs.

Both machines start paused at the reset vector (`-S -gdb tcp:127.0.0.1:PORT`, each on its
own port) with the same `-bios` program.  The harness single-steps both, one instruction
at a time, and after every step compares x0..x31 and pc (`g`).  It also compares, with
`p` packets (QEMU's numbering, 66 + CSR number):

* the CSR named by a Zicsr instruction, after that instruction;
* mcause, mepc, mtval and mstatus after an instruction that trapped, and mstatus after
  mret.

A difference is either one of the documented ones (known_differences.py), which is
recorded and copied from rvirt into QEMU, or a divergence: the run stops with a report
naming the step, the pc, the instruction and every differing register.

The run ends when the guest ends the machine through the test finisher (both must end
at the same step, with the same exit status) or after `max_steps`.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from tests.cpu.lockstep import rv32
from tests.cpu.lockstep.known_differences import (
    UNCOMPARABLE_CSRS,
    Observation,
    explain,
    reads_uncomparable_csr,
)
from tests.debug.gdbstub.rspclient import ConnectionClosed, RspClient, RspError
from tests.tooling import ROOT, free_port, need

MACHINE_ARGS = ("-machine", "virt", "-cpu", "rv32", "-m", "150M", "-nographic")
RESET_PC = 0x1000
QEMU = "qemu"
RVIRT = "rvirt"
# Stands for the instruction at an unreadable pc: a 16-bit all-zero word, which is no CSR
# access, AMO or control transfer.
NO_INSN = 0


class Divergence(AssertionError):
    """rvirt and QEMU disagree in a way no documented difference explains."""

    result: LockstepResult | None = None  # how far the run got


# Instructions compared between QEMU and rvirt in this test session, by run label
# (printed at the end of the session by tests/cpu/lockstep/conftest.py).
SESSION_TALLY: dict[str, int] = {}


def command_line(kind: str, elf: Path, port: int) -> list[str]:
    args = [*MACHINE_ARGS, "-bios", str(elf), "-S", "-gdb", f"tcp:127.0.0.1:{port}"]
    if kind == QEMU:
        return [need("qemu-system-riscv32"), *args]
    if kind == RVIRT:
        return [sys.executable, "-m", "rvirt", *args]
    raise ValueError(kind)


class Machine:
    """One emulator process, paused under its gdb stub."""

    def __init__(self, kind: str, elf: Path, workdir: Path) -> None:
        self.kind = kind
        self.log = workdir / f"{kind}.out"
        self.exit_status: int | None = None
        # free_port's port is free when it returns, not necessarily when the emulator
        # binds it (another process may take it in between): then both QEMU and rvirt
        # exit with "Failed to find an available port", and a new port is tried.
        for attempt in range(3):
            self.port = free_port()
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(command_line(kind, elf, self.port), cwd=ROOT,
                                             stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT)
            try:
                self.client = RspClient.connect(self.port,
                                                alive=lambda: self.proc.poll() is None)
                self.client.handshake()
                return
            except (OSError, RspError) as e:
                self.close()
                if attempt < 2 and "available port" in self.output():
                    continue
                raise Divergence(f"{kind}: no gdb stub on port {self.port} ({e}); "
                                 f"output: {self.output()!r}") from None

    def output(self) -> str:
        try:
            return self.log.read_text("latin-1")[-2000:]
        except OSError:
            return ""

    def step(self) -> bool:
        """Execute one instruction; False when the machine ended instead (exit_status)."""
        try:
            reply = self.client.step()
        except ConnectionClosed:
            reply = b""
        if reply[:1] in (b"T", b"S"):
            return True
        if reply[:1] not in (b"W", b"X", b""):
            raise Divergence(f"{self.kind}: unexpected reply to a step: {reply!r}")
        try:
            self.exit_status = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise Divergence(f"{self.kind}: the stub answered {reply!r} to a step but the "
                             "process did not exit") from None
        return False

    def registers(self) -> list[int]:
        return self.client.read_registers()[:33]

    def csr(self, csr: int) -> int | None:
        try:
            return self.client.read_register(rv32.CSR_REGNUM_BASE + csr)
        except RspError:
            return None

    def set_location(self, where: str, value: int) -> None:
        if where == "pc":
            regnum = rv32.PC
        elif where.startswith("x"):
            regnum = int(where[1:])
        else:
            regnum = rv32.CSR_REGNUM_BASE + rv32.csr_number(where)
        self.client.write_register(regnum, value)

    def fetch(self, pc: int) -> int | None:
        """The instruction at pc (16 or 32 bits) as this machine's memory holds it, or None
        when nothing is mapped there (the step will raise a fetch fault)."""
        for size in (4, 2):
            with contextlib.suppress(RspError):
                word = int.from_bytes(self.client.read_memory(pc, size), "little")
                return word if word & 3 == 3 else word & 0xFFFF
        return None

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


@dataclass
class Accepted:
    step: int
    pc: int
    where: str
    rule: str


@dataclass
class LockstepResult:
    label: str
    steps: int = 0                       # instructions executed and compared on both
    exit_status: int | None = None       # None: stopped after max_steps
    accepted: list[Accepted] = field(default_factory=list)
    traps: int = 0


def _disassemble(word: int, pc: int) -> str:
    try:
        from rvirt.isa.disasm import disassemble
        return disassemble(word, pc).replace("\t", " ")
    except Exception:  # the report must not fail because of the disassembler
        return "?"


def _hex(value: int | None) -> str:
    return "none" if value is None else f"{value:#010x}"


class Lockstep:
    """Step `reference` (QEMU) and `candidate` (rvirt) together and compare them."""

    def __init__(self, label: str, elf: Path, *, reference: str = QEMU,
                 candidate: str = RVIRT, candidate_elf: Path | None = None) -> None:
        self.label = label
        self.elfs = (elf, candidate_elf or elf)
        self.kinds = (reference, candidate)
        self.result = LockstepResult(label)
        self.history: deque[str] = deque(maxlen=8)
        self.code_cache: dict[int, int] = {}
        self.mtvec = 0

    def run(self, max_steps: int, *, expect_exit: bool = True) -> LockstepResult:
        with tempfile.TemporaryDirectory(prefix="lockstep-") as tmp:
            ref = cand = None
            try:
                ref = Machine(self.kinds[0], self.elfs[0], Path(tmp))
                cand = Machine(self.kinds[1], self.elfs[1], Path(tmp))
                self._run(ref, cand, max_steps)
            finally:
                for m in (cand, ref):
                    if m is not None:
                        m.close()
        if expect_exit and self.result.exit_status is None:
            raise Divergence(f"{self.label}: still running after {max_steps} steps "
                             f"(expected the program to end the machine)")
        return self.result

    # --- the loop ------------------------------------------------------------------------
    def _run(self, ref: Machine, cand: Machine, max_steps: int) -> None:
        r_regs, c_regs = ref.registers(), cand.registers()
        self._compare_registers(ref, cand, r_regs, c_regs, step=0, pc=r_regs[rv32.PC],
                                insn=0, trapped=False)
        self.mtvec = (ref.csr(rv32.MTVEC) or 0) & ~3
        for step in range(1, max_steps + 1):
            pc = r_regs[rv32.PC]
            insn = self._instruction(ref, pc)
            self.history.append(f"{step:6d}  {pc:08x}  {insn:0{8 if insn & 3 == 3 else 4}x}"
                                f"  {_disassemble(insn, pc)}")
            r_alive, c_alive = ref.step(), cand.step()
            if not (r_alive and c_alive):
                self._ended(ref, cand, step, pc, insn)
                return
            r_regs, c_regs = ref.registers(), cand.registers()
            new_pc = r_regs[rv32.PC]
            trapped = (new_pc == self.mtvec and new_pc != pc + rv32.insn_length(insn)
                       and not rv32.is_control_transfer(insn))
            self._compare_registers(ref, cand, r_regs, c_regs, step, pc, insn, trapped)
            self._compare_csrs(ref, cand, step, pc, insn, trapped)
            self.result.steps = step
            self.result.traps += trapped
            if rv32.is_fence_i(insn):
                self.code_cache.clear()

    def _instruction(self, ref: Machine, pc: int) -> int:
        """The instruction at pc; NO_INSN where no memory can be read."""
        word = self.code_cache.get(pc)
        if word is None:
            fetched = ref.fetch(pc)
            word = NO_INSN if fetched is None else fetched
            self.code_cache[pc] = word
        return word

    def _ended(self, ref: Machine, cand: Machine, step: int, pc: int, insn: int) -> None:
        statuses = (ref.exit_status, cand.exit_status)
        if None in statuses or statuses[0] != statuses[1]:
            names = [f"{m.kind}: " + ("still running" if m.exit_status is None
                                      else f"exited with status {m.exit_status}")
                     for m in (ref, cand)]
            self._diverge(step, pc, insn, [f"machine end: {'; '.join(names)}"], ref, cand)
        self.result.exit_status = statuses[0]

    def _compare_registers(self, ref: Machine, cand: Machine, r_regs: list[int],
                           c_regs: list[int], step: int, pc: int, insn: int,
                           trapped: bool) -> None:
        problems = []
        for i, (r, c) in enumerate(zip(r_regs, c_regs, strict=True)):
            if r != c:
                where = "pc" if i == rv32.PC else f"x{i}"
                problem = self._judge(ref, Observation(where, insn, trapped, r, c), step, pc)
                if problem:
                    problems.append(problem)
        if problems:
            self._diverge(step, pc, insn, problems, ref, cand)

    def _compare_csrs(self, ref: Machine, cand: Machine, step: int, pc: int, insn: int,
                      trapped: bool) -> None:
        csrs: list[int] = []
        if trapped:
            csrs += rv32.TRAP_CSRS
        elif insn == rv32.MRET:
            csrs.append(rv32.MSTATUS)
        else:
            access = rv32.csr_access(insn)
            if access is not None and access.csr not in UNCOMPARABLE_CSRS:
                csrs.append(access.csr)
        problems = []
        for csr in csrs:
            r, c = ref.csr(csr), cand.csr(csr)
            if r != c:
                obs = Observation(rv32.csr_name(csr), insn, trapped, r, c)
                problem = self._judge(ref, obs, step, pc)
                if problem:
                    problems.append(problem)
            if csr == rv32.MTVEC:
                self.mtvec = (c if c is not None else 0) & ~3
        if problems:
            self._diverge(step, pc, insn, problems, ref, cand)

    def _judge(self, ref: Machine, obs: Observation, step: int, pc: int) -> str | None:
        """None if the difference is accepted (and copied into the reference), else a
        line for the report."""
        if reads_uncomparable_csr(obs):
            rule = "counter CSR (not comparable)"
        else:
            known = explain(obs)
            if known is None:
                return (f"{rv32.location_name(obs.where)}: {self.kinds[0]} {_hex(obs.reference)}"
                        f"  {self.kinds[1]} {_hex(obs.candidate)}")
            rule = known.name
        if obs.candidate is not None:
            ref.set_location(obs.where, obs.candidate)
        self.result.accepted.append(Accepted(step, pc, obs.where, rule))
        return None

    def _diverge(self, step: int, pc: int, insn: int, problems: list[str], ref: Machine,
                 cand: Machine) -> None:
        lines = [f"{self.label}: lock-step divergence at step {step}",
                 f"  after {pc:08x}: {insn:0{8 if insn & 3 == 3 else 4}x}"
                 f"  {_disassemble(insn, pc)}"]
        lines += [f"  {p}" for p in problems]
        for m in (ref, cand):
            if m.exit_status is None and m.proc.poll() is None:
                with contextlib.suppress(RspError, OSError):
                    trap = ", ".join(f"{rv32.csr_name(c)}={_hex(m.csr(c))}"
                                     for c in rv32.TRAP_CSRS)
                    lines.append(f"  {m.kind} trap CSRs: {trap}")
        lines.append("  last instructions (step, pc, encoding, rvirt's disassembly):")
        lines += [f"    {h}" for h in self.history]
        for m in (ref, cand):
            out = m.output().strip()
            if out:
                lines.append(f"  {m.kind} output: {out[-500:]!r}")
        raise Divergence("\n".join(lines))


def lockstep(label: str, elf: Path, max_steps: int, *, expect_exit: bool = True,
             reference: str = QEMU, candidate: str = RVIRT,
             candidate_elf: Path | None = None) -> LockstepResult:
    """Run `elf` on both machines in lock-step (`candidate_elf` on the candidate, when
    given: the harness's own tests use it to provoke a divergence) and return what
    happened; raise Divergence on a difference."""
    runner = Lockstep(label, elf, reference=reference, candidate=candidate,
                      candidate_elf=candidate_elf)
    try:
        return runner.run(max_steps, expect_exit=expect_exit)
    except Divergence as e:
        e.result = runner.result
        raise
    finally:
        if (reference, candidate) == (QEMU, RVIRT):
            SESSION_TALLY[label] = runner.result.steps
