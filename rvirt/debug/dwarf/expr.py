"""DWARF location expressions (DWARF 5 section 2.5, 2.6): where a variable or frame base
is, given the registers and memory."""

from __future__ import annotations

from typing import Any


class LocationError(Exception):
    """A location expression the debugger cannot evaluate."""


def evaluate_location(expr: bytes, register: Any, frame_base: int | None = None,
                      read_word: Any = None) -> tuple[str, int]:
    """Evaluate a DWARF location expression (DWARF 5 section 2.5-2.6): ("memory", addr),
    ("register", regno) or ("value", v).  `register(n)` reads register n of the frame;
    `read_word(addr)` reads 4 bytes (DW_OP_deref)."""
    stack: list[int] = []
    i = 0
    mask = 0xFFFFFFFF

    def leb(signed: bool) -> int:
        """A LEB128 number at i (DWARF 5, 7.6), i moved past it."""
        nonlocal i
        value = shift = 0
        while True:
            b = expr[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value - (1 << shift) if signed and b & 0x40 else value

    def uleb() -> int:
        return leb(False)

    def sleb() -> int:
        return leb(True)

    while i < len(expr):
        op = expr[i]
        i += 1
        if op == 0x03:  # DW_OP_addr
            stack.append(int.from_bytes(expr[i:i + 4], "little"))
            i += 4
        elif 0x50 <= op <= 0x6F:  # DW_OP_reg0..31
            return "register", op - 0x50
        elif op == 0x90:  # DW_OP_regx
            return "register", uleb()
        elif 0x70 <= op <= 0x8F:  # DW_OP_breg0..31
            stack.append((register(op - 0x70) + sleb()) & mask)
        elif op == 0x92:  # DW_OP_bregx
            reg = uleb()
            stack.append((register(reg) + sleb()) & mask)
        elif op == 0x91:  # DW_OP_fbreg
            if frame_base is None:
                raise LocationError("no frame base")
            stack.append((frame_base + sleb()) & mask)
        elif 0x30 <= op <= 0x4F:  # DW_OP_lit0..31
            stack.append(op - 0x30)
        elif op in (0x08, 0x09):  # const1u/s
            v = expr[i]
            stack.append(v - 256 if op == 0x09 and v > 127 else v)
            i += 1
        elif op in (0x0A, 0x0B):
            stack.append(int.from_bytes(expr[i:i + 2], "little", signed=op == 0x0B))
            i += 2
        elif op in (0x0C, 0x0D):
            stack.append(int.from_bytes(expr[i:i + 4], "little", signed=op == 0x0D))
            i += 4
        elif op == 0x10:
            stack.append(uleb())
        elif op == 0x11:
            stack.append(sleb())
        elif op == 0x23:  # plus_uconst
            stack.append((stack.pop() + uleb()) & mask)
        elif op == 0x22:
            b, a = stack.pop(), stack.pop()
            stack.append((a + b) & mask)
        elif op == 0x1C:
            b, a = stack.pop(), stack.pop()
            stack.append((a - b) & mask)
        elif op == 0x06:  # deref
            if read_word is None:
                raise LocationError("cannot dereference")
            stack.append(read_word(stack.pop()))
        elif op == 0x9C:  # call_frame_cfa
            if frame_base is None:
                raise LocationError("no CFA")
            stack.append(frame_base)
        elif op == 0x9F:  # stack_value
            return "value", stack[-1]
        elif op == 0x93:  # piece: the first piece is what this debugger shows
            break
        else:
            raise LocationError(f"DW_OP {op:#x}")
    if not stack:
        raise LocationError("empty location")
    return "memory", stack[-1]

