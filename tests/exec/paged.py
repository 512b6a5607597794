"""Guest programs that run code in S- or U-mode with Sv32 paging and PMP on, for comparing
the interpreter with the block translator (test_differential_paging.py).

`random_program` wraps one of randgen's random bodies: M-mode setup code opens PMP (or
sets up checking entries), builds Sv32 page tables, delegates some exceptions, writes
satp and mrets into the body at a virtual address.  The body ends with an `ecall` that the
M-mode handler recognises by its virtual address (randgen's own random ecalls are stepped
over like any other trap).  A `Layout` says how memory is mapped; each field exists to
reach a different path of the privileged spec:

* Sv32 (priv spec 4.3): code and data at a virtual alias of their physical pages (4 KiB
  leaves under a second-level table), identity 4 KiB pages, or one 4 MiB megapage (4.3.1:
  leaf PTEs at level 1); A and D preset, clear (the walk sets them, 4.3.2 step 7, and
  both tiers must leave the same bits in RAM) or mixed.
* The data area straddles two pages; the second may be read-only, execute-only (MXR,
  3.1.6.3), unmapped or of the wrong U-ness (SUM, 4.3.2 step 5), so random loads, stores,
  AMOs and misaligned accesses across the boundary page-fault.  randgen's "unmapped"
  address 0x90000000 may be unmapped (page fault), mapped to nothing (access fault after
  the walk) or mapped read-only / read-write to a scratch page.
* PMP (3.7): all memory RWX in one entry (what QEMU needs before an mret to S/U), RAM
  only, or a NAPOT / TOR entry over the second data page with fewer permissions, so PMP
  checks are live (access faults; the walk's PTE reads are checked too, 3.7.1).
* Traps: the M-mode handler steps over the trapping instruction; it reads the
  instruction's low bits either through MPRV (3.1.6.3: a load translated and checked at
  MPP's privilege, like the body's fetch) or at the physical address it computes.
  Some examples delegate exceptions (medeleg) to an S-mode handler that does the same with
  sepc/sret, reading the instruction at its virtual address (SUM for a U-mode body).

`two_spaces_program`, `remap_program` and `smc_program` are fixed programs for the
address-space questions of a translator: the same virtual code address backed by
different physical code under two satp values; S-mode rewriting a live PTE then
sfence.vma (4.2.1), and writing satp itself; code rewritten through a second virtual
mapping of its page and at its physical address.

`assert_same` runs a program on both tiers like harness.assert_same, with a translator
that counts the blocks it made while the hart was below M-mode (`below_m`), so a test can
tell that S/U code really ran translated rather than deferred to the interpreter.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rvirt.board.virt import Board
from rvirt.cpu.hart import Hart
from rvirt.cpu.pmp import PMP_R, PMP_W, PMP_X
from rvirt.exec.translate import THRESHOLD, Space, Translator
from tests.cpu.lockstep import randgen
from tests.exec import harness

# Sv32 PTE bits (priv spec 4.3.1), satp.MODE (4.1.11), mstatus bits (3.1.6)
V, R, W, X, U, G, A, D = (1 << i for i in range(8))
SATP_SV32 = 1 << 31
MPP_S = 1 << 11
MPRV, SUM, MXR = 1 << 17, 1 << 18, 1 << 19
PRV_U, PRV_S, PRV_M = 0, 1, 3
DRAM = 0x80000000
HOLE = randgen.UNMAPPED  # randgen's faulting loads and stores go to this page
FINISHER, PASS, FAIL = randgen.FINISHER, randgen.PASS, 0x3333
ECALL_FROM = {"U": 8, "S": 9}
# Exceptions an S-mode handler may take (never the ecalls: the end marker goes to M).
DELEGABLE = (2, 3, 4, 5, 6, 7, 13, 15)
BUDGET = 2_000_000


@dataclass(frozen=True)
class Layout:
    """How one random program maps its memory and handles its traps (module docstring)."""

    mode: str = "S"  # privilege of the body: "S" or "U"
    mapping: str = "alias"  # alias | identity (4 KiB pages) | megapage | bare (satp = 0)
    va_base: int = 0x40000000  # virtual address of physical DRAM (4 MiB aligned); a
    # megapage at DRAM is the identity megapage
    ad: str = "preset"  # A/D bits of leaves: preset | clear | mixed
    data2: str = "rw"  # the data area's second page: rw | ro | none | xonly | wrong_u
    hole: str = "none"  # VA 0x90000000: none | bus | ro | rw
    pmp: str = "open"  # open | ram | napot | tor
    guard: int = 1  # PMP permissions (PMP_R...) of the second data page, pmp napot/tor
    mxr: bool = False
    sum: bool = False
    user_data: bool = False  # S-mode body whose data pages are U pages (needs SUM)
    code_xonly: bool = False  # code pages X without R (reading them needs MXR)
    read: str = "mprv"  # how the M handler reads the instruction: mprv | phys
    deleg: int = 0  # medeleg
    pad: int = 0  # bytes before the entry point in the first code page
    asid: int = 0
    ad_seed: int = 0

    def normalized(self) -> Layout:
        """The nearest consistent layout: drop combinations that cannot work (the S
        handler cannot execute from a U megapage, an execute-only code page is unreadable
        to the handlers without MXR) or that mean nothing (no pages without paging)."""
        lay = self
        if lay.mapping == "bare":
            lay = replace(lay, va_base=DRAM, data2="rw", hole="none", code_xonly=False,
                          user_data=False)
        elif lay.mapping == "identity":
            lay = replace(lay, va_base=DRAM)
        elif lay.mapping == "alias" and lay.va_base == DRAM:
            lay = replace(lay, va_base=0x40000000)
        if lay.mapping == "megapage":
            lay = replace(lay, data2="rw", code_xonly=False, user_data=False)
            if lay.mode == "U":
                lay = replace(lay, deleg=0)
        if lay.mode == "U":
            lay = replace(lay, user_data=False)
            if lay.deleg:
                lay = replace(lay, sum=True)  # the S handler reads U code pages
        if lay.user_data:
            lay = replace(lay, sum=True)
        if lay.code_xonly and not lay.mxr and (lay.read == "mprv" or lay.deleg):
            lay = replace(lay, code_xonly=False)
        return replace(lay, deleg=lay.deleg & sum(1 << c for c in DELEGABLE))

    @property
    def delta(self) -> int:
        """Virtual minus physical address (mod 2**32) of everything the body touches."""
        return (self.va_base - DRAM) & 0xFFFFFFFF if self.mapping != "bare" else 0

    @property
    def paged(self) -> bool:
        return self.mapping != "bare"


def draw_layout(seed: int | str) -> Layout:
    """Layout number `seed`: every field uniformly from its choices (mostly aliased 4 KiB
    pages), then normalized.  Drawn from one seed rather than field by field through
    Hypothesis, whose bias towards small values and each strategy's first choice would
    leave megapages, U-mode or delegation to a handful of the examples; the tests seed
    it with everything Hypothesis drew (str seeds hash the same on every run)."""
    rng = random.Random(seed)
    return Layout(
        mode=rng.choice(["S", "U"]),
        mapping=rng.choice(["alias", "alias", "identity", "megapage", "bare"]),
        va_base=rng.choice([0x40000000, 0xC0000000, 0x00400000, DRAM]),  # DRAM: identity
        ad=rng.choice(["preset", "clear", "mixed"]),
        data2=rng.choice(["rw", "ro", "none", "xonly", "wrong_u"]),
        hole=rng.choice(["none", "bus", "ro", "rw"]),
        pmp=rng.choice(["open", "open", "ram", "napot", "tor"]),
        guard=rng.choice([0, PMP_R, PMP_R | PMP_X, PMP_R | PMP_W | PMP_X]),
        mxr=rng.random() < 0.5,
        sum=rng.random() < 0.5,
        user_data=rng.random() < 0.3,
        code_xonly=rng.random() < 0.3,
        read=rng.choice(["mprv", "phys"]),
        deleg=rng.choice([0, 0, 0xFFFF, 1 << 13 | 1 << 15, 1 << 2 | 1 << 3,
                          rng.getrandbits(16)]),
        pad=rng.choice([0, 0, 4096 - 2, 4096 - 6, 4096 - 64, 4096 - 2 * rng.randrange(1, 400)]),
        asid=rng.choice([0, 1, 0x1FF, rng.randrange(0x200)]),
        ad_seed=rng.getrandbits(16),
    ).normalized()


# --- building blocks of the assembly ------------------------------------------------------

def _pte_lines(table: str, va: int, pa_expr: str, flags: int) -> list[str]:
    """Store a leaf PTE for the page at symbol expression `pa_expr` in the slot of
    virtual address `va` in the second-level table `table`; clobbers t0, t2."""
    return [f"    la t0, {pa_expr}", "    srli t0, t0, 12", "    slli t0, t0, 10",
            f"    ori t0, t0, {flags:#x}", f"    la t2, {table} + {(va >> 12 & 0x3FF) * 4}",
            "    sw t0, 0(t2)"]


def _map_range(table: str, start: str, end: str, delta: int, flags: int) -> list[str]:
    """Leaf PTEs in `table` for every 4 KiB page from label `start` (page aligned) up to
    label `end`, each at virtual = physical + delta; clobbers t0-t3."""
    return [f"    la t0, {start}", f"    la t3, {end}",
            "1:  li t1, " + f"{delta:#x}", "    add t1, t0, t1", "    srli t1, t1, 12",
            "    andi t1, t1, 0x3ff", "    slli t1, t1, 2", f"    la t2, {table}",
            "    add t2, t2, t1", "    srli t1, t0, 12", "    slli t1, t1, 10",
            f"    ori t1, t1, {flags:#x}", "    sw t1, 0(t2)", "    li t1, 4096",
            "    add t0, t0, t1", "    bltu t0, t3, 1b"]


def _root_pointer(root: str, va: int, table: str) -> list[str]:
    """root[VPN[1] of va] = pointer to `table` (V only: A, D and U are reserved in
    non-leaf PTEs, 4.3.1); clobbers t0, t2."""
    return [f"    la t0, {table}", "    srli t0, t0, 12", "    slli t0, t0, 10",
            f"    ori t0, t0, {V:#x}", f"    la t2, {root} + {(va >> 22) * 4}",
            "    sw t0, 0(t2)"]


def _root_leaf(root: str, va: int, pa: int, flags: int) -> list[str]:
    """root[VPN[1] of va] = 4 MiB megapage leaf at pa (4 MiB aligned, 4.3.1)."""
    return [f"    li t0, {(pa >> 12) << 10 | flags:#x}", f"    la t2, {root} + {(va >> 22) * 4}",
            "    sw t0, 0(t2)"]


def _finish(fail_reg: str | None = None) -> list[str]:
    """PASS to the test finisher; with fail_reg, FAIL with code 0x80 + fail_reg."""
    if fail_reg is None:
        return [f"    li t6, {FINISHER:#x}", f"    li t5, {PASS:#x}", "    sw t5, 0(t6)",
                "1:  j 1b"]
    return [f"    addi {fail_reg}, {fail_reg}, 0x80", f"    slli {fail_reg}, {fail_reg}, 16",
            f"    li t6, {FAIL:#x}", f"    or {fail_reg}, {fail_reg}, t6",
            f"    li t6, {FINISHER:#x}", f"    sw {fail_reg}, 0(t6)", "1:  j 1b"]


def _step_over(csr: str, addr: str, ret: str) -> list[str]:
    """Advance `csr` (mepc/sepc) past the instruction whose first parcel is read from
    `addr` (a register), 2 bytes if its low bits are not 11, else 4; then `ret`.
    Uses t5 and t6 only (randgen leaves them to the handler)."""
    return [f"    lhu t5, 0({addr})", "    andi t5, t5, 3", f"    csrr t6, {csr}",
            "    addi t6, t6, 2", "    addi t5, t5, -3", "    bnez t5, 2f",
            "    addi t6, t6, 2", f"2:  csrw {csr}, t6", f"    {ret}"]


class _Rng:
    """A/D bits per leaf, as the layout asks."""

    def __init__(self, lay: Layout) -> None:
        self.lay = lay
        self.rng = random.Random(lay.ad_seed)

    def ad(self) -> int:
        if self.lay.ad == "preset":
            return A | D
        if self.lay.ad == "clear":
            return 0
        return self.rng.choice([0, A, D, A | D])


# --- the random program --------------------------------------------------------------------

def _split(source: str) -> tuple[list[str], list[str], list[str]]:
    """randgen's program -> (register seeding, body, data words)."""
    lines = source.splitlines()
    first = lines.index(f"    addi sp, s0, {randgen.SP_OFFSET}") + 1
    seeding = lines[first:first + len(randgen.POOL)]
    end = lines.index(f"    li t6, {FINISHER:#x}")
    body = lines[first + len(randgen.POOL):end]
    data = [ln for ln in lines[lines.index("rand_data:") + 1:] if ln.strip()]
    assert all(ln.lstrip().startswith("li ") for ln in seeding), seeding
    assert all(ln.startswith("    .word ") for ln in data), data
    return seeding, body, data


