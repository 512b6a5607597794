"""C types as gdb 13 names and declares them (c-typeprint.c): `struct task *`,
`int (*)(int)`, `char (*)[16]`, `handler_t`, and `ptype`'s expanded bodies.  `show` is
gdb's: below 0 a named type is its name, 0 also expands unnamed structs and enums, above
0 expands the type itself (typedefs resolved) and names its members' types."""

from __future__ import annotations

from dataclasses import replace

from rvirt.debug.dwarf import Type

VOID = Type("void", "void", 0)
INDENT = 4  # c_type_print_base_struct_union's print_spaces (level + 4)


def resolved(t: Type) -> Type:
    """The type under every typedef (gdb's check_typedef), its qualifiers kept."""
    quals = t.quals
    while t.alias and t.under is not None:
        t = t.under
        quals = quals or t.quals
    return t if t.quals == quals or not quals else qualified(t, quals)


def qualified(t: Type, quals: str) -> Type:
    """`t` with the qualifiers `quals` ("const", "volatile", "const volatile")."""
    return replace(t, quals=quals, plain=t.plain or t)


def c_decl(t: Type, name: str = "", show: int = -1, level: int = 0) -> str:
    """`t` declaring `name` (or abstract, as `print` and `whatis` show a type)."""
    if show > 0:
        t = resolved(t)
    base = _base(t, show, level)
    decl = _declarator(t, name)
    return f"{base} {decl}" if decl else base


def _quals(t: Type) -> str:
    return t.quals + " " if t.quals else ""


def _base(t: Type, show: int, level: int) -> str:
    """c_type_print_base_1: the name or body the declarator is written around."""
    if t.alias and show <= 0:
        return _quals(t) + t.alias
    t = resolved(t)
    k = t.kind
    if k == "pointer" or k == "array":
        return _base(t.target or VOID, show, level)
    if k == "func":
        return _base(t.target or VOID, show, level)
    if k in ("struct", "variant"):
        head = f"{_quals(t)}{t.tag or 'struct'} "
        if t.name:
            head += t.name + (" " if show > 0 else "")
        if show < 0 or (show == 0 and t.name):
            return head if t.name else head + "{...}"
        pad = " " * (level + INDENT)
        lines = []
        for f in t.fields:
            text = c_decl(f.type, f.name, show - 1, level + INDENT)
            lines.append(f"{pad}{text}{f' : {f.bits}' if f.bits else ''};\n")
        if not lines:
            lines.append(f"{pad}<{'incomplete type' if t.stub else 'no data fields'}>\n")
        return head + "{\n" + "".join(lines) + " " * level + "}"
    if k == "enum":
        head = f"{_quals(t)}enum "
        if t.name:
            head += t.name + (" " if show > 0 else "")
        if show < 0 or (show == 0 and t.name):
            return head if t.name else head + "{...}"
        parts = []
        last = 0
        for name, value in t.enumerators:
            # a value is written only where it is not the one before plus one
            parts.append(name if value == last else f"{name} = {value}")
            last = value + 1
        return head + "{" + ", ".join(parts) + "}"
    if k == "void" or not t.name:
        return _quals(t) + "void"
    words = t.name.split()
    if all(w in TYPE_WORDS for w in words):
        # gdb names gcc's `long unsigned int` and `short int` as C spells them
        return _quals(t) + canonical(words)
    return _quals(t) + t.name


def _declarator(t: Type, inner: str) -> str:
    """c_type_print_varspec_prefix and _suffix around `inner`: `*name`, `(*)(int)`,
    `[3]`."""
    if t.alias:
        return inner
    k = t.kind
    if k == "pointer":
        target = t.target or VOID
        star = "*" + (f" {t.quals}" + (" " if inner else "") if t.quals else "")
        inner = star + inner
        if target.kind in ("array", "func") and not target.alias:
            inner = f"({inner})"
        return _declarator(target, inner)
    if k == "array":
        return _declarator(t.target or VOID, f"{inner}[{t.count if t.count else ''}]")
    if k == "func":
        return _declarator(t.target or VOID, f"{inner}({params(t)})")
    return inner


def params(t: Type) -> str:
    """c_type_print_args: `int, char *`; `void` for a prototype without parameters."""
    parts = [c_decl(p, "", 0) for p in t.params]
    if t.varargs:
        parts.append("...")
    if not parts and t.prototyped:
        return "void"
    return ", ".join(parts)


# C's own type words, for casts and `sizeof` when the program's DWARF has no such base
# type: gdb's builtin types for rv32 (ilp32: long is 32 bits; char is unsigned on RISC-V).
BUILTIN: dict[str, tuple[int, str]] = {
    "char": (1, "unsigned char"), "signed char": (1, "signed char"),
    "unsigned char": (1, "unsigned char"), "short": (2, "signed"),
    "unsigned short": (2, "unsigned"), "int": (4, "signed"), "unsigned int": (4, "unsigned"),
    "long": (4, "signed"), "unsigned long": (4, "unsigned"), "long long": (8, "signed"),
    "unsigned long long": (8, "unsigned"), "_Bool": (1, "bool"), "float": (4, "float"),
    "double": (8, "float"),
}
TYPE_WORDS = frozenset({"char", "short", "int", "long", "signed", "unsigned", "void",
                        "_Bool", "float", "double", "const", "volatile"})
# gcc's DWARF names for the same types
_DWARF_NAMES = {"short": "short int", "unsigned short": "short unsigned int",
                "long": "long int", "unsigned long": "long unsigned int",
                "long long": "long long int", "unsigned long long": "long long unsigned int"}


def canonical(words: list[str]) -> str:
    """`unsigned` -> `unsigned int`, `long int` -> `long`, `short unsigned` -> `unsigned
    short`: the name gdb's C parser gives a run of type words."""
    w = [x for x in words if x not in ("const", "volatile")]
    if w == ["void"]:
        return "void"
    unsigned = "unsigned" in w
    signed = "signed" in w
    longs = w.count("long")
    if "char" in w:
        return "unsigned char" if unsigned else "signed char" if signed else "char"
    if "_Bool" in w or "float" in w or "double" in w:
        return " ".join(w)
    core = "short" if "short" in w else "long long" if longs >= 2 else "long" if longs else \
        "int"
    if unsigned:
        return f"unsigned {core}"
    return core


def dwarf_name(name: str) -> str:
    """The name gcc's DWARF gives a canonical C type name."""
    return _DWARF_NAMES.get(name, name)


def builtin(name: str) -> Type:
    if name == "void":
        return VOID
    size, encoding = BUILTIN[name]
    return Type("base", name, size, encoding)
