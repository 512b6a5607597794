"""Values for the built-in debugger: a small expression language (gdb's `print` syntax for
registers, variables, `*`, `&`, `.`, `[]`, `+ - * /`) and printing as gdb 13 prints Rust
values (rust-lang.c, valprint.c).  Nothing here runs the machine."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rvirt.debug.dwarf import Field, Type
from rvirt.debug.frontend import ctype
from rvirt.debug.frontend.ctype import c_decl
from rvirt.isa.xlen import MASK

REPEAT_THRESHOLD = 10  # gdb's `set print repeats`: longer runs are folded
PRINT_MAX = 200  # gdb's `set print elements`

INT = Type("base", "int", 4, "signed")
I32 = Type("base", "i32", 4, "signed")  # a Rust literal's type
LONG = Type("base", "i64", 8, "signed")
VOID_T = Type("void", "void", 0)
FUNC_T = Type("func", "", 0)
DATA_PTR = Type("pointer", "", 4, target=VOID_T)
CODE_PTR = Type("pointer", "", 4, target=FUNC_T)


class EvalError(Exception):
    """An expression gdb would refuse; the message is gdb's."""


@dataclass
class Value:
    type: Type
    data: bytes
    address: int | None = None  # where it lives in memory (an lvalue), if it does
    # a bitfield's place instead: (address of its first byte, first bit, width)
    bitfield: tuple[int, int, int] | None = None

    def as_int(self) -> int:
        t = self.type
        n = int.from_bytes(self.data[:8] if t.size > 4 else self.data[:4], "little")
        if t.kind == "base" and t.encoding.startswith("signed") and t.size:
            bits = 8 * min(t.size, len(self.data))
            if n >> (bits - 1) & 1:
                n -= 1 << bits
        return n


def field_value(v: Value, f: Field) -> Value:
    """Member `f` of the structure `v`.  A bitfield is its bits, sign-extended when its
    type is signed, as a value of the declared type (so /x shows all of an `int` field's
    bits, as gdb does) that is not addressable."""
    if not f.bits:
        data = v.data[f.offset:f.offset + f.type.size]
        return Value(f.type, data, v.address + f.offset if v.address is not None else None)
    width = (f.bit + f.bits + 7) // 8
    n = int.from_bytes(v.data[f.offset:f.offset + width], "little") >> f.bit
    n &= (1 << f.bits) - 1
    if f.type.encoding.startswith("signed") and n >> (f.bits - 1) & 1:
        n -= 1 << f.bits
    v2 = int_value(n, f.type)
    if v.address is not None:
        v2.bitfield = (v.address + f.offset, f.bit, f.bits)
    return v2


