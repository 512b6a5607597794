"""Seeded random RV32IMAC (+ Zba, Zbb, Zbc, Zbs) instruction streams for the lock-step
tests.

`generate(seed)` returns the assembly text of a straight-line program: registers seeded
with interesting values, then a random mix of ALU, shift, upper-immediate, multiply and
divide (including division by zero and signed overflow), loads and stores (some
misaligned) over a data area, forward branches and jumps, AMOs, lr/sc pairs, Zicsr on
mscratch, compressed forms of all of these, fences, and instructions that trap: ecall,
ebreak, c.ebreak, illegal instructions, access faults, misaligned lr.w and AMOs.  A trap
handler at mtvec steps over the trapping instruction (2 or 4 bytes).  The program ends by
writing PASS to the test finisher.  The same seed always gives the same text.

Register roles: s0 (x8) points at the data area and sp (x2) 256 bytes into it; neither is
ever written after setup.  t5 and t6 (x30, x31) belong to the trap handler.  Every other
register, x0 included, may be a destination.
"""

from __future__ import annotations

import random
from collections.abc import Callable

DATA_BYTES = 512
SP_OFFSET = 256
FINISHER = 0x100000
PASS = 0x5555
UNMAPPED = 0x90000000

RESERVED = {0, 2, 8, 30, 31}
POOL = [r for r in range(32) if r not in RESERVED]      # written freely
C_POOL = [9, 10, 11, 12, 13, 14, 15]                     # 3-bit registers but s0
C_SOURCES = [8, *C_POOL]                                 # s0 may be read

INTERESTING = [0, 1, 2, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0xFFFF, 0x8000, 0xFFFF8000,
               0x55555555, 0xAAAAAAAA, 31, 32, 0xFFFFFFE0]

ALU_RR = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
MULDIV = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
ALU_IMM = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
SHIFT_IMM = ["slli", "srli", "srai"]
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
LOADS = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORES = {"sb": 1, "sh": 2, "sw": 4}
AMOS = ["amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w",
        "amomin.w", "amomax.w", "amominu.w", "amomaxu.w"]
ORDER = ["", ".aq", ".rl", ".aqrl"]
# Zba, Zbb, Zbc, Zbs (QEMU 7.2's default CPU has all four)
BITMANIP_RR = ["sh1add", "sh2add", "sh3add", "andn", "orn", "xnor", "max", "maxu", "min",
               "minu", "rol", "ror", "clmul", "clmulh", "clmulr", "bclr", "bext", "binv",
               "bset"]
BITMANIP_R = ["clz", "ctz", "cpop", "sext.b", "sext.h", "zext.h", "orc.b", "rev8"]
BITMANIP_IMM = ["rori", "bclri", "bexti", "binvi", "bseti"]
CSR_OPS = ["csrrw", "csrrs", "csrrc"]
CSR_IMM_OPS = ["csrrwi", "csrrsi", "csrrci"]


def x(r: int) -> str:
    return f"x{r}"


