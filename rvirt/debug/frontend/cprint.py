"""Values printed as gdb 13 prints C (c-valprint.c, valprint.c, generic_printstr):
`{x = 1, y = 2, name = 0x800000a4 "a"}`, `{1, 2, 3}`, `"abc", '\\000' <repeats 12 times>`,
`97 'a'`, `(PERM_R | PERM_W)`, `{int (int)} 0x80000010 <f>`.  Nothing here runs the
machine: memory is read through the Printer's callback."""

from __future__ import annotations

from collections.abc import Callable

from rvirt.debug.dwarf import Type
from rvirt.debug.frontend.ctype import VOID, c_decl, resolved
from rvirt.debug.frontend.values import (
    MASK,
    PRINT_MAX,
    REPEAT_THRESHOLD,
    Printer,
    Value,
)

# print_wchar's named escapes; other unprintable bytes are three octal digits
_ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v"}


def c_char(byte: int, quoter: str) -> str:
    """One character inside `quoter` quotes (valprint.c print_wchar)."""
    if byte in _ESCAPES:
        return _ESCAPES[byte]
    if 0x20 <= byte < 0x7F:
        ch = chr(byte)
        return "\\" + ch if ch in (quoter, "\\") else ch
    return f"\\{byte:03o}"


def c_string(data: bytes, force_ellipses: bool = False) -> str:
    """generic_printstr: a trailing NUL is not shown; runs longer than the repeat
    threshold become `'c' <repeats N times>` between quoted pieces; after print-elements
    characters (counting whole runs) the rest is `...`."""
    n = len(data)
    if not force_ellipses and n and data[-1] == 0:
        n -= 1
    if n == 0:
        return '""'
    runs: list[tuple[int, int]] = []
    i = counted = 0
    while i < n and counted < PRINT_MAX:
        j = i + 1
        while j < n and data[j] == data[i]:
            j += 1
        runs.append((data[i], j - i))
        counted += j - i
        i = j
    out: list[str] = []
    state = "start"
    for byte, reps in runs:
        if reps > REPEAT_THRESHOLD:
            if state == "single":
                out.append('"')
            if state != "start":
                out.append(", ")
            out.append(f"'{c_char(byte, chr(39))}' <repeats {reps} times>")
            state = "repeat"
        else:
            if state != "single":
                if state != "start":
                    out.append(", ")
                out.append('"')
            out.append(c_char(byte, '"') * reps)
            state = "single"
    if state == "single":
        out.append('"')
    if force_ellipses or i < n:
        out.append("...")
    return "".join(out)


def textual(t: Type) -> bool:
    """c_textual_element_type: a one-byte integer (not _Bool) reads as characters."""
    r = resolved(t)
    return r.kind == "base" and r.size == 1 and r.encoding != "bool"


def flag_enum(t: Type) -> bool:
    """gdb's DWARF reader makes an enum a flag enum when every enumerator is zero or one
    bit (dwarf2/read.c update_enumeration_type_from_children)."""
    return bool(t.enumerators) and all(v >= 0 and bin(v).count("1") <= 1
                                       for _, v in t.enumerators)


def enum_text(t: Type, n: int) -> str:
    """generic_val_print_enum_1: the name, a flag enum's `(A | B | unknown: 0x8)`, or the
    number."""
    for name, value in t.enumerators:
        if value == n:
            return name
    if not flag_enum(t):
        return str(n)
    parts = []
    rest = n
    for name, value in t.enumerators:
        if rest & value:
            parts.append(name)
            rest &= ~value
    if rest:
        parts.append(f"unknown: {rest:#x}")
    return "(" + " | ".join(parts) + ")" if parts else "0"


class CPrinter(Printer):
    """The Printer for code in a C (or assembly) unit."""

    def top(self, v: Value, fmt: str = "") -> str:
        """c_value_print: a pointer gets its type in front, but not a plain `char *`,
        whose string says what it is."""
        t = v.type
        r = resolved(t)
        if r.kind == "pointer" and not fmt:
            target = r.target or VOID
            if t.alias or target.alias or target.name != "char" or target.kind != "base":
                return f"({c_decl(t)}) {self.value(v)}"
        return self.value(v, fmt)

    def value(self, v: Value, fmt: str = "", scalars_only: bool = False) -> str:
        t = resolved(v.type)
        k = t.kind
        if fmt == "s":
            fmt = ""  # /s only changes how one-byte integers' arrays are read: as text
        if k == "base":
            n = Value(t, v.data).as_int()
            if fmt:
                return self.formatted(n, t.size, fmt, t.encoding.startswith("signed"))
            if t.encoding == "bool":
                return "true" if n == 1 else "false" if n == 0 else str(n)
            if t.size == 1:
                return f"{n} '{c_char(n & 0xFF, chr(39))}'"
            if t.encoding == "float":
                import struct
                # %g with FLT_DIG + 3 / DBL_DIG + 3 digits (floatformat_printf_format)
                x = struct.unpack("<f" if t.size == 4 else "<d", v.data[:t.size])[0]
                return f"{x:.9g}" if t.size == 4 else f"{x:.17g}"
            return str(n)
        if k == "enum":
            n = Value(t, v.data).as_int()
            if fmt:
                return self.formatted(n, t.size, fmt, t.encoding.startswith("signed"))
            return enum_text(t, n)
        if k == "pointer":
            addr = v.as_int() & MASK
            if fmt:
                return self.formatted(addr, t.size or 4, fmt, False)
            target = t.target or VOID
            if resolved(target).kind == "func":
                return f"{addr:#x}{self.symbolize(addr, True)}"
            text = f"{addr:#x}{self.symbolize(addr, False)}"
            if textual(target) and addr:
                text += " " + self._string_at(addr)
            return text
        if k == "func":
            addr = v.address or 0
            return f"{{{c_decl(v.type)}}} {addr:#x}{self.symbolize(addr, True)}"
        if k in ("void", "unit"):
            return "void"
        if scalars_only:
            return "..."
        if k == "array":
            elem = t.target or VOID
            if not t.size and v.address is not None:
                # an array of unknown length (`char data[]`): its address as a pointer
                # to its first element's, in any format (print_unpacked_pointer)
                text = f"{v.address:#x}{self.symbolize(v.address, False)}"
                if textual(elem) and not fmt:
                    text += " " + self._string_at(v.address)
                return text
            if textual(elem) and not fmt:
                return c_string(v.data[:t.count])
            return "{" + self.elements(v, fmt) + "}"
        if k in ("struct", "variant"):
            if t.stub:
                return "<incomplete type>"
            parts = []
            for f in t.fields:
                text = self.value(self.field(v, f), fmt)
                parts.append(f"{f.name} = {text}" if f.name else text)
            return "{" + ", ".join(parts) + "}"
        return "?"

    def _string_at(self, addr: int) -> str:
        return string_at(self.read, addr)[0]


def string_at(read: Callable[[int, int], bytes | None], addr: int) -> tuple[str, int]:
    """val_print_string: up to print-elements characters up to a NUL; `...` when it
    stopped with more to come; a read error after what could be read.  Also the address
    after what was read (where `x/s` goes on)."""
    data = bytearray()
    a = addr
    error = None
    while len(data) < PRINT_MAX:
        b = read(a, 1)
        if b is None:
            error = a
            break
        data += b
        a += 1
        if b == b"\0":
            break
    force = False
    if error is None and (not data or data[-1] != 0):
        nxt = read(a, 1)
        force = nxt is not None and nxt != b"\0"
    text = c_string(bytes(data), force) if data else ""
    if error is not None:
        text += f"<error: Cannot access memory at address {error:#x}>"
    return text, a