def int_value(n: int, t: Type = INT) -> Value:
    size = max(t.size, 1)
    return Value(t, (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


def type_name(t: Type, lang: str = "rust") -> str:
    """A type as gdb names it in `print`'s `(TYPE) value` prefix."""
    if lang != "rust":
        return c_decl(t)
    if t.kind == "pointer":
        return f"*mut {type_name(t.target or VOID_T, lang)}"
    if t.kind == "func":
        return "fn ()"
    if t.kind == "void":
        return "()"
    if t.kind == "array":
        return f"[{type_name(t.target or VOID_T, lang)}; {t.count}]"
    return t.name


def rust_ptype(t: Type, show: int = 1, level: int = 0) -> str:
    """`ptype` in a Rust unit (rust-lang.c rust_print_struct_def): a struct's, tuple
    struct's or enum's body, two spaces a level; other types as `whatis` names them."""
    if show <= 0 or t.kind not in ("struct", "variant") or t.name.startswith("("):
        return t.name if t.kind == "func" and t.name else type_name(t)
    is_enum = t.kind == "variant"
    head = ("enum " if is_enum else "union " if t.tag == "union" else "struct ") + t.name
    fields = [f for _, f in t.variants] if is_enum else t.fields
    if not fields:
        return head
    tuple_struct = all(re.fullmatch(r"__\d+", f.name) for f in fields)
    pad = " " * (level + 2)
    lines = []
    for f in fields:
        if is_enum:  # a variant: its name, then its fields on one line
            inner = f.type.fields
            body = ""
            if inner:
                tup = all(re.fullmatch(r"__\d+", x.name) for x in inner)
                parts = [rust_ptype(x.type, show - 1) if tup else
                         f"{x.name}: {rust_ptype(x.type, show - 1)}" for x in inner]
                body = ("(" if tup else "{") + ", ".join(parts) + (")" if tup else "}")
            lines.append(f"{pad}{f.name}{body},\n")
        else:
            name = "" if tuple_struct else f"{f.name}: "
            lines.append(f"{pad}{name}{rust_ptype(f.type, show - 1, level + 2)},\n")
    opening, closing = (" (\n", ")") if tuple_struct and not is_enum else (" {\n", "}")
    return head + opening + "".join(lines) + " " * level + closing


# --- printing ------------------------------------------------------------------------

Symbolize = Callable[[int, bool], str]  # (address, is code) -> " <sym+off>" or ""


def _escape(data: bytes, octal_bytes: bool = False) -> str:
    """A string's text inside quotes; with octal_bytes (a C string, as `x/s` shows it)
    bytes beyond ASCII are octal escapes, as gdb prints them."""
    text = data.decode("latin-1" if octal_bytes else "utf-8", "replace")
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch in "\"\\":
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or (octal_bytes and ord(ch) > 0x7F):
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return "".join(out)


def _fmt_int(n: int, size: int, fmt: str, signed: bool) -> str:
    bits = 8 * max(size, 1)
    u = n & ((1 << bits) - 1)
    if fmt == "x":
        return f"{u:#x}"
    if fmt == "o":
        return f"0{u:o}" if u else "0"
    if fmt == "t":
        return f"{u:b}"
    if fmt == "d":
        return str(u - (1 << bits) if u >> (bits - 1) else u)
    if fmt == "u":
        return str(u)
    if fmt == "c":
        # the value as a char, signed when its type is (printcmd.c print_formatted)
        c = u & 0xFF
        return f"{c - 256 if signed and c > 0x7F else c} {_char(c)}"
    if fmt == "a":
        return f"{u:#x}"
    if fmt == "z":  # hex, zero-padded to the type's size
        return f"0x{u:0{2 * max(size, 1)}x}"
    return str(n if signed else u)


def _char(c: int) -> str:
    if c == 0:
        return "'\\000'"
    if 0x20 <= c < 0x7F:
        return "'\\''" if c == 0x27 else f"'{chr(c)}'"
    escapes = {10: "\\n", 9: "\\t", 13: "\\r"}
    text = escapes.get(c, "\\" + format(c, "03o"))
    return "'" + text + "'"


class Printer:
    """Formats values as gdb's Rust printer does; reads pointed-to memory (for `&str`)
    and names addresses through the callbacks."""

    def __init__(self, read: Callable[[int, int], bytes | None], symbolize: Symbolize,
                 lang: str = "rust") -> None:
        self.read = read
        self.symbolize = symbolize
        self.lang = lang

    def top(self, v: Value, fmt: str = "") -> str:
        """`print`'s text after `$N = `."""
        t = v.type
        if t.kind == "pointer" and not fmt:
            return f"({type_name(t, self.lang)}) {self.value(v, fmt)}"
        if t.kind == "func":
            assert v.address is not None
            return f"{{{t.name or type_name(t, self.lang)}}} {v.address:#x}" \
                f"{self.symbolize(v.address, True)}"
        return self.value(v, fmt)

    def value(self, v: Value, fmt: str = "", scalars_only: bool = False) -> str:
        t = v.type
        k = t.kind
        if k == "base":
            n = v.as_int()
            if fmt:
                return self.formatted(n, t.size, fmt, t.encoding.startswith("signed"))
            if t.encoding == "bool":
                return "true" if n == 1 else "false" if n == 0 else str(n)
            if t.encoding == "char":
                return f"{n} {_char(n)}" if n < 0x80 else f"{n} '{chr(n)}'"
            if t.encoding == "float":
                import struct
                code = "<f" if t.size == 4 else "<d"
                return repr(struct.unpack(code, v.data[:t.size])[0])
            return str(n)
        if k == "unit":
            return "()"
        if k == "void":
            return "void"
        if k == "pointer":
            addr = v.as_int() & MASK
            if fmt:
                return self.formatted(addr, 4, fmt, False)
            target = t.target
            code = target is not None and target.kind == "func"
            return f"{addr:#x}{self.symbolize(addr, code)}"
        if k == "func":
            return f"{{{type_name(t, self.lang)}}} {v.address or 0:#x}"
        if k == "enum":
            n = v.as_int()
            for name, value in t.enumerators:
                if value == n:
                    return f"{t.name}::{name}"
            return f"{n}"
        if scalars_only:
            return "..."
        if k == "array":
            return self._array(v, fmt)
        if k == "variant":
            return self._variant(v, fmt)
        if k == "struct":
            return self._struct(v, fmt)
        return "?"

    def field(self, v: Value, f: Field) -> Value:
        return field_value(v, f)

    def formatted(self, n: int, size: int, fmt: str, signed: bool) -> str:
        """A number in `print`'s format letter; /a adds the symbol at that address
        (printcmd.c print_address)."""
        text = _fmt_int(n, size, fmt, signed)
        if fmt == "a":
            addr = n & MASK
            text += self.symbolize(addr, True) or self.symbolize(addr, False)
        return text

    def _array(self, v: Value, fmt: str) -> str:
        return "[" + self.elements(v, fmt) + "]"

    def elements(self, v: Value, fmt: str) -> str:
        """An array's elements as valprint.c value_print_array_elements lists them: a run
        of more than REPEAT_THRESHOLD equal elements (equal bytes) is one `E <repeats N
        times>`, counted as REPEAT_THRESHOLD towards PRINT_MAX; `...` after the last one
        printed when some are left."""
        t = v.type
        elem = t.target
        assert elem is not None
        size = elem.size
        parts = []
        printed = i = 0
        while i < t.count and printed < PRINT_MAX:
            data = v.data[i * size:(i + 1) * size]
            j = i + 1
            while j < t.count and v.data[j * size:(j + 1) * size] == data:
                j += 1
            addr = v.address + i * size if v.address is not None else None
            text = self.value(Value(elem, data, addr), fmt)
            if j - i > REPEAT_THRESHOLD:
                parts.append(f"{text} <repeats {j - i} times>")
                printed += REPEAT_THRESHOLD
                i = j
            else:
                parts.append(text)
                printed += 1
                i += 1
        return ", ".join(parts) + ("..." if i < t.count else "")

    def _is_str(self, t: Type) -> bool:
        names = [f.name for f in t.fields]
        return t.name == "&str" and names == ["data_ptr", "length"]

    def _struct(self, v: Value, fmt: str) -> str:
        t = v.type
        if self._is_str(t) and not fmt:
            ptr = self.field(v, t.fields[0]).as_int() & MASK
            length = self.field(v, t.fields[1]).as_int()
            data = self.read(ptr, min(length, PRINT_MAX)) if length else b""
            if data is None:
                return f"<error: Cannot access memory at address {ptr:#x}>"
            return '"' + _escape(data) + '"' + ("..." if length > PRINT_MAX else "")
        fields = t.fields
        tuple_like = bool(fields) and all(re.fullmatch(r"__\d+", f.name) for f in fields)
        parts = []
        for f in fields:
            text = self.value(self.field(v, f), fmt)
            parts.append(text if tuple_like else f"{f.name}: {text}")
        if t.name.startswith("("):  # a tuple
            return "(" + ", ".join(parts) + ")"
        if not fields:
            return t.name
        if tuple_like:
            return f"{t.name} (" + ", ".join(parts) + ")"
        return f"{t.name} {{" + ", ".join(parts) + "}"

    def _variant(self, v: Value, fmt: str) -> str:
        t = v.type
        chosen: Field | None = None
        if t.discr is not None:
            d = self.field(v, t.discr).as_int()
            for value, f in t.variants:
                if value is not None and value == d:
                    chosen = f
                    break
            else:
                chosen = next((f for value, f in t.variants if value is None), None)
        elif t.variants:
            chosen = t.variants[0][1]
        if chosen is None:
            return "<invalid enum>"
        inner = self.field(v, chosen)
        it = inner.type
        fields = it.fields
        if not fields:
            return it.name
        tuple_like = all(re.fullmatch(r"__\d+", f.name) for f in fields)
        parts = []
        for f in fields:
            text = self.value(self.field(inner, f), fmt)
            parts.append(text if tuple_like else f"{f.name}: {text}")
        if tuple_like:
            return f"{it.name}(" + ", ".join(parts) + ")"
        return f"{it.name}{{" + ", ".join(parts) + "}"


# --- parsing -------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(0x[0-9a-fA-F]+|\d+)|(\$[A-Za-z_0-9$]*)|"
                    r"([A-Za-z_][A-Za-z_0-9]*(?:::(?:[A-Za-z_{][A-Za-z_0-9#{}]*|<[^>]*>))*)|"
                    r"(->|==|!=|<=|>=|&&|\|\||<<|>>|[-+*/%&().\[\]<>@!~|^])|"
                    r"('(?:\\[0-7]{1,3}|\\.|[^'\\])'))")
# C's character escapes (c-lang.c parse_escape)
_CHAR_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27}


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].strip()
            raise EvalError(f"A syntax error in expression, near `{rest}'.")
        pos = m.end()
        num, reg, name, op, char = m.groups()
        if char is not None:
            tokens.append(("char", char[1:-1]))
        elif num is not None:
            tokens.append(("num", num))
        elif reg is not None:
            tokens.append(("reg", reg))
        elif name is not None:
            tokens.append(("name", name))
        else:
            tokens.append(("op", op))
    return tokens


