"""Rust symbol demangling: legacy (`_ZN...17h<hash>E`) and v0 (`_R...`) manglings.

`demangle(name)` is the readable form (`core::fmt::write`, `<str>::len`); with
`verbose=True` it is the form gdb 13 gives minimal symbols (libiberty's verbose mode:
v0 crate roots keep their disambiguator, `core[4018bd9e5adfe70c]::...`, const generics
carry their type, `4: usize`, and a legacy hash stays, `...::h0123456789abcdef`).
Anything that is not a Rust mangling, or does not parse, comes back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

__all__ = ["demangle"]


def demangle(name: str, *, verbose: bool = False) -> str:
    """The demangled form of a Rust symbol `name`; `name` itself when it is not one."""
    try:
        if name.startswith("_R"):
            return _V0(name, verbose).run()
        if name.startswith("_ZN"):
            return _legacy(name, verbose)
    except _Invalid:
        pass
    return name


class _Invalid(Exception):
    """The symbol does not follow the grammar: the caller falls back to the raw name."""


# --- legacy mangling ------------------------------------------------------------------
# An Itanium-style nested name, `_ZN` {<len><ident>} `E`, whose last element is the hash
# `h` + 16 hex digits; escapes inside identifiers stand for punctuation (rustc's
# symbol_names/legacy.rs).

_LEGACY_ESCAPES = {"SP": "@", "BP": "*", "RF": "&", "LT": "<", "GT": ">", "LP": "(",
                   "RP": ")", "C": ","}
_HASH = re.compile(r"h[0-9a-fA-F]{16}")
_LEGACY_CHARS = re.compile(r"[0-9A-Za-z_$.:]*")


def _legacy(name: str, verbose: bool) -> str:
    # The mangled part ends at an `E` that ends the name or starts a `.suffix`
    # (`.llvm.1234` from LTO), which is dropped.
    if name.endswith("E"):
        body = name[3:-1]
    else:
        end = name.rfind("E.")
        if end < 3:
            raise _Invalid
        body = name[3:end]
    if not _LEGACY_CHARS.fullmatch(body):
        raise _Invalid
    parts: list[str] = []
    i = 0
    while i < len(body):
        m = re.compile(r"[1-9][0-9]*").match(body, i)
        if m is None:
            raise _Invalid
        n = int(m.group())
        i = m.end()
        if i + n > len(body):
            raise _Invalid
        parts.append(body[i:i + n])
        i += n
    if not parts:
        raise _Invalid
    if not verbose and len(parts) > 1 and _HASH.fullmatch(parts[-1]):
        parts.pop()
    return "::".join(_legacy_ident(p) for p in parts)


def _legacy_ident(text: str) -> str:
    if text.startswith("_$"):
        text = text[1:]  # rustc adds `_` so that the identifier starts like one
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "$":
            end = text.find("$", i + 1)
            code = text[i + 1:end] if end > 0 else ""
            if code in _LEGACY_ESCAPES:
                out.append(_LEGACY_ESCAPES[code])
            elif re.fullmatch(r"u[0-9a-f]{2}", code):
                out.append(chr(int(code[1:], 16)))
            else:
                # what gdb does with an escape it does not know: the rest as it is
                out.append(text[i:])
                break
            i = end + 1
        elif c == ".":
            if text.startswith("..", i):
                out.append("::")
                i += 2
            else:
                out.append(".")
                i += 1
        else:
            j = i
            while j < len(text) and text[j] not in "$.":
                j += 1
            out.append(text[i:j])
            i = j
    return "".join(out)


# --- v0 mangling ----------------------------------------------------------------------
# The grammar of RFC 2603 ("Rust symbol name mangling v0"), parsed by recursive descent.
# Backrefs `B<base62>` point into the symbol (after `_R`) at something already parsed,
# which is parsed again from there.

_BASIC = {"a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32",
          "h": "u8", "i": "isize", "j": "usize", "l": "i32", "m": "u32", "n": "i128",
          "o": "u128", "s": "i16", "t": "u16", "u": "()", "v": "...", "x": "i64",
          "y": "u64", "z": "!", "p": "_"}
_CONST_UINT = "htmyoj"
_CONST_INT = "aslxni"
_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_V0_CHARS = re.compile(r"[0-9A-Za-z_]*")
_MAX_DEPTH = 200  # nesting and backref chains deeper than this are not real symbols
_T = TypeVar("_T")


class _V0:
    def __init__(self, name: str, verbose: bool) -> None:
        body = name[2:].split(".", 1)[0]  # a `.suffix` (`.llvm.1234`) is not part of it
        if not body or not _V0_CHARS.fullmatch(body) or body[0].isdigit():
            raise _Invalid  # a leading decimal is an encoding version other than 0
        self.s = body
        self.pos = 0
        self.verbose = verbose
        self.out: list[str] = []
        self.printing = True
        self.depth = 0
        self.bound = 0  # lifetimes bound by the enclosing `for<...>` binders

    def run(self) -> str:
        self.path(in_value=True)
        if self.pos < len(self.s):  # the instantiating crate: parsed, not shown
            self.quiet(lambda: self.path(in_value=False))
        if self.pos != len(self.s):
            raise _Invalid
        return "".join(self.out)

    # -- lexing

    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def next(self) -> str:
        if self.pos >= len(self.s):
            raise _Invalid
        self.pos += 1
        return self.s[self.pos - 1]

    def eat(self, c: str) -> bool:
        if self.peek() == c:
            self.pos += 1
            return True
        return False

    def emit(self, text: str) -> None:
        if self.printing:
            self.out.append(text)

    def quiet(self, parse: Callable[[], object]) -> None:
        was, self.printing = self.printing, False
        try:
            parse()
        finally:
            self.printing = was

    def base62(self) -> int:
        """`_` is 0; digits then `_` are their value plus one."""
        if self.eat("_"):
            return 0
        value = 0
        while True:
            c = self.next()
            if c == "_":
                return value + 1
            k = _B62.find(c)
            if k < 0:
                raise _Invalid
            value = value * 62 + k

    def opt_base62(self, tag: str) -> int:
        return self.base62() + 1 if self.eat(tag) else 0

    def decimal(self) -> int:
        start = self.pos
        if self.eat("0"):
            return 0
        while self.peek().isdigit():
            self.pos += 1
        if self.pos == start:
            raise _Invalid
        return int(self.s[start:self.pos])

    def ident(self) -> tuple[int, str]:
        """identifier = [`s` disambiguator] [`u`] decimal [`_`] bytes."""
        dis = self.opt_base62("s")
        return dis, self.undisambiguated_ident()

    def undisambiguated_ident(self) -> str:
        puny = self.eat("u")
        n = self.decimal()
        self.eat("_")  # separates the length from bytes that start with a digit or `_`
        if self.pos + n > len(self.s):
            raise _Invalid
        text = self.s[self.pos:self.pos + n]
        self.pos += n
        return _punycode(text) if puny else text

    def backref(self, parse: Callable[[], _T]) -> _T:
        """After a `B`: parse again what starts at the position it names."""
        start = self.pos - 1
        target = self.base62()
        if target >= start:
            raise _Invalid  # a backref only points back
        saved = self.pos
        self.pos = target
        value = self.deeper(parse)
        self.pos = saved
        return value

    def deeper(self, parse: Callable[[], _T]) -> _T:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Invalid
        value = parse()
        self.depth -= 1
        return value

    # -- paths

    def path(self, in_value: bool) -> None:
        self.deeper(lambda: self._path(in_value))

    def _path(self, in_value: bool) -> None:
        tag = self.next()
        if tag == "C":
            dis, name = self.ident()
            self.emit(name)
            if self.verbose:
                self.emit(f"[{dis:x}]")
        elif tag == "N":
            ns = self.next()
            if not ns.isalpha():
                raise _Invalid
            self.path(in_value)
            dis, name = self.ident()
            if ns.isupper():
                # special namespaces: closures (C), shims (S), others by their letter
                kind = {"C": "closure", "S": "shim"}.get(ns, ns)
                self.emit("::{" + kind + (":" + name if name else "") + f"#{dis}}}")
            elif name:
                self.emit("::" + name)
        elif tag in "MXY":
            if tag != "Y":
                self.opt_base62("s")
                self.quiet(lambda: self.path(in_value=False))  # where the impl is
            self.emit("<")
            self.type()
            if tag != "M":
                self.emit(" as ")
                self.path(in_value=False)
            self.emit(">")
        elif tag == "I":
            self.path(in_value)
            self.emit("::<" if in_value else "<")
            self.generic_args()
            self.emit(">")
        elif tag == "B":
            self.backref(lambda: self.path(in_value))
        else:
            raise _Invalid

    def generic_args(self) -> None:
        """{generic-arg} `E`, written `a, b`."""
        first = True
        while not self.eat("E"):
            if not first:
                self.emit(", ")
            first = False
            if self.eat("L"):
                self.lifetime(self.base62())
            elif self.eat("K"):
                self.const()
            else:
                self.type()

    def path_open_generics(self) -> bool:
        """A trait path in `dyn`, leaving `<...` open for its associated-type bindings."""
        if self.eat("B"):
            return self.backref(self.path_open_generics)
        if self.eat("I"):
            self.path(in_value=False)
            self.emit("<")
            self.generic_args()
            return True
        self.path(in_value=False)
        return False

    # -- types

    def type(self) -> None:
        self.deeper(self._type)

    def _type(self) -> None:
        tag = self.next()
        if tag in _BASIC:
            self.emit(_BASIC[tag])
        elif tag in "RQ":
            self.emit("&")
            if self.eat("L"):
                lt = self.base62()
                if lt:
                    self.lifetime(lt)
                    self.emit(" ")
            if tag == "Q":
                self.emit("mut ")
            self.type()
        elif tag in "PO":
            self.emit("*const " if tag == "P" else "*mut ")
            self.type()
        elif tag == "A":
            self.emit("[")
            self.type()
            self.emit("; ")
            self.const()
            self.emit("]")
        elif tag == "S":
            self.emit("[")
            self.type()
            self.emit("]")
        elif tag == "T":
            self.emit("(")
            n = 0
            while not self.eat("E"):
                if n:
                    self.emit(", ")
                self.type()
                n += 1
            self.emit(",)" if n == 1 else ")")
        elif tag == "F":
            self.binder(self.fn_sig)
        elif tag == "D":
            self.emit("dyn ")
            self.binder(self.dyn_traits)
            if not self.eat("L"):
                raise _Invalid
            lt = self.base62()
            if lt:
                self.emit(" + ")
                self.lifetime(lt)
        elif tag == "B":
            self.backref(self.type)
        else:
            self.pos -= 1
            self.path(in_value=False)

    def binder(self, body: Callable[[], object]) -> None:
        """[`G` base62] opens `for<'a, ...>` around `body`."""
        n = self.opt_base62("G")
        if n:
            names = ", ".join(_lifetime_name(self.bound + i) for i in range(n))
            self.emit(f"for<{names}> ")
        self.bound += n
        try:
            body()
        finally:
            self.bound -= n

    def lifetime(self, index: int) -> None:
        if index == 0:
            self.emit("'_")
            return
        depth = self.bound - index
        if depth < 0:
            raise _Invalid
        self.emit(_lifetime_name(depth))

    def fn_sig(self) -> None:
        if self.eat("U"):
            self.emit("unsafe ")
        if self.eat("K"):
            abi = "C" if self.eat("C") else self.undisambiguated_ident().replace("_", "-")
            self.emit(f'extern "{abi}" ')
        self.emit("fn(")
        first = True
        while not self.eat("E"):
            if not first:
                self.emit(", ")
            first = False
            self.type()
        self.emit(")")
        if self.eat("u"):
            return  # `-> ()` is not written
        self.emit(" -> ")
        self.type()

    def dyn_traits(self) -> None:
        first = True
        while not self.eat("E"):
            if not first:
                self.emit(" + ")
            first = False
            opened = self.path_open_generics()
            while self.eat("p"):
                self.emit(", " if opened else "<")
                opened = True
                self.emit(self.undisambiguated_ident() + " = ")
                self.type()
            if opened:
                self.emit(">")

    # -- const generics (the basic types gdb knows: integers, bool, char, `_`)

    def const(self) -> None:
        if self.eat("B"):
            self.backref(self.const)
            return
        tag = self.next()
        if tag == "p":
            self.emit("_")
            return
        if tag in _CONST_UINT or tag in _CONST_INT:
            if tag in _CONST_INT and self.eat("n"):
                self.emit("-")
            digits = self.hex()
            if not digits:
                raise _Invalid
            self.emit(str(int(digits, 16)) if len(digits) <= 16 else "0x" + digits)
        elif tag == "b":
            digits = self.hex()
            if digits not in ("0", "1"):
                raise _Invalid
            self.emit("true" if digits == "1" else "false")
        elif tag == "c":
            digits = self.hex()
            if not digits or len(digits) > 8:
                raise _Invalid
            self.emit(_quoted_char(int(digits, 16)))
        else:
            raise _Invalid
        if self.verbose:
            self.emit(": " + _BASIC[tag])

    def hex(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in "0123456789abcdef":
            self.pos += 1
        digits = self.s[start:self.pos]
        if not self.eat("_"):
            raise _Invalid
        return digits


def _lifetime_name(depth: int) -> str:
    return "'" + chr(ord("a") + depth) if depth < 26 else f"'_{depth}"


def _quoted_char(code: int) -> str:
    # As libiberty quotes it: the usual escapes, printable ASCII as it is, else \u{..}.
    if 0xD800 <= code < 0xE000 or code > 0x10FFFF:
        raise _Invalid
    escapes = {0x09: "\\t", 0x0D: "\\r", 0x0A: "\\n"}
    if code in escapes:
        return f"'{escapes[code]}'"
    if 0x20 <= code < 0x7F:
        return f"'{chr(code)}'"
    return f"'\\u{{{code:x}}}'"


def _punycode(text: str) -> str:
    """RFC 3492 Punycode, with `_` as the delimiter (Rust replaces `-`, which cannot be in
    a symbol): ASCII characters before the last `_`, the encoded insertions after it."""
    base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
    cut = text.rfind("_")
    out = list(text[:cut]) if cut >= 0 else []
    rest = text[cut + 1:]
    if not rest:
        raise _Invalid
    n, bias, i, pos = 128, 72, 0, 0
    first = True
    while pos < len(rest):
        old_i, w, k = i, 1, base
        while True:
            if pos >= len(rest):
                raise _Invalid
            c = rest[pos]
            pos += 1
            if "a" <= c <= "z":
                digit = ord(c) - ord("a")
            elif "0" <= c <= "9":
                digit = ord(c) - ord("0") + 26
            else:
                raise _Invalid
            i += digit * w
            t = tmin if k <= bias else tmax if k >= bias + tmax else k - bias
            if digit < t:
                break
            w *= base - t
            k += base
        length = len(out) + 1
        # bias adaptation (RFC 3492 section 6.1)
        delta = (i - old_i) // damp if first else (i - old_i) // 2
        first = False
        delta += delta // length
        k = 0
        while delta > ((base - tmin) * tmax) // 2:
            delta //= base - tmin
            k += base
        bias = k + (base - tmin + 1) * delta // (delta + skew)
        n += i // length
        i %= length
        if n > 0x10FFFF or 0xD800 <= n < 0xE000:
            raise _Invalid
        out.insert(i, chr(n))
        i += 1
    return "".join(out)