class _Stream:
    """Builds the body: a list of instruction groups, and labels that forward branches
    target a few groups ahead."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.groups: list[list[str]] = []
        self.labels: dict[int, list[str]] = {}
        self.traps = 0

    # --- helpers -----------------------------------------------------------------------
    def rd(self) -> int:
        return 0 if self.rng.random() < 0.04 else self.rng.choice(POOL)

    def rs(self) -> int:
        return self.rng.randrange(32)

    def forward_label(self, max_skip: int = 4) -> str:
        target = len(self.groups) + 1 + self.rng.randint(1, max_skip)
        name = f".Lf{len(self.groups)}"
        self.labels.setdefault(target, []).append(name)
        return name

    def emit(self, *lines: str) -> None:
        self.groups.append(list(lines))

    def emit_c(self, *lines: str) -> None:
        self.emit(".option push", ".option rvc", *lines, ".option pop")

    def data_address(self, size: int, misaligned: bool) -> tuple[str, int]:
        """(base register, offset) of a `size`-byte access inside the data area."""
        base, lo = (("s0", 0) if self.rng.random() < 0.5 else ("sp", -SP_OFFSET))
        hi = DATA_BYTES + lo - 4
        offset = self.rng.randrange(lo, hi, size)
        if misaligned and size > 1:
            offset += self.rng.randrange(1, size)
        return base, offset

    # --- instruction classes -------------------------------------------------------------
    def alu_rr(self) -> None:
        self.emit(f"{self.rng.choice(ALU_RR)} {x(self.rd())}, {x(self.rs())}, {x(self.rs())}")

    def alu_imm(self) -> None:
        imm = self.rng.choice([self.rng.randint(-2048, 2047), -1, 0, 2047, -2048])
        self.emit(f"{self.rng.choice(ALU_IMM)} {x(self.rd())}, {x(self.rs())}, {imm}")

    def shift_imm(self) -> None:
        shamt = self.rng.choice([0, 1, 31, self.rng.randint(0, 31)])
        self.emit(f"{self.rng.choice(SHIFT_IMM)} {x(self.rd())}, {x(self.rs())}, {shamt}")

    def bitmanip(self) -> None:
        kind = self.rng.randrange(3)
        if kind == 0:
            op = self.rng.choice(BITMANIP_RR)
            self.emit(f"{op} {x(self.rd())}, {x(self.rs())}, {x(self.rs())}")
        elif kind == 1:
            self.emit(f"{self.rng.choice(BITMANIP_R)} {x(self.rd())}, {x(self.rs())}")
        else:
            shamt = self.rng.choice([0, 1, 31, self.rng.randint(0, 31)])
            op = self.rng.choice(BITMANIP_IMM)
            self.emit(f"{op} {x(self.rd())}, {x(self.rs())}, {shamt}")

    def upper(self) -> None:
        op = self.rng.choice(["lui", "auipc"])
        self.emit(f"{op} {x(self.rd())}, {self.rng.randrange(1 << 20):#x}")

    def muldiv(self) -> None:
        op = self.rng.choice(MULDIV)
        choice = self.rng.random()
        if op in ("div", "rem") and choice < 0.15:       # signed overflow
            a, b = self.rng.sample(POOL, 2)
            self.emit(f"li {x(a)}, 0x80000000", f"li {x(b)}, -1",
                      f"{op} {x(self.rd())}, {x(a)}, {x(b)}")
        elif choice < 0.3:                               # division by zero
            self.emit(f"{op} {x(self.rd())}, {x(self.rs())}, x0")
        else:
            self.emit(f"{op} {x(self.rd())}, {x(self.rs())}, {x(self.rs())}")

    def load(self) -> None:
        op, size = self.rng.choice(list(LOADS.items()))
        base, off = self.data_address(size, misaligned=self.rng.random() < 0.15)
        self.emit(f"{op} {x(self.rd())}, {off}({base})")

    def store(self) -> None:
        op, size = self.rng.choice(list(STORES.items()))
        base, off = self.data_address(size, misaligned=self.rng.random() < 0.15)
        self.emit(f"{op} {x(self.rs())}, {off}({base})")

    def branch(self) -> None:
        op = self.rng.choice(BRANCHES)
        self.emit(f"{op} {x(self.rs())}, {x(self.rs())}, {self.forward_label()}")

    def jump(self) -> None:
        if self.rng.random() < 0.5:
            self.emit(f"jal {x(self.rd())}, {self.forward_label()}")
        else:
            t = self.rng.choice(POOL)
            self.emit(f"la {x(t)}, {self.forward_label()}", f"jalr {x(self.rd())}, 0({x(t)})")

    def amo(self) -> None:
        t = self.rng.choice(POOL)
        offset = self.rng.randrange(0, DATA_BYTES - 4, 4)
        op = self.rng.choice(AMOS) + self.rng.choice(ORDER)
        self.emit(f"addi {x(t)}, s0, {offset}", f"{op} {x(self.rd())}, {x(self.rs())}, ({x(t)})")

    def lrsc(self) -> None:
        t = self.rng.choice(POOL)
        others = [r for r in POOL if r != t]     # t must keep the address until the sc
        offset = self.rng.randrange(0, DATA_BYTES - 4, 4)
        lines = [f"addi {x(t)}, s0, {offset}"]
        if self.rng.random() < 0.8:
            lines.append(f"lr.w{self.rng.choice(ORDER)} {x(self.rng.choice(others))}, ({x(t)})")
            if self.rng.random() < 0.3:
                lines.append(f"add {x(self.rng.choice(others))}, {x(self.rs())}, {x(self.rs())}")
        status = self.rng.choice(others)
        lines.append(f"sc.w{self.rng.choice(ORDER)} {x(status)}, {x(self.rs())}, ({x(t)})")
        self.emit(*lines)

    def csr(self) -> None:
        if self.rng.random() < 0.5:
            op = self.rng.choice(CSR_OPS)
            self.emit(f"{op} {x(self.rd())}, mscratch, {x(self.rs())}")
        else:
            op = self.rng.choice(CSR_IMM_OPS)
            self.emit(f"{op} {x(self.rd())}, mscratch, {self.rng.randrange(32)}")

    def fence(self) -> None:
        self.emit(self.rng.choice(["fence", "fence rw, rw", "fence.tso", "fence.i",
                                   "fence r, w", "pause"]))

    def compressed(self) -> None:
        rng = self.rng
        cd = rng.choice(C_POOL)
        cs = rng.choice(C_SOURCES)
        nz = rng.choice([r for r in POOL if r != 0])
        nz_src = rng.randint(1, 31)
        imm6 = rng.randint(-32, 31)
        form = rng.randrange(20)
        if form == 0:
            self.emit_c(f"c.addi {x(nz)}, {imm6 or 1}")
        elif form == 1:
            self.emit_c(f"c.li {x(nz)}, {imm6}")
        elif form == 2:
            imm = rng.choice([1, 0x1F, 0xFFFE0, 0xFFFFF, rng.randint(1, 31)])
            self.emit_c(f"c.lui {x(nz)}, {imm:#x}")
        elif form == 3:
            self.emit_c(f"c.mv {x(nz)}, {x(nz_src)}")
        elif form == 4:
            self.emit_c(f"c.add {x(nz)}, {x(nz_src)}")
        elif form == 5:
            self.emit_c(f"{rng.choice(['c.sub', 'c.xor', 'c.or', 'c.and'])} {x(cd)}, {x(cs)}")
        elif form == 6:
            self.emit_c(f"c.slli {x(nz)}, {rng.randint(1, 31)}")
        elif form == 7:
            self.emit_c(f"{rng.choice(['c.srli', 'c.srai'])} {x(cd)}, {rng.randint(1, 31)}")
        elif form == 8:
            self.emit_c(f"c.andi {x(cd)}, {imm6}")
        elif form == 9:
            self.emit_c(f"c.lw {x(cd)}, {rng.randrange(0, 128, 4)}(s0)")
        elif form == 10:
            self.emit_c(f"c.sw {x(cs)}, {rng.randrange(0, 128, 4)}(s0)")
        elif form == 11:
            self.emit_c(f"c.lwsp {x(nz)}, {rng.randrange(0, 252, 4)}(sp)")
        elif form == 12:
            self.emit_c(f"c.swsp {x(rng.randrange(32))}, {rng.randrange(0, 252, 4)}(sp)")
        elif form == 13:
            self.emit_c(f"c.addi4spn {x(cd)}, sp, {rng.randrange(4, 1024, 4)}")
        elif form == 14:
            self.emit_c(f"{rng.choice(['c.beqz', 'c.bnez'])} {x(cs)}, {self.forward_label()}")
        elif form == 15:
            self.emit_c(f"c.j {self.forward_label()}")
        elif form == 16:
            self.emit_c(f"c.jal {self.forward_label()}")
        elif form == 17:
            t = rng.choice(POOL)
            op = rng.choice(["c.jr", "c.jalr"])
            self.emit(f"la {x(t)}, {self.forward_label()}", ".option push", ".option rvc",
                      f"{op} {x(t)}", ".option pop")
        elif form == 18:
            self.emit_c("c.nop")
        else:
            self.emit_c(f"c.addi {x(nz)}, {imm6 or -1}", f"c.mv {x(cd)}, {x(nz)}")

    def trap(self) -> None:
        self.traps += 1
        t = self.rng.choice(POOL)
        kind = self.rng.randrange(10)
        if kind == 0:
            self.emit("ecall")
        elif kind == 1:
            self.emit("ebreak")
        elif kind == 2:
            self.emit_c("c.ebreak")
        elif kind == 3:
            self.emit(".word 0xffffffff")                   # illegal
        elif kind == 4:
            self.emit(f"csrrs {x(self.rd())}, 0x7c0, x0")    # no such CSR
        elif kind == 5:
            self.emit(f"csrrw {x(self.rd())}, mhartid, {x(self.rs())}")  # read-only CSR
        elif kind == 6:
            self.emit(f"lui {x(t)}, {UNMAPPED >> 12:#x}", f"lw {x(self.rd())}, 4({x(t)})")
        elif kind == 7:
            self.emit(f"lui {x(t)}, {UNMAPPED >> 12:#x}", f"sh {x(self.rs())}, 2({x(t)})")
        elif kind == 8:
            self.emit(f"addi {x(t)}, s0, {self.rng.randrange(0, 64, 4) + 2}",
                      f"lr.w {x(self.rd())}, ({x(t)})")      # misaligned: cause 4
        else:
            self.emit(f"addi {x(t)}, s0, {self.rng.randrange(0, 64, 4) + 1}",
                      f"{self.rng.choice(AMOS)} {x(self.rd())}, {x(self.rs())}, ({x(t)})")


_WEIGHTED: list[tuple[Callable[[_Stream], None], int]] = [
    (_Stream.alu_rr, 14), (_Stream.alu_imm, 12), (_Stream.shift_imm, 5),
    (_Stream.upper, 3), (_Stream.muldiv, 10), (_Stream.load, 10), (_Stream.store, 8),
    (_Stream.branch, 6), (_Stream.jump, 2), (_Stream.amo, 5), (_Stream.lrsc, 3),
    (_Stream.csr, 2), (_Stream.fence, 1), (_Stream.compressed, 16), (_Stream.trap, 3),
    (_Stream.bitmanip, 8),
]


def generate(seed: int, length: int = 300) -> str:
    """Assembly source of random program number `seed` with `length` instruction groups."""
    rng = random.Random(seed)
    stream = _Stream(rng)
    kinds = [k for k, _ in _WEIGHTED]
    weights = [w for _, w in _WEIGHTED]
    for _ in range(length):
        rng.choices(kinds, weights)[0](stream)

    out = [f"# random instruction stream, seed {seed}: generated by tests/cpu/lockstep/randgen.py",
           "    .option norvc", "    .option norelax",
           '    .section .text.init, "ax"', "    .globl _start", "_start:",
           "    la t6, trap_handler", "    csrw mtvec, t6",
           "    la s0, rand_data", f"    addi sp, s0, {SP_OFFSET}"]
    for r in POOL:
        value = rng.choice([*INTERESTING, rng.randrange(1 << 32), rng.randint(-100, 100)])
        out.append(f"    li {x(r)}, {value & 0xFFFFFFFF:#x}")
    for i, group in enumerate(stream.groups):
        out += [f"{name}:" for name in stream.labels.get(i, [])]
        out += [f"    {line}" for line in group]
    for i in sorted(k for k in stream.labels if k >= len(stream.groups)):
        out += [f"{name}:" for name in stream.labels[i]]
    out += [f"    li t6, {FINISHER:#x}", f"    li t5, {PASS:#x}", "    sw t5, 0(t6)",
            "1:  j 1b",
            "",
            "# step over the trapping instruction: 4 bytes if its low bits are 11, else 2",
            "    .balign 4, 0",
            "trap_handler:",
            "    csrr t6, mepc", "    lhu t5, 0(t6)", "    andi t5, t5, 3",
            "    addi t6, t6, 2", "    addi t5, t5, -3", "    bnez t5, 2f",
            "    addi t6, t6, 2", "2:  csrw mepc, t6", "    mret",
            "",
            "    .data", "    .balign 16", "rand_data:"]
    words = [rng.choice([*INTERESTING, rng.randrange(1 << 32)]) for _ in range(DATA_BYTES // 4)]
    for i in range(0, len(words), 4):
        out.append("    .word " + ", ".join(f"{w:#010x}" for w in words[i:i + 4]))
    return "\n".join(out) + "\n"
