"""gdb's C string and enum printing (valprint.c generic_printstr, generic_val_print_enum_1)
and C type names (c-typeprint.c) as data: each expected text is what gdb-multiarch 13.1
printed for the same bytes, enum or type in tests/debug/frontend/ckernel."""

from __future__ import annotations

import pytest

from rvirt.debug.dwarf import Type
from rvirt.debug.frontend.cprint import c_string, enum_text
from rvirt.debug.frontend.ctype import c_decl

STRINGS = [
    (b"abc" + bytes(13), False, '"abc", \'\\000\' <repeats 12 times>'),
    (b"worker" + bytes(10), False, '"worker' + "\\000" * 9 + '"'),
    (b"idle" + bytes(12), False, '"idle", \'\\000\' <repeats 11 times>'),
    (b"\x04\x03\x02\x01", False, '"\\004\\003\\002\\001"'),
    (bytes(4), False, '"\\000\\000\\000"'),
    (b"tg" + bytes(6), False, '"tg' + "\\000" * 5 + '"'),
    (b"x" * 250 + bytes(50), False, "'x' <repeats 250 times>..."),
    (b"x" * 200, True, "'x' <repeats 200 times>..."),
    (bytes(97 + i % 26 for i in range(259)) + b"\0", False,
     '"' + "".join(chr(97 + i % 26) for i in range(200)) + '"...'),
    (b'"\\\'\x07\x1b\x7f\x01\0', False, '"\\"\\\\\'\\a\\033\\177\\001"'),
    (b"hello\n\tworld\0", False, '"hello\\n\\tworld"'),
    (b"\0", False, '""'),
]


@pytest.mark.parametrize(("data", "force", "text"), STRINGS)
def test_c_strings_as_gdb(data: bytes, force: bool, text: str) -> None:
    assert c_string(data, force) == text


PERM = Type("enum", "perm", 4, "unsigned", tag="enum",
            enumerators=[("PERM_R", 1), ("PERM_W", 2), ("PERM_X", 4)])
COLOR = Type("enum", "color", 4, "unsigned", tag="enum",
             enumerators=[("RED", 0), ("GREEN", 2), ("BLUE", 3)])
STATE = Type("enum", "state", 4, "unsigned", tag="enum",
             enumerators=[("IDLE", 0), ("RUNNING", 1)])


@pytest.mark.parametrize(("t", "n", "text"), [
    (PERM, 3, "(PERM_R | PERM_W)"), (PERM, 12, "(PERM_X | unknown: 0x8)"), (PERM, 0, "0"),
    (PERM, 1, "PERM_R"), (COLOR, 3, "BLUE"), (COLOR, 7, "7"),
    (STATE, 3, "(RUNNING | unknown: 0x2)"), (STATE, 0, "IDLE"),
])
def test_enums_as_gdb(t: Type, n: int, text: str) -> None:
    assert enum_text(t, n) == text


INT = Type("base", "int", 4, "signed")
CHAR = Type("base", "char", 1, "unsigned char")
POINT = Type("struct", "point", 12, tag="struct")
FN = Type("func", "", 1, target=INT, params=[INT], prototyped=True)


@pytest.mark.parametrize(("t", "text"), [
    (Type("pointer", "", 4, target=POINT), "struct point *"),
    (Type("array", "", 36, target=POINT, count=3), "struct point [3]"),
    (Type("pointer", "", 4, target=Type("array", "", 16, target=CHAR, count=16)),
     "char (*)[16]"),
    (FN, "int (int)"),
    (Type("pointer", "", 4, target=FN), "int (*)(int)"),
    (Type("func", "", 1, target=Type("void", "void", 0), prototyped=True), "void (void)"),
    (Type("base", "long unsigned int", 4, "unsigned"), "unsigned long"),
    (Type("base", "short int", 2, "signed"), "short"),
    (Type("pointer", "", 4, target=Type("base", "char", 1, "unsigned char", quals="const")),
     "const char *"),
])
def test_c_type_names_as_gdb(t: Type, text: str) -> None:
    assert c_decl(t) == text
