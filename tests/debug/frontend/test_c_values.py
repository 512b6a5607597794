"""A C kernel's session through `rvirt -debugger`, against gdb-multiarch on QEMU: values
printed as gdb prints C (structs with a `char *` name, nested arrays of structs, char
arrays as strings, enums and flag enums, a union, bitfields, function pointers), C
expressions (`p->name`, `*arr@3`, casts, sizeof), `x/s`, `info locals`, `ptype` and
`whatis`.  The kernel (tests/debug/frontend/ckernel) is built by the real toolchain here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.debug.frontend.compare import answers, rvirt_session, side_by_side
from tests.tooling import BUILD, CROSS, ROOT, need

CKERNEL = ROOT / "tests" / "debug" / "frontend" / "ckernel"
# inspect()'s last statement: its locals are all set there
LINE = 1 + next(i for i, text in enumerate((CKERNEL / "kernel.c").read_text().splitlines())
                if "total += h(local.y)" in text)


@pytest.fixture(scope="module")
def c_elf() -> Path:
    """The kernel as the issue builds a C teaching kernel: -O0 -g, rv32imac, ilp32."""
    gcc = need(CROSS + "gcc")
    BUILD.mkdir(parents=True, exist_ok=True)
    elf = BUILD / "ckernel.elf"
    # paths relative to tests/debug/frontend, so gdb and rvirt name `ckernel/kernel.c`
    subprocess.run([gcc, "-march=rv32imac", "-misa-spec=2.2", "-mabi=ilp32", "-g", "-O0",
                    "-nostdlib", "-ffreestanding", "-Wl,--no-warn-rwx-segments",
                    "-T", "ckernel/kernel.ld", "-o", str(elf), "ckernel/start.S",
                    "ckernel/kernel.c", "ckernel/opaque.c"], cwd=CKERNEL.parent, check=True,
                   capture_output=True, text=True)
    return elf


SESSION = [
    f"break kernel.c:{LINE}", "continue", "bt", "info args", "info locals",
    # structs, pointers to them, their char * and char[] members
    "p *t", "p t", "p p", "p *p", "p p->name", "p t->name", "p label", "p local",
    "p c", "p (int)c", "p w", "p arr", "p *arr@3", "p arr[1]@2", "p tag", "p h", "p *h",
    "p t->flags", "p/x t->flags", "p t->flags.delta", "p *t->next", "p/x *p", "p/x arr",
    "p/d c", "p/x c",
    # nested arrays of structs, repeats, the 200-element limit
    "p grid", "p grid[1][0].ends[1]", "p &grid[1][0]", "p zeros", "p ten", "p eleven",
    "p *counts@3", "p counts + 1", "p *counts", "p banner", "p message", "p big",
    "p long_text", "p long_ptr", "p alphabet", "p words", "p word_list", "p *word_list",
    # enums, flag enums, unions, bitfields
    "p paint", "p odd_color", "p rw", "p strange", "p (enum perm)0", "p (enum perm)3",
    "p run_state", "p (enum state)0", "p tagged", "p magic", "p bf", "p bf.delta",
    "p/x bf",
    # functions and pointers to them
    "p handlers", "p plain_fp", "p twice", "p *plain_fp", "p &twice", "p kmain",
    "p memcpy", "p (handler_t)0",
    # scalars, chars, casts, sizeof
    "p idle", "p idle.name", "p current", "p letter", "p/x letter", "p/c 65", "p 'a'",
    "p ready_flag", "p &banner", "p banner_ptr", "p *banner_ptr", "p *banner@2",
    "p (char)65", "p (long)t", "p (unsigned char)300", "p (struct point *)p",
    "p *(struct point *)&corners", "p sizeof(struct task)", "p sizeof(int)", "p sizeof t",
    "p sizeof *t", "p corners[0].name", "p *corners[0].name", "p corners[2].name",
    "p -corners[2].x", "p idle.nice", "p ratio", "p precise", "p escapes",
    # refusals
    "p 1@2", "p *counts@0", "p nosuch", "p t->nosuch", "p (struct nope *)0",
    "x/s message", "x/s p->name", "x/2s banner", "x/s label", "x/s long_text",
    "x/s escapes", "x/2s words[0]", "x/s alphabet",
    # C's operators, enumerators, anonymous members
    "p tagged.c", "p/c tagged", "p/x tagged", "p !t", "p ~0", "p 1 << 3", "p 7 % 3",
    "p t->color == GREEN", "p GREEN", "p PERM_W", "p GREEN + 1", "p/x PERM_X",
    "p PERM_R | PERM_X", "p sizeof(grid)", "p sizeof grid[0]", "p zeros[1]@20",
    "p (char *)t->name", "p (unsigned char *)t->name", "p &t->name[2]", "p *t->name@4",
    "p (u32)-1", "p (handler_t)twice", "p/s banner", "p/x banner", "p/c arr",
    "p/x words", "p/d escapes", "p $pc", "p $sp", "p &arr", "p *&arr", "p (short)-1",
    "p/u (char)-1", "p (void)0", "whatis (void)0", "whatis GREEN", "whatis 'a'",
    "whatis 1 == 1", "whatis t->flags.delta",
    "display local.x", "display/x arr", "info display",
    # types
    "ptype t", "ptype struct point", "ptype struct task", "whatis t", "whatis *t",
    "whatis corners", "whatis grid", "ptype grid", "whatis &grid[1]", "ptype union word",
    "ptype enum color", "ptype enum perm", "ptype h", "whatis h", "whatis handler_t",
    "ptype handler_t", "whatis u32", "ptype bf", "ptype tagged", "whatis tagged.range",
    "whatis twice", "ptype inspect", "whatis kmain", "whatis memcpy", "whatis message",
    "whatis *counts@3", "whatis (char)1", "whatis (long)1", "whatis sizeof(int)",
    "whatis sink", "ptype unsigned", "ptype struct nope", "whatis $pc", "whatis $sp",
    "whatis label", "whatis word_list", "whatis banner_ptr", "whatis escapes",
    # typedefs of unnamed structs, byte buffers, arrays of strings, const, NULL
    "p anon", "whatis anon", "ptype anon", "p &anon", "p anons", "p anon_ptr",
    "p *anon_ptr", "ptype anon_t", "whatis anon_t", "p buf", "p/x buf", "whatis buf",
    "p names", "p names[1]", "whatis names[1]", "p fixed", "whatis fixed", "p &fixed",
    "ptype fixed", "p none", "p *none", "p none->x", "p (anon_t *)0", "p &tagged.range",
    # declared-only structs (one defined in another unit), a flexible array member
    "p op", "p *op", "p op->secret", "ptype op", "whatis *op", "ptype *op", "p lost",
    "p *lost", "ptype lost", "p *msgp", "p msgp->data", "p/x *msgp",
    "p msgp->data[0]", "ptype struct msg", "whatis msgp->data", "p sizeof(struct msg)",
    # pointer arithmetic, literals' types, the usual arithmetic conversions
    "p p + 1", "p *(p + 1)", "p p[1]", "p &p[1]", "p p - corners", "whatis p - corners",
    "p *corners@2", "p 0x80000000", "whatis 0x80000000", "whatis 2147483648",
    "whatis 0x100000000", "p 017", "p 08", "p big[0]@20000", "p sizeof(big[0]@16385)",
    "p (1 == 1) + 1", "p sizeof(arr) / sizeof(arr[0])", "p 5 + 0x80000000", "whatis 5 + 0x80000000",
    "whatis letter + 1", "p -7 / 2", "p -7 % 2", "whatis idle.ticks + 1", "p 1 << 31",
    "p (unsigned)-1 >> 4", "p -16 >> 2", "p ~letter", "whatis PERM_R | PERM_W",
    "x/3dw arr", "x/8xb t->name", "x/2c t->name", "p (const char *)t->name",
    "whatis (const char *)t->name", "whatis (const volatile int)1",
    "p (volatile unsigned char *)t", "ptype (const struct point *)p",
    "whatis (struct point const *)p", "whatis (const handler_t)0",
    # print's format letters
    "p/a h", "p/a t", "p/a 0x800000ba", "p/a t->next", "p/a &corners[1]", "p/z 5",
    "p/z arr", "p/z letter", "p/o arr", "p/t letter", "p/u idle.nice", "p/x idle.nice",
    "p/c idle.nice", "p/x ready_flag", "p/x handlers", "p/s message", "p/s t->name",
    "p/x message",
    # the caller's frame: a struct local; the displays of inspect's locals are not shown
    "up", "info locals", "p worker", "p worker.name", "p/x worker.word",
    "whatis worker.flags", "down", "finish", "kill",
]


def test_c_session_is_gdbs(demo: ModuleType, c_elf: Path) -> None:
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    for command, ours, gdbs in side_by_side(c_elf, demo, SESSION):
        if command.startswith("display"):
            # rvirt shows a new display at once, as gdb does at its prompt; gdb -batch
            # (the QEMU side) printed nothing for these commands
            assert ours and ours[0] in ("1: local.x = 3", "2: /x arr = {0x2, 0x3, 0x4}")
            continue
        assert ours == gdbs, command


RETURNS = [
    "break make_pair", "break make_point", "break name_of", "break perms", "break first",
    "break task_of", "break wide", "continue", "finish", "continue", "finish", "p $",
    "continue", "info args", "finish", "continue", "finish", "continue", "finish",
    "continue", "finish", "p *$", "continue", "finish", "kill",
]


def test_c_finish_values_are_gdbs(demo: ModuleType, c_elf: Path) -> None:
    """`finish` prints what a C function returned as gdb does: a small struct in a0/a1,
    a large one in memory, a char *, a flag enum, a char, a struct pointer, a long long."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    for command, ours, gdbs in side_by_side(c_elf, demo, RETURNS):
        assert ours == gdbs, command


