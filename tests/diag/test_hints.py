"""Hints: each classic mistake, built as a cargo feature of examples/p0, gets its hint
(what happened, the probable cause, the learner's function and source line), once, and
the machine goes on as QEMU's would; the correct kernels get none, nor does the way Linux
turns paging on; a kernel built for an FPU the hart lacks is told that first;
-no-hints silences them."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from rvirt.board.virt import Board, BoardConfig
from rvirt.debug.infos import debug_infos
from rvirt.diag.hints import Hints, extension_of
from tests.cli.guest import ARGS
from tests.tooling import assemble, run_rvirt

pytestmark = pytest.mark.tools

HERE = Path(__file__).parent


def hinted(elf: Path, instructions: int = 20_000) -> tuple[list[str], Board]:
    """The hint lines of a run of `instructions`, which must not end the machine."""
    lines: list[str] = []
    m = Board(BoardConfig(ram_size=150 << 20, bios=str(elf)), console=lambda b: None,
                notice=lambda s: None)
    Hints(m, say=lines.append).attach()
    assert m.run(max_instructions=instructions) is None  # it goes on, as on QEMU
    return lines, m


def test_no_stack(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, m = hinted(p0_mistake_elf("no-stack"))
    assert lines[0].startswith("hint: fault_store at 0xfffffff4 (sp+0x14) in p0::entry at "
                               "src/main.rs:38: sp = 0xffffffe0 is not in RAM")
    assert "the prologue of p0::entry" in lines[0]
    assert lines[1] == ("hint: the stack was never set up: _start must load sp (la sp, "
                        "_stack_top) before it calls Rust code.")
    assert m.hart.pc == 0 and m.hart.csr["mcause"] == 1  # looping on fetch faults


def test_no_trap_handler(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, _ = hinted(p0_mistake_elf("no-trap-handler"))
    assert len(lines) == 2
    assert lines[0].startswith("hint: machine_ecall (cause 11) in p0::mistake at "
                               "src/main.rs:")
    assert "with mtvec = 0: no trap handler is installed" in lines[0]
    assert lines[1] == "hint: install one before anything can trap: csrw mtvec, <handler " \
        "address>."


def test_rom_store(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, m = hinted(p0_mistake_elf("rom-store"))
    assert len(lines) == 2
    # the learner's line that called write_volatile, not the line in Rust's library
    assert lines[0].startswith("hint: a store to 0x00001000 in p0::mistake at src/main.rs:98 "
                               "(through core::ptr::write_volatile<u32>) was dropped")
    assert "that is the boot ROM (0x1000-0xffff), which ignores stores" in lines[0]
    assert m.read_memory(0x1000, 4) == bytes.fromhex("97020000")  # ROM unchanged
    assert debug_infos(m).function_at(m.hart.pc).name == "p0::entry"  # and p0 went on to count


def test_no_device(p0_mistake_elf: Callable[[str], Path]) -> None:
    lines, _ = hinted(p0_mistake_elf("no-device"))
    assert lines[0].startswith("hint: a store to 0x10010000 in p0::mistake at src/main.rs:103 "
                               "(through core::ptr::write_volatile<u8>) faulted")
    assert "faulted (fault_store): no device or memory is at that address." in lines[0]
    assert "UART 0x10000000" in lines[1]
    assert lines[2].startswith("hint: fault_store (cause 7) in p0::mistake at src/main.rs:103 ")
    assert "mtvec = 0" in lines[2]


def test_linker_mistake(p0_noscript_elf: Path) -> None:
    lines, _ = hinted(p0_noscript_elf)
    assert lines == [
        "hint: the boot ROM jumped to 0x80000000, but nothing is loaded there: the kernel "
        "is linked outside RAM (its entry point is 0x100b4, _start).",
        "hint: link it at 0x80000000: give the linker your linker script (-T script.ld, "
        "e.g. from build.rs)."]


def test_correct_kernels_get_no_hint(p0_elf: Path,
                                     example_elf: Callable[[str], Path]) -> None:
    lines, _ = hinted(p0_elf, 200_000)
    assert lines == []
    for name in ("hello", "trap", "paging"):
        r = run_rvirt(*ARGS, "-bios", str(example_elf(name)), input=b"")
        assert r.returncode == 0
        assert b"hint" not in r.stderr, (name, r.stderr)


def test_paging_on_through_a_virtual_stvec_gets_no_hint() -> None:
    """Linux's relocate_enable_mmu: the instruction page fault taken on purpose goes to
    stvec's virtual address, which the new page table maps: a handler is installed."""
    elf = assemble(HERE / "relocate-mmu.S")
    lines: list[str] = []
    m = Board(BoardConfig(ram_size=150 << 20, bios=str(elf)), console=lambda b: None,
                notice=lambda s: None)
    Hints(m, say=lines.append).attach()
    assert m.run(max_instructions=20_000) == 0  # the probe passed: stvec's VA was reached
    assert m.hart.csr["scause"] == 12 and m.hart.csr["sepc"] & ~0xFFF == 0x80000000
    assert lines == []