class Context:
    """What an expression can look at: supplied by the debugger."""

    def register(self, name: str) -> Value:  # pragma: no cover - interface
        raise NotImplementedError

    def history(self, index: int | None) -> Value:  # pragma: no cover - interface
        raise NotImplementedError

    def symbol(self, name: str) -> Value:  # pragma: no cover - interface
        raise NotImplementedError

    def memory(self, addr: int, size: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def type_named(self, tag: str, name: str) -> Type | None:
        """A type the program's DWARF names (DebugInfo.named_type); None when there is
        none."""
        return None

    def complete(self, t: Type) -> Type:
        """A struct only declared where `t` comes from, as another unit defines it (gdb's
        check_typedef on an opaque type); else `t`."""
        if t.stub and t.name:
            found = self.type_named(t.tag, t.name)
            if found is not None and not found.stub:
                return found
        return t


class Parser:
    def __init__(self, text: str, ctx: Context) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.ctx = ctx
        self.text = text

    def parse(self) -> Value:
        if not self.tokens:
            raise EvalError("A syntax error in expression, near `'.")
        v = self.logical()
        if self.i < len(self.tokens):
            rest = self.text.split(self.tokens[self.i][1], 1)[-1]
            raise EvalError(f"A syntax error in expression, near "
                            f"`{self.tokens[self.i][1]}{rest}'.")
        return v

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, op: str) -> bool:
        t = self.peek()
        if t is not None and t[0] == "op" and t[1] == op:
            self.i += 1
            return True
        return False

    def logical(self) -> Value:
        v = self.bitwise()
        while True:
            if self.take("&&"):
                r = self.bitwise()
                v = _truth(bool(_scalar(v)) and bool(_scalar(r)), self.lang)
            elif self.take("||"):
                r = self.bitwise()
                v = _truth(bool(_scalar(v)) or bool(_scalar(r)), self.lang)
            else:
                return v

    def bitwise(self, level: int = 0) -> Value:
        """`|`, `^` and `&`, loosest first (c-exp.y), between `&&` and `==`."""
        ops = ("|", "^", "&")
        if level == len(ops):
            return self.comparison()
        v = self.bitwise(level + 1)
        while self.take(ops[level]):
            a = _scalar(v)
            r = self.bitwise(level + 1)
            n = a | _scalar(r) if level == 0 else a ^ _scalar(r) if level == 1 else \
                a & _scalar(r)
            v = int_value(n, self.common(v, r))
        return v

    def comparison(self) -> Value:
        v = self.shift()
        ops = {"==": int.__eq__, "!=": int.__ne__, "<": int.__lt__, ">": int.__gt__,
               "<=": int.__le__, ">=": int.__ge__}
        while True:
            for op, fn in ops.items():
                if self.take(op):
                    r = self.shift()
                    v = _truth(fn(_scalar(v), _scalar(r)), self.lang)
                    break
            else:
                return v

    @property
    def lang(self) -> str:
        return getattr(self.ctx, "lang", "rust")

    def shift(self) -> Value:
        v = self.repeat()
        while True:
            if self.take("<<"):
                v = int_value(_scalar(v) << _scalar(self.repeat()), _arith_type(v))
            elif self.take(">>"):
                v = int_value(_scalar(v) >> _scalar(self.repeat()), _arith_type(v))
            else:
                return v

    def repeat(self) -> Value:
        """`V@N`: N objects of V's type from V's address on, an array (valarith.c
        value_repeat); it binds tighter than comparisons, looser than `+` (c-exp.y)."""
        v = self.additive()
        while self.take("@"):
            n = _scalar(self.additive())
            if v.address is None:
                raise EvalError("Only values in memory can be extended with '@'.")
            if n <= 0:
                raise EvalError(f"Invalid number {n} of repetitions.")
            t = Type("array", "", v.type.size * n, target=v.type, count=n)
            v = Value(t, self.ctx.memory(v.address, t.size), v.address)
        return v

    def additive(self) -> Value:
        v = self.multiplicative()
        while True:
            diff = LONG if self.lang == "rust" else ctype.builtin("long")
            if self.take("+"):
                r = self.decay(self.multiplicative())
                v = _add(self.decay(v), r, 1, diff, self.c_common(v, r))
            elif self.take("-"):
                r = self.decay(self.multiplicative())
                v = _add(self.decay(v), r, -1, diff, self.c_common(v, r))
            else:
                return v

    def common(self, a: Value, b: Value) -> Type:
        """A binary operation's type.  C: the usual arithmetic conversions (both
        promoted to at least int; the wider; of two as wide, the unsigned one)."""
        if self.lang == "rust":
            return a.type if a.type.kind == "base" else INT
        ta, tb = _arith_type(a), _arith_type(b)
        if ta.size != tb.size:
            return ta if ta.size > tb.size else tb
        return tb if tb.encoding == "unsigned" and ta.encoding != "unsigned" else ta

    def c_common(self, a: Value, b: Value) -> Type | None:
        return None if self.lang == "rust" else self.common(a, b)

    def decay(self, v: Value) -> Value:
        """C's arithmetic sees an array in memory as a pointer to its first element."""
        if self.lang == "rust" or v.type.kind != "array" or v.address is None:
            return v
        return int_value(v.address, Type("pointer", "", 4, target=v.type.target))

    def multiplicative(self) -> Value:
        v = self.unary()
        while True:
            for op in ("*", "/", "%"):
                if self.take(op):
                    r = self.unary()
                    a, b = _scalar(v), _scalar(r)
                    if op != "*" and b == 0:
                        raise EvalError("Division by zero")
                    n = a * b if op == "*" else int(a / b) if op == "/" else a - b * int(a / b)
                    v = int_value(n, self.common(v, r))
                    break
            else:
                return v

    def unary(self) -> Value:
        t = self.peek()
        if self.lang != "rust" and t == ("name", "sizeof"):
            self.i += 1
            at = self.i
            if self.take("("):
                typ = self.type_spec()
                if typ is not None and self.take(")"):
                    return int_value(typ.size, SIZE_T)
                self.i = at
            return int_value(self.unary().type.size, SIZE_T)
        if self.lang != "rust" and t == ("op", "("):
            at = self.i
            self.i += 1
            typ = self.type_spec()
            if typ is not None:
                if not self.take(")"):
                    raise EvalError("A syntax error in expression, near `'.")
                return cast(self.unary(), typ)
            self.i = at
        if self.take("*"):
            return self.deref(self.unary())
        if self.take("&"):
            v = self.unary()
            if v.address is None:
                raise EvalError("Attempt to take address of value not located in memory.")
            return int_value(v.address, Type("pointer", "", 4, target=v.type))
        if self.take("-"):
            v = self.unary()
            return int_value(-_scalar(v), v.type if v.type.kind == "base" else INT)
        if self.take("!"):
            return _truth(not _scalar(self.unary()), self.lang)
        if self.take("~"):
            v = self.unary()
            return int_value(~_scalar(v), _arith_type(v))
        return self.postfix()

    def type_spec(self) -> Type | None:
        """A C type name at the current token (`int`, `unsigned char`, `struct point *`,
        `handler_t`), or None (nothing taken) when the tokens there are no type."""
        at = self.i
        words: list[str] = []
        typ: Type | None = None
        while (t := self.peek()) is not None and t[0] == "name":
            word = t[1]
            bare = not [w for w in words if w not in ("const", "volatile")]
            if word in ("struct", "union", "enum") and typ is None and bare:
                self.i += 1
                tag = self.peek()
                if tag is None or tag[0] != "name":
                    raise EvalError("A syntax error in expression, near `'.")
                self.i += 1
                typ = self.ctx.type_named(word, tag[1])
                if typ is None:
                    raise EvalError(f"No {word} type named {tag[1]}.")
            elif word in ctype.TYPE_WORDS and (typ is None or word in ("const", "volatile")):
                self.i += 1
                words.append(word)
            elif typ is None and bare and (found := self.ctx.type_named("", word)) is not None:
                self.i += 1
                typ = found
            else:
                break
        if typ is None and [w for w in words if w not in ("const", "volatile")]:
            name = ctype.canonical(words)
            typ = self.ctx.type_named("", ctype.dwarf_name(name)) or ctype.builtin(name)
        quals = " ".join(q for q in ("const", "volatile") if q in words)
        if typ is not None and quals:
            typ = ctype.qualified(typ, quals)
        if typ is None:
            self.i = at
            return None
        while self.take("*"):
            typ = Type("pointer", "", 4, target=typ)
        return typ

    def deref(self, v: Value) -> Value:
        t = v.type
        if t.kind == "array" and self.lang != "rust":
            # C: an array is its first element's address (c-lang.c: arrays decay)
            return self.index(v, 0)
        if t.kind == "base" and getattr(self.ctx, "lang", "rust") == "c":
            # C: `*0` reads an int at address 0 (gdb's c-exp.y unop_ind on an integer)
            addr = v.as_int() & MASK
            return Value(INT, self.ctx.memory(addr, 4), addr)
        if t.kind != "pointer":
            raise EvalError("Attempt to take contents of a non-pointer value.")
        target = t.target
        assert target is not None
        target = self.ctx.complete(target)
        if target.kind == "void":
            raise EvalError("Attempt to take contents of a non-pointer value.")
        addr = v.as_int() & MASK
        if target.kind == "func":
            if self.lang != "rust":
                self.ctx.memory(addr, 1)  # gdb reads a function's one byte: 0 is refused
            return Value(target, b"", addr)
        return Value(target, self.ctx.memory(addr, target.size), addr)

    def postfix(self) -> Value:
        v = self.primary()
        while True:
            if self.take("."):
                v = self.member(v)
            elif self.take("->"):
                v = self.member(self.deref(v))
            elif self.take("["):
                index = _scalar(self.additive())
                if not self.take("]"):
                    raise EvalError("A syntax error in expression, near `'.")
                v = self.index(v, index)
            else:
                return v

    def member(self, v: Value) -> Value:
        t = self.peek()
        if t is None or t[0] not in ("name", "num"):
            raise EvalError("A syntax error in expression, near `'.")
        self.i += 1
        name = t[1] if t[0] == "name" else f"__{t[1]}"
        if v.type.kind == "pointer":  # Rust auto-derefs for field access
            v = self.deref(v)
        found = _member(v, name)
        if found is None:
            raise EvalError(f"There is no member named {t[1]}.")
        return found

    def index(self, v: Value, index: int) -> Value:
        t = v.type
        if t.kind == "array":
            elem = t.target
            assert elem is not None
            if not 0 <= index < t.count:
                if v.address is None:
                    raise EvalError("no such vector element")
                addr = v.address + index * elem.size
                return Value(elem, self.ctx.memory(addr, elem.size), addr)
            off = index * elem.size
            addr = v.address + off if v.address is not None else None
            return Value(elem, v.data[off:off + elem.size], addr)
        if t.kind == "pointer" and t.target is not None and t.target.size:
            addr = (v.as_int() + index * t.target.size) & MASK
            return Value(t.target, self.ctx.memory(addr, t.target.size), addr)
        raise EvalError("Cannot subscript requested type.")

    def primary(self) -> Value:
        t = self.peek()
        if t is None:
            raise EvalError("A syntax error in expression, near `'.")
        self.i += 1
        kind, text = t
        if kind == "num":
            lead0 = len(text) > 1 and text[0] == "0" and text[1] not in "xX"
            if self.lang == "rust":  # Rust has no octal `017`: it is seventeen
                n = int(text, 10 if lead0 else 0)
                return int_value(n, I32 if n < 1 << 31 else LONG)
            try:
                n = int(text, 8 if lead0 else 0)
            except ValueError:  # `08`: not octal
                raise EvalError(f'Invalid number "{text}".') from None
            return int_value(n, _literal_type(n, decimal=text[0] != "0" or text == "0"))
        if kind == "char":
            if text.startswith("\\"):
                esc = text[1:]
                n = int(esc, 8) if esc[0] in "01234567" else _CHAR_ESCAPES.get(esc, ord(esc))
            else:
                n = ord(text)
            return int_value(n, self.ctx.type_named("", "char") or ctype.builtin("char"))
        if kind == "reg":
            if text == "$":
                return self.ctx.history(None)
            if text == "$$":
                return self.ctx.history(-1)
            if re.fullmatch(r"\$\d+", text):
                return self.ctx.history(int(text[1:]))
            return self.ctx.register(text[1:])
        if kind == "name":
            return self.ctx.symbol(text)
        if text == "(":
            v = self.logical()
            if not self.take(")"):
                raise EvalError("A syntax error in expression, near `'.")
            return v
        rest = self.text[self.text.find(text):]
        raise EvalError(f"A syntax error in expression, near `{rest}'.")


