"""The values DebugInfo answers with (functions, lines, frame rules, types, variables,
scopes), the records it keeps per unit, and the helpers its parts share."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

SHF_ALLOC = 0x2


SHF_EXECINSTR = 0x4


# Scopes that prefix a function's name, as gdb builds Rust names from the DIE tree
# (gdb/dwarf2/read.c determine_prefix): `core::str::{impl#0}::len`.
_SCOPE_TAGS = frozenset({"DW_TAG_namespace", "DW_TAG_structure_type", "DW_TAG_union_type",
                         "DW_TAG_enumeration_type", "DW_TAG_class_type",
                         "DW_TAG_interface_type"})


# The DIEs that name a type C can spell: `struct point`, `enum color`, `handler_t`, `int`.
_TYPE_TAGS = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union",
              "DW_TAG_enumeration_type": "enum", "DW_TAG_typedef": "",
              "DW_TAG_base_type": ""}


@dataclass(frozen=True)
class Function:
    """A function's code [low, high) (for one split into several ranges, the range asked
    about).  `name` is what gdb shows in frames and `info functions` (from DWARF; for code
    without DWARF, the symbol demangled as gdb's `info symbol` does); `raw` is the linkage
    name, the one in the ELF symbol table."""

    name: str
    raw: str
    low: int
    high: int

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, int) and self.low <= addr < self.high


@dataclass
class _Sym:
    addr: int
    size: int
    name: str
    section: int | None  # index of its allocated section; None for absolute symbols
    text: bool


@dataclass
class _Inline:
    """An inlined call inside a function: where its code is, and the line that calls it."""

    ranges: list[tuple[int, int]]
    call_file: int
    call_line: int


@dataclass
class _Func:
    low: int
    high: int
    entry: int
    name: str
    raw: str | None
    inlines: list[_Inline] = field(default_factory=list)
    die: int = -1  # offset of its DW_TAG_subprogram, for its variables and return type


@dataclass
class _Unit:
    """One compilation unit, parsed: its line table and its functions."""

    file_base: int = 1  # the number of the first file: 1 before DWARF 5, then 0
    files: list[str] = field(default_factory=list)       # as gdb names them
    full: list[str] = field(default_factory=list)        # absolute, for reading the source
    line_addrs: list[int] = field(default_factory=list)  # sorted row addresses
    line_rows: list[tuple[int, int, bool]] = field(default_factory=list)  # file, line, stmt
    func_lows: list[int] = field(default_factory=list)
    funcs: list[_Func] = field(default_factory=list)
    prologue_ends: list[int] = field(default_factory=list)  # rows flagged prologue_end
    cu_offset: int = -1
    language: int = 0  # DW_AT_language (0x1c is Rust)


@dataclass(frozen=True)
class LineSpan:
    """One line-table row block: [start, end), its file (as gdb names it) and line."""

    start: int
    end: int
    file: str
    line: int
    full: str  # the file's absolute path, for reading the source


@dataclass(frozen=True)
class InlineCall:
    """Code of `name` inlined at `call_file`:`call_line` (its caller's line)."""

    name: str
    entry: int
    call_file: str
    call_full: str
    call_line: int
    ranges: list[tuple[int, int]]
    args: list[Variable]


@dataclass(frozen=True)
class FrameRule:
    """A CFI row: CFA = register `cfa_reg` + `cfa_offset`; `saved` maps a register to the
    offset from the CFA where its caller's value is, or None when it is undefined."""

    cfa_reg: int
    cfa_offset: int
    saved: dict[int, int | None]


@dataclass(eq=False)
class Type:
    """A DWARF type as the debugger prints it.  kind: "base" (encoding "signed",
    "unsigned", "bool", "char", "float", ...), "unit", "void", "pointer", "func",
    "array" (`count` of `target`), "enum" (C-like, `enumerators`), "struct" (`fields`),
    "variant" (a Rust enum: `discr` and `variants` as (discriminant or None, field))."""

    kind: str
    name: str
    size: int
    encoding: str = ""
    target: Type | None = None
    count: int = 0
    fields: list[Field] = field(default_factory=list)
    enumerators: list[tuple[str, int]] = field(default_factory=list)
    discr: Field | None = None
    variants: list[tuple[int | None, Field]] = field(default_factory=list)
    # What C names and declarations show: "struct", "union" or "enum" before the name;
    # the typedef name this type was reached through; "const"/"volatile"; the type with
    # neither (None when this is it); a function type's parameters (`target` returns).
    tag: str = ""
    alias: str = ""
    quals: str = ""
    plain: Type | None = None
    under: Type | None = None  # a typedef's type (one level)
    params: list[Type] = field(default_factory=list)
    prototyped: bool = False
    varargs: bool = False
    stub: bool = False  # a declared struct without its definition (gdb's incomplete type)


@dataclass(frozen=True)
class Field:
    """A member at byte `offset`; a bitfield is `bits` wide from bit `bit` of there."""

    name: str
    offset: int
    type: Type
    bits: int = 0
    bit: int = 0


VOID = Type("void", "void", 0)


@dataclass(frozen=True)
class Variable:
    """An argument, local or static: its location expression (None: optimised out)."""

    name: str
    type: Type
    location: bytes | None
    is_arg: bool


@dataclass(frozen=True)
class Scope:
    function: str
    entry: int
    frame_base: bytes | None
    args: list[Variable]
    locals: list[Variable]
    return_type: Type | None
    prototyped: bool = False  # C's DW_AT_prototyped: `int (void)`, not `int ()`


def _row_at(unit: _Unit, addr: int) -> tuple[int, int, bool] | None:
    """The row gdb's find_pc_sect_line picks: the last at or before `addr`; when that is
    not a statement, a statement row at the same address just before it.  Line 0 (the end
    of a sequence) is no line."""
    i = bisect_right(unit.line_addrs, addr) - 1
    if i < 0:
        return None
    j = i
    while (j > 0 and not unit.line_rows[j][2] and unit.line_addrs[j - 1] == unit.line_addrs[j]
           and unit.line_rows[j - 1][1] != 0):
        j -= 1
    row = unit.line_rows[j] if unit.line_rows[j][2] else unit.line_rows[i]
    return None if row[1] == 0 else row


def _same_file(wanted: str, shown: str, full: str) -> bool:
    if wanted in (shown, full):
        return True
    # gdb matches a trailing part of the path, at a directory boundary
    return any(p.endswith("/" + wanted) for p in (shown, full))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