def test_stvec_unmapped_after_satp_gets_the_hint() -> None:
    """stvec at the handler's physical address, which is memory but is not mapped once
    satp is written: the hart loops on instruction page faults, and is told so."""
    elf = assemble(HERE / "relocate-mmu.S", "relocate-mmu-physical",
                   extra_as=("-DSTVEC_PHYSICAL",))
    lines, m = hinted(elf)
    stvec = m.hart.csr["stvec"]
    assert 0x80000000 <= stvec < 0x80001000 and m.hart.pc == stvec
    assert len(lines) == 2
    assert lines[0].startswith("hint: exec_page_fault (cause 12) in s_start+0x")  # after satp
    assert lines[0].endswith(
        f", with stvec = {stvec:#010x}, which the page table in satp does not map for S-mode "
        "fetches: the trap handler cannot be reached, so the hart now loops on instruction "
        "page faults.")
    assert lines[1] == ("hint: with paging on, stvec holds a virtual address: point it at "
                        "the handler's mapped address (executable, not U).")


def test_missing_fpu_is_the_first_cause() -> None:
    """A kernel built for F on this RV32IMAC hart: its first F instruction is illegal and
    its handler then faults (NuttX's store to 0xa8 in riscv_doirq); the first hint names
    the illegal instruction, its extension and that the hart lacks it."""
    elf = assemble(HERE / "no-fpu.S", extra_as=("-march=rv32imafc_zicsr",))
    lines, m = hinted(elf)
    assert lines[0].startswith("hint: illegal_instruction in _start+")
    assert lines[0].endswith(": csrrw zero,fcsr,zero (0x00301073) is an instruction of the F "
                             "extension (single-precision floating point), and this hart "
                             "lacks F: rvirt's -cpu rv32 is RV32IMAC (misa 0x40141105; "
                             "QEMU's -cpu rv32 has F).")
    assert lines[1].startswith("hint: build for rv32imac (-march=rv32imac -mabi=ilp32")
    # the secondary fault still gets its own hint, after
    assert lines[2].startswith("hint: a store to 0x000000a8 in trap+0x")
    assert m.hart.csr["mcause"] == 7 and m.hart.csr["mtval"] == 0xa8


EXTENSION_PROBE = """\
    .option arch, +f, +d, +q, +zfh, +v
    fscsr a0            # F
    frflags a1          # F
    flw ft0, 4(a0)      # F
    fsw ft0, 4(a0)      # F
    fadd.s f0, f1, f2   # F
    fld f0, 8(sp)       # D
    c.fld fs0, 8(a0)    # D
    c.fsdsp fs0, 8(sp)  # D
    c.flw fs0, 4(a0)    # F
    c.flwsp fs0, 4(sp)  # F
    fmadd.d f0, f1, f2, f3  # D
    fcvt.s.d f0, f1     # D
    fcvt.d.s f0, f1     # D
    fcvt.s.h f0, f1     # Zfh
    fcvt.s.w f0, a0     # F
    fmv.x.w a0, f0      # F
    flq f0, 16(a0)      # Q
    fadd.q f0, f1, f2   # Q
    fadd.h f0, f1, f2   # Zfh
    flh f0, 2(a0)       # Zfh
    vsetvli t0, a0, e32 # V
    vle32.v v1, (a0)    # V
    vadd.vv v1, v2, v3  # V
    csrr a0, vlenb      # V
    add a0, a1, a2      # -
    c.lw a0, 4(a1)      # -
    csrr a0, mstatus    # -
    lw a0, 4(a1)        # -
    amoadd.w a0, a1, (a2)  # -
"""


def test_extension_of_instructions_built_by_the_assembler() -> None:
    elf = assemble(EXTENSION_PROBE, "extensions", extra_as=("-march=rv32imac_zicsr",))
    with elf.open("rb") as f:
        code = ELFFile(f).get_section_by_name(".text").data()
    wanted = [line.split("#")[1].strip() for line in EXTENSION_PROBE.splitlines()[1:]]
    found = []
    i = 0
    while i < len(code):
        n = 2 if code[i] & 3 != 3 else 4
        ext = extension_of(int.from_bytes(code[i:i + n], "little"))
        found.append(ext or "-")
        i += n
    assert found == wanted


def _stderr_of_endless_run(*args: str) -> str:
    with pytest.raises(subprocess.TimeoutExpired) as stopped:
        run_rvirt(*ARGS, *args, timeout=4, input=b"")
    return (stopped.value.stderr or b"").decode()


def test_hint_lines_on_stderr_once(p0_mistake_elf: Callable[[str], Path]) -> None:
    err = _stderr_of_endless_run("-bios", str(p0_mistake_elf("no-trap-handler")))
    hints = [line for line in err.splitlines() if line.startswith("rvirt: hint: ")]
    assert len(hints) == 2, err  # once, though the hart traps over and over


def test_no_hints_option(p0_mistake_elf: Callable[[str], Path]) -> None:
    err = _stderr_of_endless_run("-bios", str(p0_mistake_elf("no-trap-handler")), "-no-hints")
    assert "hint" not in err