BOOL = Type("base", "bool", 1, "bool")


def _member(v: Value, name: str) -> Value | None:
    """Member `name` of `v`, looking into C's anonymous structs and unions too."""
    for f in v.type.fields:
        if f.name == name:
            return field_value(v, f)
    for f in v.type.fields:
        if not f.name and f.type.kind == "struct":
            found = _member(field_value(v, f), name)
            if found is not None:
                return found
    return None
SIZE_T = INT  # gdb's type for sizeof (eval.c evaluate_subexp_for_sizeof: builtin_int)


def cast(v: Value, t: Type) -> Value:
    """`(TYPE) V` in C (valops.c value_cast): numbers, enums and pointers convert; an
    array or function gives its address."""
    to = ctype.resolved(t)
    src = ctype.resolved(v.type)
    if to.kind == "void":
        return Value(VOID_T, b"")
    if to.kind in ("base", "enum", "pointer"):
        if src.kind in ("array", "func") and v.address is not None:
            n = v.address
        elif src.kind in ("base", "enum", "pointer"):
            n = v.as_int()
        else:
            raise EvalError("Invalid cast.")
        if to.kind == "base" and to.encoding == "bool":
            n = int(n != 0)
        return int_value(n, t)
    if src is to or (src.kind == to.kind and src.name == to.name and src.size == to.size):
        return Value(t, v.data, v.address)
    raise EvalError("Invalid cast.")