def random_program(seed: int, length: int, lay: Layout, loops: int = 1) -> str:
    """Assembly text: randgen body `seed`/`length` run in lay.mode under lay's mapping,
    `loops` times over (a counter in memory closes the loop, as in
    test_differential._looped, so blocks get hot and are entered again; each round also
    makes an ecall that the M handler steps over, so its blocks get hot too)."""
    seeding, body, data = _split(randgen.generate(seed, length))
    ad = _Rng(lay)
    delta = lay.delta
    user = U if lay.mode == "U" else 0
    data_u = U if (lay.mode == "U" or lay.user_data) else 0
    wrong_u = U if not data_u else 0
    code_flags = V | X | (0 if lay.code_xonly else R) | user | G
    root, l0, l0_hole = "root_pt", "l0_pt", "l0_hole"
    va = lay.va_base

    setup = ["    la t0, trap_handler", "    csrw mtvec, t0"]
    # PMP (3.7): QEMU only lets mret go below M with some entry active.
    if lay.pmp == "open":
        setup += ["    li t0, -1", "    csrw pmpaddr0, t0", "    li t0, 0x1f",
                  "    csrw pmpcfg0, t0"]
    elif lay.pmp == "ram":  # NAPOT over the 16 MiB of RAM only: the hole is denied
        assert harness.RAM == 16 << 20
        setup += [f"    li t0, {(DRAM >> 2) | ((harness.RAM >> 3) - 1):#x}",
                  "    csrw pmpaddr0, t0", "    li t0, 0x1f", "    csrw pmpcfg0, t0"]
    elif lay.pmp == "napot":  # NAPOT 4 KiB guard over data page 2, then all RWX
        setup += ["    la t0, data_page2", "    srli t0, t0, 2", "    ori t0, t0, 0x1ff",
                  "    csrw pmpaddr0, t0", "    li t0, -1", "    csrw pmpaddr1, t0",
                  f"    li t0, {0x1F00 | 0x18 | lay.guard:#x}", "    csrw pmpcfg0, t0"]
    else:  # TOR: [0, page2) RWX, [page2, page2 + 4K) guard, then NAPOT all RWX
        setup += ["    la t0, data_page2", "    srli t0, t0, 2", "    csrw pmpaddr0, t0",
                  "    la t0, data_page2 + 4096", "    srli t0, t0, 2", "    csrw pmpaddr1, t0",
                  "    li t0, -1", "    csrw pmpaddr2, t0",
                  f"    li t0, {0x1F0000 | (0x08 | lay.guard) << 8 | 0x0F:#x}",
                  "    csrw pmpcfg0, t0"]
    # Sv32 tables (4.3): the body's code, its S handler, two data pages, the hole
    if lay.mapping == "megapage":
        setup += _root_leaf(root, va, DRAM, V | R | W | X | user | ad.ad())
    elif lay.paged:
        setup += _root_pointer(root, va, l0)
        setup += _map_range(l0, "body_start", "body_end", delta, code_flags | ad.ad())
        if lay.deleg:
            setup += _map_range(l0, "s_handler", "s_handler_end", delta,
                                V | R | X | ad.ad())
        setup += _map_range(l0, "data_page1", "data_page2", delta,
                            V | R | W | data_u | ad.ad())
        page2 = {"rw": V | R | W | data_u, "ro": V | R | data_u, "none": 0,
                 "xonly": V | X | data_u, "wrong_u": V | R | W | wrong_u}[lay.data2]
        if page2:
            setup += _map_range(l0, "data_page2", "data_page2 + 4096", delta,
                                page2 | ad.ad())
    if lay.paged and lay.hole == "bus":  # a megapage over nothing: access fault
        setup += _root_leaf(root, HOLE, HOLE, V | R | W | data_u | A | D)
    elif lay.paged and lay.hole in ("ro", "rw"):
        setup += _root_pointer(root, HOLE, l0_hole)
        setup += _pte_lines(l0_hole, HOLE, "scratch_page",
                            V | R | (W if lay.hole == "rw" else 0) | data_u | ad.ad())
    if lay.deleg:
        setup += [f"    li t0, {lay.deleg:#x}", "    csrw medeleg, t0",
                  "    la t0, s_handler", f"    li t1, {delta:#x}", "    add t0, t0, t1",
                  "    csrw stvec, t0"]
    if lay.paged:
        setup += ["    la t0, root_pt", "    srli t0, t0, 12",
                  f"    li t1, {SATP_SV32 | lay.asid << 22:#x}", "    or t0, t0, t1",
                  "    csrw satp, t0", "    sfence.vma"]
    status = (MPP_S if lay.mode == "S" else 0) | (SUM if lay.sum else 0) | (
        MXR if lay.mxr else 0)
    setup += [f"    li t0, {status:#x}", "    csrw mstatus, t0",
              "    la t0, body_entry", f"    li t1, {delta:#x}", "    add t0, t0, t1",
              "    csrw mepc, t0", "    mret"]

    # M handler: the end marker (mepc = virtual address of end_ecall) finishes; any other
    # trap is stepped over.
    handler = ["    .balign 4", "trap_handler:", "    csrr t6, mepc", f"    li t5, {delta:#x}",
               "    sub t6, t6, t5", "    la t5, end_ecall", "    beq t6, t5, 8f"]
    if lay.read == "phys":  # t6 = mepc - delta: the physical address of the instruction
        handler += _step_over("mepc", "t6", "mret")
    else:  # MPRV (3.1.6.3): this load is translated and checked as MPP's, like the fetch
        handler += [f"    li t5, {MPRV:#x}", "    csrs mstatus, t5", "    csrr t6, mepc",
                    "    lhu t6, 0(t6)", "    csrc mstatus, t5", "    andi t6, t6, 3",
                    "    csrr t5, mepc", "    addi t5, t5, 2", "    addi t6, t6, -3",
                    "    bnez t6, 2f", "    addi t5, t5, 2", "2:  csrw mepc, t5", "    mret"]
    handler += ["8:  csrr t5, mcause", f"    li t6, {ECALL_FROM[lay.mode]}",
                "    bne t5, t6, 9f", *_finish(), "9:", *_finish("t5")]

    tail = []
    if loops > 1:  # an ecall to the M handler each time round: S/U <-> M with both hot
        tail = ["    ecall", "    la t6, loop_count", "    lw t5, 0(t6)", "    addi t5, t5, -1",
                "    sw t5, 0(t6)", "    bnez t5, body_loop"]
    out = [f"# randgen body seed {seed} length {length} under {lay}",
           "    .option norvc", "    .option norelax",
           '    .section .text.init, "ax"', "    .globl _start", "_start:", *setup, "",
           *handler, "",
           "    .text", "    .balign 4096", "body_start:", f"    .skip {lay.pad}",
           "body_entry:", "    la s0, rand_data", f"    addi sp, s0, {randgen.SP_OFFSET}",
           *seeding, "body_loop:", *body, *tail, "end_ecall:", "    ecall",
           "    .balign 4096, 0", "body_end:"]
    if lay.deleg:
        out += ["s_handler:", "    csrr t6, sepc", *_step_over("sepc", "t6", "sret"),
                "    .balign 4096, 0", "s_handler_end:"]
    # data page 1: the loop counter, then the first 256 bytes of the data area; page 2 the
    # other 256 (sp points at its start)
    out += ["", "    .data", "    .balign 4096", "data_page1:", f"loop_count: .word {loops}",
            f"    .skip {4096 - randgen.SP_OFFSET - 4}", "rand_data:",
            *data[:randgen.SP_OFFSET // 16], "data_page2:", *data[randgen.SP_OFFSET // 16:],
            f"    .skip {4096 - (randgen.DATA_BYTES - randgen.SP_OFFSET)}",
            "scratch_page:", *[f"    .word {0x5CA70000 + i:#x}" for i in range(4)],
            "    .balign 4096", "root_pt: .zero 4096", "l0_pt: .zero 4096",
            "l0_hole: .zero 4096"]
    return "\n".join(out) + "\n"


# --- fixed programs --------------------------------------------------------------------

CODE_VA = 0x40000000  # the code page both address spaces run, at the same address
DATA_VA = 0x40001000


def two_spaces_program(mode: str, rounds: list[tuple[int, int]], asids: tuple[int, int],
                       adds: tuple[int, int], words: tuple[int, int], ad: int) -> str:
    """M-mode switches between two address spaces, A and B, for each (space, n) of
    `rounds`: writes satp (with sfence.vma, 4.2.1) and mrets into a loop at CODE_VA run n
    times.  Under A, CODE_VA is physical page code_a: `a0 += word at DATA_VA + adds[0]`,
    `a0 -> DATA_VA + 4`; under B the same virtual page holds code_b, identical but for the
    immediate adds[1], and DATA_VA is another physical page whose word differs.  The loop
    ends in an ecall that lands at the driver (mtvec).  Then a0 must be
    sum(n * (words[s] + adds[s])); the guest checks it too."""
    expected = sum(n * (words[s] + adds[s]) for s, n in rounds) & 0xFFFFFFFF
    user = U if mode == "U" else 0
    lines = ["# two address spaces over one virtual code address", "    .option norvc",
             '    .section .text.init, "ax"', "    .globl _start", "_start:",
             "    la t0, driver_trap", "    csrw mtvec, t0",
             "    li t0, -1", "    csrw pmpaddr0, t0", "    li t0, 0x1f", "    csrw pmpcfg0, t0"]
    for s, name in enumerate("ab"):
        root, l0 = f"root_{name}", f"l0_{name}"
        lines += _root_pointer(root, CODE_VA, l0)
        lines += _pte_lines(l0, CODE_VA, f"code_{name}", V | R | X | user | ad)
        lines += _pte_lines(l0, DATA_VA, f"data_{name}", V | R | W | user | ad)
        lines += [f"    la t0, {root}", "    srli t0, t0, 12",
                  f"    li t1, {SATP_SV32 | asids[s] << 22:#x}", "    or t0, t0, t1",
                  f"    la t2, satps + {4 * s}", "    sw t0, 0(t2)"]
    lines += ["    la s1, rounds", "    li a0, 0", f"    li s2, {DATA_VA:#x}",
              "next_round:", "    lw t0, 0(s1)", "    bltz t0, done", "    slli t0, t0, 2",
              "    la t1, satps", "    add t1, t1, t0", "    lw t1, 0(t1)",
              "    csrw satp, t1", "    sfence.vma", "    lw a1, 4(s1)",
              f"    li t0, {CODE_VA:#x}", "    csrw mepc, t0",
              f"    li t0, {MPP_S if mode == 'S' else 0:#x}", "    csrw mstatus, t0",
              "    mret",
              "    .balign 4", "driver_trap:", "    csrr t5, mcause",
              f"    li t6, {ECALL_FROM[mode]}", "    bne t5, t6, fail",
              "    addi s1, s1, 8", "    j next_round",
              "done:", f"    li t6, {expected:#x}", "    li t5, 0x7f", "    bne a0, t6, fail",
              *_finish(), "fail:", *_finish("t5")]
    for name, k in zip("ab", adds, strict=True):
        lines += ["    .balign 4096", f"code_{name}:", "1:  lw t2, 0(s2)", "    add a0, a0, t2",
                  f"    addi a0, a0, {k}", "    sw a0, 4(s2)", "    addi a1, a1, -1",
                  "    bnez a1, 1b", "    ecall", "    j fail"]
    lines += ["    .data", "    .balign 4", "satps: .word 0, 0", "rounds:",
              *[f"    .word {s}, {n}" for s, n in rounds], "    .word -1, 0"]
    for name, w in zip("ab", words, strict=True):
        lines += ["    .balign 4096", f"data_{name}: .word {w}, 0"]
    lines += ["    .balign 4096", "root_a: .zero 4096", "l0_a: .zero 4096",
              "root_b: .zero 4096", "l0_b: .zero 4096"]
    return "\n".join(lines) + "\n"


DRV_VA, FN_VA, DATA2_VA, PT_VA, PARAM_VA = (0x40000000 + i * 0x1000 for i in range(5))
FN_ADDS = (1, 2, 3)  # what each of the three physical function pages adds per iteration
DATA_WORDS = (100, 1000)  # the word of each of the two physical data pages
REMAP_CALLS, REMAP_ITER = 6, 10


def remap_plan() -> list[tuple[str, int]]:
    """The S-mode driver's actions between runs of the function at FN_VA: ("fn", k) points
    FN_VA at physical function page k, ("data", k) DATA2_VA at data page k, ("fence", f)
    runs sfence.vma form f, ("satp", s) switches to address space s from S-mode."""
    return [("fn", 1), ("fence", 0), ("run", 0),
            ("data", 1), ("fence", 2), ("run", 0),
            ("satp", 1), ("run", 0),
            ("fn", 0), ("fence", 1), ("fence", 2), ("run", 0),
            ("satp", 0), ("run", 0),
            ("fn", 2), ("data", 0), ("fence", 3), ("run", 0),
            ("fn", 0), ("fence", 0), ("run", 0)]


def remap_expected() -> int:
    """a0 at the end of remap_program: each run adds calls * iterations * (word + add)."""
    # Space 0 starts with function 0 and data 0, space 1 with function 2 and data 1.
    maps = [{"fn": 0, "data": 0}, {"fn": 2, "data": 1}]
    space, total = 0, 0
    for what, k in [("run", 0), *remap_plan()]:
        if what in ("fn", "data"):
            maps[space][what] = k
        elif what == "satp":
            space = k
        elif what == "run":
            m = maps[space]
            total += REMAP_CALLS * REMAP_ITER * (DATA_WORDS[m["data"]] + FN_ADDS[m["fn"]])
    return total & 0xFFFFFFFF


def remap_program(ad: int, asids: tuple[int, int]) -> str:
    """S-mode code that changes its own mappings while the code behind them is hot: it
    calls a looping function at FN_VA (reading a word at DATA2_VA) REMAP_CALLS times, then
    rewrites the PTE of FN_VA or DATA2_VA through a mapping of its own page table (PT_VA),
    executes sfence.vma (all, by address, by ASID, 4.2.1) and calls again, which must run
    the new code and read the new data; it also switches satp itself, with the driver
    page mapped at the same address in both spaces.  Ends with an ecall to M."""
    lines = ["# S-mode rewrites live PTEs and satp", "    .option norvc",
             '    .section .text.init, "ax"', "    .globl _start", "_start:",
             "    la t0, trap", "    csrw mtvec, t0",
             "    li t0, -1", "    csrw pmpaddr0, t0", "    li t0, 0x1f", "    csrw pmpcfg0, t0"]
    for s, (fn, data) in enumerate([(0, 0), (2, 1)]):
        root, l0 = f"root_{s}", f"l0_{s}"
        lines += _root_pointer(root, DRV_VA, l0)
        lines += _pte_lines(l0, DRV_VA, "driver", V | R | X | ad)
        lines += _pte_lines(l0, FN_VA, f"fn_{fn}", V | R | X | ad)
        lines += _pte_lines(l0, DATA2_VA, f"data_{data}", V | R | W | ad)
        lines += _pte_lines(l0, PT_VA, l0, V | R | W | ad)
        lines += _pte_lines(l0, PARAM_VA, "params", V | R | ad)
        lines += [f"    la t0, {root}", "    srli t0, t0, 12",
                  f"    li t1, {SATP_SV32 | asids[s] << 22:#x}", "    or t0, t0, t1",
                  f"    la t2, params + {20 + 4 * s}", "    sw t0, 0(t2)"]
    # params: PTEs of fn_0..2 (words 0-2) and data_0..1 (3-4), satp of each space (5-6)
    for i, (sym, flags) in enumerate([("fn_0", V | R | X), ("fn_1", V | R | X),
                                      ("fn_2", V | R | X), ("data_0", V | R | W),
                                      ("data_1", V | R | W)]):
        lines += [f"    la t0, {sym}", "    srli t0, t0, 12", "    slli t0, t0, 10",
                  f"    ori t0, t0, {flags | ad:#x}", f"    la t2, params + {4 * i}",
                  "    sw t0, 0(t2)"]
    lines += ["    la t0, params + 20", "    lw t0, 0(t0)", "    csrw satp, t0", "    sfence.vma",
              f"    li t0, {DRV_VA:#x}", "    csrw mepc, t0", f"    li t0, {MPP_S:#x}",
              "    csrw mstatus, t0", "    mret",
              "    .balign 4", "trap:", "    csrr t5, mcause", "    li t6, 9",
              "    bne t5, t6, 1f", f"    li t6, {remap_expected():#x}", "    li t5, 0x7f",
              "    bne a0, t6, 1f", *_finish(), "1:", *_finish("t5")]
    fences = ["sfence.vma", "sfence.vma s2", "sfence.vma s3", "sfence.vma x0, s7"]
    drv = ["    .balign 4096", "driver:", f"    li s1, {PT_VA:#x}", f"    li s2, {FN_VA:#x}",
           f"    li s3, {DATA2_VA:#x}", f"    li s4, {PARAM_VA:#x}", "    li a0, 0",
           "    csrr s7, satp", "    srli s7, s7, 22", "    andi s7, s7, 0x1ff"]
    for i, (what, k) in enumerate([("run", 0), *remap_plan()]):
        if what == "run":
            drv += [f"    li s6, {REMAP_CALLS}", f"r{i}:", f"    li a2, {REMAP_ITER}",
                    "    jalr ra, 0(s2)", "    addi s6, s6, -1", f"    bnez s6, r{i}"]
        elif what == "fn":
            drv += [f"    lw t0, {4 * k}(s4)", f"    sw t0, {(FN_VA >> 12 & 0x3FF) * 4}(s1)"]
        elif what == "data":
            drv += [f"    lw t0, {12 + 4 * k}(s4)",
                    f"    sw t0, {(DATA2_VA >> 12 & 0x3FF) * 4}(s1)"]
        elif what == "fence":
            drv += [f"    {fences[k]}"]
        else:  # the next fetch is from the new space: the driver page is mapped in both
            drv += [f"    lw t0, {20 + 4 * k}(s4)", "    csrw satp, t0", "    sfence.vma",
                    "    csrr s7, satp", "    srli s7, s7, 22", "    andi s7, s7, 0x1ff"]
    drv += ["    ecall", "1:  j 1b"]
    lines += drv
    for k, add in enumerate(FN_ADDS):
        # Three function pages: same entry, different bodies (the third also compressed).
        body = [f"    addi a0, a0, {add}"] if k < 2 else [
            ".option push", ".option rvc", f"    c.addi a0, {add}", "    c.nop", ".option pop"]
        lines += ["    .balign 4096", f"fn_{k}:", "1:  lw t1, 0(s3)", "    add a0, a0, t1",
                  *body, "    addi a2, a2, -1", "    bnez a2, 1b", "    ret"]
    lines += ["    .data"]
    for k, w in enumerate(DATA_WORDS):
        lines += ["    .balign 4096", f"data_{k}: .word {w}"]
    lines += ["    .balign 4096", "params: .zero 4096", "root_0: .zero 4096", "l0_0: .zero 4096",
              "root_1: .zero 4096", "l0_1: .zero 4096"]
    return "\n".join(lines) + "\n"


SMC_ADDS = (1, 5, 3 + 4, 11)  # the function's add: as built, after each of three patches


def smc_program(sync: str) -> str:
    """Code rewritten under hot translated code, through virtual aliases: S-mode calls a
    looping function at FN_VA (mapped R+X) REMAP_CALLS times, patches its `addi` through
    a second, writable mapping of the same physical page (FN_RW_VA) and calls again;
    then with two compressed instructions in the same word (new instruction boundaries);
    then M-mode patches it at its physical address during an ecall.  `sync` (fence.i or
    nop) follows each patch: rvirt makes a store visible to the next fetch either way
    (the interpreter's rule), so the sum is the same.  A translator that tracked code by
    virtual address would miss both writes."""
    expected = sum(REMAP_CALLS * REMAP_ITER * k for k in SMC_ADDS) & 0xFFFFFFFF
    fn_rw = PT_VA  # a writable alias of the function's page
    lines = ["# code rewritten through a virtual alias and physically", "    .option norvc",
             '    .section .text.init, "ax"', "    .globl _start", "_start:",
             "    la t0, trap", "    csrw mtvec, t0",
             "    li t0, -1", "    csrw pmpaddr0, t0", "    li t0, 0x1f", "    csrw pmpcfg0, t0",
             *_root_pointer("root", DRV_VA, "l0"),
             *_pte_lines("l0", DRV_VA, "driver", V | R | X),
             *_pte_lines("l0", FN_VA, "fn", V | R | X),
             *_pte_lines("l0", fn_rw, "fn", V | R | W),
             "    la t0, root", "    srli t0, t0, 12", f"    li t1, {SATP_SV32:#x}",
             "    or t0, t0, t1", "    csrw satp, t0", "    sfence.vma",
             f"    li t0, {DRV_VA:#x}", "    csrw mepc, t0", f"    li t0, {MPP_S:#x}",
             "    csrw mstatus, t0", "    mret",
             "    .balign 4", "trap:", "    csrr t5, mcause", "    li t6, 9", "    bne t5, t6, 9f",
             "    la t6, ecalls", "    lw t5, 0(t6)", "    addi t5, t5, 1", "    sw t5, 0(t6)",
             "    li t6, 1", "    bne t5, t6, 8f",
             "    la t6, patch_m", "    lw t5, 0(t6)", "    la t6, fn_insn", "    sw t5, 0(t6)",
             f"    {sync}", "    csrr t5, mepc", "    addi t5, t5, 4", "    csrw mepc, t5",
             "    mret",
             f"8:  li t6, {expected:#x}", "    li t5, 0x7f", "    bne a0, t6, 9f", *_finish(),
             "9:", *_finish("t5")]
    run = [f"    li s6, {REMAP_CALLS}", "1:  li a2, " + str(REMAP_ITER), "    jalr ra, 0(s2)",
           "    addi s6, s6, -1", "    bnez s6, 1b"]
    lines += ["    .balign 4096", "driver:", f"    li s2, {FN_VA:#x}", f"    li s3, {fn_rw:#x}",
              "    li a0, 0", *run,
              "    la t1, patch_1", "    lw t0, 0(t1)", "    sw t0, 0(s3)",
              f"    {sync}", *run,
              "    la t1, patch_2", "    lw t0, 0(t1)", "    sw t0, 0(s3)",
              f"    {sync}", *run,
              "    ecall", *run, "    ecall", "1:  j 1b",
              f"patch_1: addi a0, a0, {SMC_ADDS[1]}",
              ".option push", ".option rvc", "patch_2:", "    c.addi a0, 3", "    c.addi a0, 4",
              ".option pop",
              "    .balign 4096", "fn:", "fn_insn:  # page offset 0, where the sw above writes",
              f"1:  addi a0, a0, {SMC_ADDS[0]}",
              "    addi a2, a2, -1", "    bnez a2, 1b", "    ret",
              "    .data", "    .balign 4", "ecalls: .word 0",
              f"patch_m: addi a0, a0, {SMC_ADDS[3]}",
              "    .balign 4096", "root: .zero 4096", "l0: .zero 4096"]
    return "\n".join(lines) + "\n"


# --- running both tiers --------------------------------------------------------------------

class CountingTranslator(Translator):
    """A Translator that also counts the blocks made while the hart ran below M-mode,
    i.e. translated S/U code (under Sv32 or PMP unless satp is bare and PMP open)."""

    def __init__(self, h: Hart, threshold: int = THRESHOLD) -> None:
        self.below_m = 0
        super().__init__(h, threshold)

    def translate(self, space: Space, key: int, pc: int) -> Callable[..., int] | None:
        fn = super().translate(space, key, pc)
        if fn is not None and self.h.priv < PRV_M:
            self.below_m += 1
        return fn


def assert_same(elf: Path, threshold: int, budget: int = BUDGET
                ) -> tuple[harness.State, CountingTranslator, Board]:
    """harness.assert_same with a CountingTranslator: every observable of the three
    tiers must agree.  Returns the translator's state, its translator and its machine."""
    ref, _ = harness.run(elf, "interp", budget)
    m = harness.machine(elf, "tcg", threshold)
    tcg = CountingTranslator(m.hart, threshold=threshold)
    m.translator = tcg  # type: ignore[attr-defined]
    got = harness.snapshot(m, m.run(budget))
    d = harness.diff(ref, got)
    assert not d, f"{elf.name}: interpreter vs translator (threshold {threshold}):\n{d}"
    for tier in ("closures", "native"):
        other, _ = harness.run(elf, tier, budget, threshold)
        d = harness.diff(ref, other)
        assert not d, f"{elf.name}: interpreter vs {tier} (threshold {threshold}):\n{d}"
    return got, tcg, m


@dataclass
class Trace:
    """What a step-by-step interpreter run saw (to check a program does what it claims)."""

    status: int | None
    steps_below_m: int  # instructions executed in S/U
    paged_steps: int  # ... of which with satp.MODE = Sv32
    pages_below_m: set[int]  # virtual page numbers fetched from in S/U
    causes: dict[int, int]  # exceptions taken, by cause


def trace(elf: Path, budget: int = 200_000) -> Trace:
    """Run elf on the interpreter one instruction at a time and record, per instruction,
    the privilege, satp and pc, and every exception taken."""
    m = harness.machine(elf, "interp")
    h = m.hart
    t = Trace(None, 0, 0, set(), {})
    take_trap = h.take_trap

    def counting(cause: int, tval: int, interrupt: bool = False) -> None:
        t.causes[cause] = t.causes.get(cause, 0) + 1
        take_trap(cause, tval, interrupt)

    h.take_trap = counting  # type: ignore[method-assign]
    for _ in range(budget):
        if h.priv < PRV_M:
            t.steps_below_m += 1
            t.pages_below_m.add(h.pc >> 12)
            t.paged_steps += h.csr["satp"] >> 31
        stop = m.step()
        if stop.kind == "exited":
            t.status = stop.status
            break
    return t
