"""Runs one guest on a Board with a chosen execution tier and captures everything the
guest or a debugger could observe, so the two tiers can be compared state for state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rvirt.board.virt import NATIVE_SLICE, Board, BoardConfig
from rvirt.exec.native import NativeTranslator
from rvirt.exec.translate import Translator

RAM = 16 << 20  # small, so the RAM digest is cheap; the programs live at its start


@dataclass(frozen=True)
class State:
    status: int | None  # exit status, None if the instruction budget ran out first
    pc: int
    priv: int
    x: tuple[int, ...]
    csrs: tuple[tuple[str, int | None], ...]
    instret: int
    ram: str  # digest
    console: bytes


# hot and warm counts no run reaches: blocks stay closure blocks
FOREVER = 1 << 40


def machine(elf: Path, accel: str, threshold: int = 1, ram: int = RAM, hot: int = 1
            ) -> Board:
    """A machine for elf on tier `accel`; with "tcg" or "native", blocks are translated
    after `threshold` executions (1: at first sight, so every block runs translated), and
    with "native" compiled to native code after `hot` entries of their Python block (1: at
    their second entry, so nearly all code runs native).  "closures" is the native tier
    with every block a closure block, as cold code runs there."""
    out = bytearray()
    board_accel = "native" if accel == "closures" else accel
    m = Board(BoardConfig(ram_size=ram, bios=str(elf), accel=board_accel),
                console=out.extend, notice=lambda msg: None)
    m.console_bytes = out  # type: ignore[attr-defined]
    if accel == "tcg":
        m.translator = Translator(m.hart, threshold=threshold)  # type: ignore[attr-defined]
    elif accel in ("native", "closures"):
        if accel == "closures":  # no block ever hot enough for the next tier
            tiers = {"hot": FOREVER, "warm": FOREVER - 1, "loop_hot": FOREVER}
        else:
            tiers = {"hot": hot, "warm": hot}
        m.translator = NativeTranslator(  # type: ignore[attr-defined]
            m.hart, threshold=threshold, **tiers)
        m.slice = NATIVE_SLICE  # as the machine's own native translator runs
    return m


def clint_readers(m: Board, budget: int) -> set[int | None]:
    """Run m to its exit (asserted) and return what executing_pc() told the CLINT at each
    of its reads: the pc a diagnostic would name for the access."""
    from rvirt.exec.blocks import executing_pc

    seen: set[int | None] = set()
    read = m.clint.read

    def watching(offset: int, size: int) -> int:
        seen.add(executing_pc())
        return read(offset, size)

    m.clint.read = watching  # type: ignore[method-assign]
    assert m.run(budget) == 0
    return seen


def snapshot(m: Board, status: int | None) -> State:
    h = m.hart
    csrs = tuple((name, h.csr_peek(num)) for num, name in m.csr_names().items())
    # RAM up to the device tree, whose rng-seed is random on every machine
    ram = hashlib.sha256(m.ram[:m.fdt_addr - h.ram_base]).hexdigest()
    return State(status, h.pc, h.priv, tuple(h.x[:32]), csrs, h.retired(), ram,
                 bytes(m.console_bytes))  # type: ignore[attr-defined]


def run(elf: Path, accel: str, max_instructions: int, threshold: int = 1, hot: int = 1
        ) -> tuple[State, Board]:
    m = machine(elf, accel, threshold, hot=hot)
    status = m.run(max_instructions)
    return snapshot(m, status), m


def diff(a: State, b: State) -> str:
    """What differs between two states, one line per field ('' when equal)."""
    lines = []
    for name in State.__dataclass_fields__:
        va, vb = getattr(a, name), getattr(b, name)
        if va == vb:
            continue
        if name == "x":
            lines += [f"x{i}: {p:#x} != {q:#x}" for i, (p, q) in enumerate(zip(va, vb,
                                                                              strict=True))
                      if p != q]
        elif name == "csrs":
            lines += [f"{n}: {p} != {q}" for (n, p), (_, q) in zip(va, vb, strict=True)
                      if p != q]
        else:
            lines.append(f"{name}: {va!r} != {vb!r}")
    return "\n".join(lines)


def assert_same(elf: Path, max_instructions: int, threshold: int = 1) -> tuple[State, Board]:
    """Run elf on the interpreter alone, on the Python block translator, on closure
    blocks and on the native tier; every observable must agree.  Returns the Python
    translator's state and machine."""
    ref, _ = run(elf, "interp", max_instructions)
    got, m = run(elf, "tcg", max_instructions, threshold)
    d = diff(ref, got)
    assert not d, f"{elf.name}: interpreter vs translator (threshold {threshold}):\n{d}"
    for tier in ("closures", "native"):
        other, _ = run(elf, tier, max_instructions, threshold)
        d = diff(ref, other)
        assert not d, f"{elf.name}: interpreter vs {tier} (threshold {threshold}):\n{d}"
    return got, m