def _truth(b: bool, lang: str) -> Value:
    """A comparison's value: a Rust bool, or C's int 1 or 0."""
    return int_value(int(b), BOOL if lang == "rust" else INT)


def _literal_type(n: int, decimal: bool) -> Type:
    """C's type for an integer literal, as gdb 13's c-exp.y parse_number gives it: the
    first of int, long, long long that holds it, unsigned ones too for hex and octal."""
    names = ["int", "long", "long long"] if decimal else \
        ["int", "unsigned int", "long", "unsigned long", "long long", "unsigned long long"]
    for name in names:
        size, encoding = ctype.BUILTIN[name]
        if n < 1 << (8 * size - (encoding == "signed")):
            return ctype.builtin(name)
    return ctype.builtin(names[-1])


def _arith_type(v: Value) -> Type:
    """An integer operation's type: the operand's integer type, at least int (C's
    integer promotions)."""
    t = v.type
    if t.kind == "enum" and t.size >= 4:  # an enum is its underlying integer type
        return ctype.builtin("unsigned int" if t.encoding == "unsigned" else "int")
    return t if t.kind == "base" and t.size >= 4 else INT


def _scalar(v: Value) -> int:
    if v.type.kind in ("base", "pointer", "enum"):
        return v.as_int()
    raise EvalError("Argument to arithmetic operation not a number or boolean.")