def test_c_set_var_is_gdbs(demo: ModuleType, c_elf: Path) -> None:
    """`set var` on C lvalues: struct members, enums, chars, array elements, a long long,
    and bitfields (their bits written into the bytes that hold them)."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    session = [f"break kernel.c:{LINE}", "continue", "set var local.x = 42", "p local",
               "set var c = BLUE", "p c", "set var t->name[0] = 'W'", "p t->name",
               "set var bf.delta = 5", "set var bf.mode = 1", "p bf",
               "set var bf.rest = 0xffffff", "set var bf.ready = 0", "p/x bf",
               "set var t->flags.delta = -8", "p t->flags", "set var t->perm = PERM_W",
               "p t->perm", "set var arr[2] = -1", "p arr", "set var t->ticks = 0x100000001",
               "p t->ticks", "kill"]
    for command, ours, gdbs in side_by_side(c_elf, demo, session):
        assert ours == gdbs, command


ASM = ["break _start", "continue", "info breakpoints", "break kmain", "continue", "bt", "up",
       "frame", "down", "tbreak start.S:6", "info breakpoints", "kill"]


def test_c_kernels_assembly_frames_are_gdbs(demo: ModuleType, c_elf: Path) -> None:
    """The kernel's entry is assembly with line information but no DWARF function: gdb
    names its symbol and line in stops, frames and breakpoints (`_start () at
    ckernel/start.S:5`, `#1  0x8000000a in _start () at ckernel/start.S:6`)."""
    need("gdb-multiarch")
    need("qemu-system-riscv32")
    for command, ours, gdbs in side_by_side(c_elf, demo, ASM):
        assert ours == gdbs, command


def _rvirt(elf: Path, commands: list[str]) -> dict[str, list[str]]:
    status, out, err = rvirt_session(elf, commands)
    assert status == 0 and "Traceback" not in err, err
    return {f"{i}:{c}": lines for i, (c, lines) in enumerate(answers(out, "(rvirt) "))}


def test_c_values_without_gdb(c_elf: Path) -> None:
    """What gdb -batch's echoed transcript cannot carry (a backslash in a command) and
    the issue's own example, as gdb-multiarch 13.1 printed them."""
    a = _rvirt(c_elf, [f"break kernel.c:{LINE}", "continue", "p '\\n'", "p *p",
                       "p '\\0'", "p/x '\\033'"])
    assert a["3:p '\\n'"] == ["$1 = 10 '\\n'"]
    assert re.fullmatch(r'\$2 = \{x = 3, y = 4, name = 0x8000[0-9a-f]{4} "bc"\}',
                        a["4:p *p"][0])
    assert a["5:p '\\0'"] == ["$3 = 0 '\\000'"]
    assert a["6:p/x '\\033'"] == ["$4 = 0x1b"]


def test_display_of_a_local_shows_only_in_its_function(c_elf: Path) -> None:
    """gdb's do_one_display skips a display whose expression reads a frame's variables
    when the selected frame is not in that block; a static's display shows everywhere."""
    a = _rvirt(c_elf, [f"break kernel.c:{LINE}", "continue", "display local.x",
                       "display paint", "finish"])
    assert a["3:display local.x"] == ["1: local.x = 3"]
    finish = a["5:finish"]
    assert finish[-1] == "2: paint = BLUE"
    assert not any(line.startswith("1: local.x") for line in finish)