def _add(a: Value, b: Value, sign: int, diff: Type = LONG, common: Type | None = None
         ) -> Value:
    """a + b or a - b; a pointer difference (in elements) has type `diff`; numbers, type
    `common` (by default the first's, when it is the wider)."""
    if a.type.kind == "pointer" and b.type.kind != "pointer":
        target = a.type.target
        step = target.size if target is not None and target.size else 1
        return int_value(a.as_int() + sign * _scalar(b) * step, a.type)
    if a.type.kind == "pointer" and b.type.kind == "pointer" and sign < 0:
        target = a.type.target
        step = target.size if target is not None and target.size else 1
        return int_value((a.as_int() - b.as_int()) // step, diff)
    if b.type.kind == "pointer" and sign > 0:
        return _add(b, a, 1)
    t = common or (a.type if a.type.kind == "base" and a.type.size >= b.type.size else (
        b.type if b.type.kind == "base" else INT))
    return int_value(_scalar(a) + sign * _scalar(b), t)


def evaluate(text: str, ctx: Context) -> Value:
    return Parser(text, ctx).parse()


def named_type(text: str, ctx: Context) -> Type | None:
    """The C type `text` names (`struct point *`, `handler_t`, `unsigned`), or None when
    it is an expression."""
    try:
        p = Parser(text, ctx)
    except EvalError:
        return None
    if not p.tokens or p.lang == "rust":
        return None
    typ = p.type_spec()
    return typ if typ is not None and p.i == len(p.tokens) else None
