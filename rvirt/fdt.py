"""A small flattened-device-tree (DTB, version 17) writer and reader, pure Python.

Owns the binary format only (Devicetree Specification v0.4, chapter 5 "Flattened
Devicetree (DTB) Format"): nodes with ordered properties, the strings block, the memory
reservation map and the header.  What goes *in* the tree is the board's business
(`rvirt.board.devicetree`) and each device's (`fdt_node` functions in `rvirt.devices`).

Property values are plain Python objects, encoded as dtc/libfdt would store them:

=====================  ==========================================================
``int``                one big-endian u32 cell (``<0x0a>``)
``Sequence[int]``      u32 cells (``<0x00 0x80000000>``); use `u64` for 64-bit numbers
``str``                a NUL-terminated string
``Sequence[str]``      a string list (``"a\\0b"``)
``bytes``              raw bytes, stored as given
``True`` / ``None``    an empty (boolean) property such as ``interrupt-controller;``
=====================  ==========================================================
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence

FDT_MAGIC = 0xD00DFEED
FDT_VERSION = 17
FDT_LAST_COMP_VERSION = 16
FDT_BEGIN_NODE = 1
FDT_END_NODE = 2
FDT_PROP = 3
FDT_NOP = 4
FDT_END = 9
HEADER_SIZE = 40  # ten big-endian u32 fields (spec 5.2)

PropValue = int | str | bytes | bool | None | Sequence[int] | Sequence[str]


def u64(value: int) -> tuple[int, int]:
    """A 64-bit number as two u32 cells (high, low), the form `reg` uses with 2 cells."""
    if not 0 <= value < 1 << 64:
        raise ValueError(f"u64 out of range: {value:#x}")
    return (value >> 32, value & 0xFFFF_FFFF)


def encode_value(value: PropValue) -> bytes:
    """The bytes a property value is stored as (see the module docstring)."""
    if value is None or value is True:
        return b""
    if value is False:
        raise TypeError("False is not a property value; leave the property out instead")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, int):
        return _encode_cells((value,))
    if isinstance(value, Sequence):
        items = list(value)
        if items and all(isinstance(v, str) for v in items):
            return b"".join(_encode_string(v) for v in items)  # type: ignore[arg-type]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            return _encode_cells(items)  # type: ignore[arg-type]
    raise TypeError(f"unsupported property value: {value!r}")


def _encode_string(text: str) -> bytes:
    data = text.encode()
    if b"\0" in data:
        raise ValueError(f"NUL inside a string property: {text!r}")
    return data + b"\0"


def _encode_cells(cells: Iterable[int]) -> bytes:
    out = bytearray()
    for cell in cells:
        if not 0 <= cell <= 0xFFFF_FFFF:
            raise ValueError(f"cell out of u32 range: {cell:#x}")
        out += cell.to_bytes(4, "big")
    return bytes(out)


class Node:
    """One device-tree node: a name (``unit@addr``), ordered properties, ordered children.

    Properties keep insertion order and are stored encoded, so what you read back with
    `get` is exactly what goes into the blob.
    """

    __slots__ = ("name", "props", "children")

    def __init__(self, name: str, props: Iterable[tuple[str, PropValue]] = (),
                 children: Iterable[Node] = ()) -> None:
        if "/" in name:
            raise ValueError(f"node name may not contain '/': {name!r}")
        self.name = name
        self.props: dict[str, bytes] = {}
        self.children: list[Node] = []
        for key, value in props:
            self.set(key, value)
        self.add(*children)

    def set(self, name: str, value: PropValue = True) -> Node:
        """Set a property (replacing an existing one in place); returns self."""
        if not name or len(name) > 31:  # spec 2.2.4: 1 to 31 characters
            raise ValueError(f"bad property name: {name!r}")
        self.props[name] = encode_value(value)
        return self

    def get(self, name: str) -> bytes:
        return self.props[name]

    def add(self, *children: Node) -> Node:
        """Append child nodes; returns self."""
        for child in children:
            if any(c.name == child.name for c in self.children):
                raise ValueError(f"duplicate node {child.name!r} under {self.name!r}")
            self.children.append(child)
        return self

    def child(self, name: str) -> Node:
        for c in self.children:
            if c.name == name:
                return c
        raise KeyError(name)

    def find(self, path: str) -> Node:
        """The node at an absolute path such as ``/soc/serial@10000000``."""
        node = self
        for part in path.strip("/").split("/"):
            if part:
                node = node.child(part)
        return node

    def walk(self, _path: str | None = None) -> Iterator[tuple[str, Node]]:
        """(path, node) for this node and every node below it, depth first, in order."""
        path = _path if _path is not None else ("/" if self.name == "" else "/" + self.name)
        yield path, self
        for c in self.children:
            yield from c.walk(path.rstrip("/") + "/" + c.name)

    def __repr__(self) -> str:
        return f"Node({self.name!r}, {len(self.props)} props, {len(self.children)} children)"


class _Strings:
    """The strings block: property names, each stored once.

    Like libfdt's `fdt_find_add_string_`, a name that already occurs as the tail of a
    stored string (followed by its NUL) reuses that offset.
    """

    def __init__(self) -> None:
        self.blob = bytearray()
        self._cache: dict[str, int] = {}

    def offset(self, name: str) -> int:
        off = self._cache.get(name)
        if off is None:
            key = name.encode() + b"\0"
            off = self.blob.find(key)
            if off < 0:
                off = len(self.blob)
                self.blob += key
            self._cache[name] = off
        return off


def _pad4(buf: bytearray) -> None:
    buf += b"\0" * (-len(buf) % 4)


def build_dtb(root: Node, *, reserved: Sequence[tuple[int, int]] = (),
              boot_cpuid: int = 0) -> bytes:
    """Flatten `root` (whose name must be empty) into a version-17 DTB.

    Layout as libfdt leaves it after `fdt_pack`: header, memory reservation map at 0x28,
    structure block, strings block, no gaps beyond the required alignment.
    """
    if root.name != "":
        raise ValueError("the root node's name must be empty")
    strings = _Strings()
    dt_struct = bytearray()

    def emit(node: Node) -> None:
        dt_struct.extend(struct.pack(">I", FDT_BEGIN_NODE))
        dt_struct.extend(node.name.encode() + b"\0")
        _pad4(dt_struct)
        for name, data in node.props.items():
            dt_struct.extend(struct.pack(">III", FDT_PROP, len(data), strings.offset(name)))
            dt_struct.extend(data)
            _pad4(dt_struct)
        for child in node.children:
            emit(child)
        dt_struct.extend(struct.pack(">I", FDT_END_NODE))

    emit(root)
    dt_struct.extend(struct.pack(">I", FDT_END))

    rsvmap = bytearray()
    for address, size in reserved:
        rsvmap += struct.pack(">QQ", address, size)
    rsvmap += struct.pack(">QQ", 0, 0)

    off_rsvmap = HEADER_SIZE  # already 8-byte aligned, as the spec requires
    off_struct = off_rsvmap + len(rsvmap)
    off_strings = off_struct + len(dt_struct)
    total = off_strings + len(strings.blob)
    header = struct.pack(">10I", FDT_MAGIC, total, off_struct, off_strings, off_rsvmap,
                         FDT_VERSION, FDT_LAST_COMP_VERSION, boot_cpuid,
                         len(strings.blob), len(dt_struct))
    return header + bytes(rsvmap) + bytes(dt_struct) + bytes(strings.blob)


class FdtHeader:
    """The decoded DTB header fields (spec 5.2)."""

    __slots__ = ("magic", "totalsize", "off_dt_struct", "off_dt_strings", "off_mem_rsvmap",
                 "version", "last_comp_version", "boot_cpuid_phys", "size_dt_strings",
                 "size_dt_struct")

    def __init__(self, blob: bytes) -> None:
        if len(blob) < HEADER_SIZE:
            raise ValueError("DTB shorter than its header")
        values = struct.unpack_from(">10I", blob, 0)
        for slot, value in zip(self.__slots__, values, strict=True):
            setattr(self, slot, value)
        if self.magic != FDT_MAGIC:
            raise ValueError(f"bad DTB magic {self.magic:#x}")


def parse_dtb(blob: bytes) -> tuple[Node, list[tuple[int, int]]]:
    """Read a DTB back into a `Node` tree (values as raw bytes) and its reservations."""
    hdr = FdtHeader(blob)
    reserved: list[tuple[int, int]] = []
    pos = hdr.off_mem_rsvmap
    while True:
        address, size = struct.unpack_from(">QQ", blob, pos)
        pos += 16
        if address == 0 and size == 0:
            break
        reserved.append((address, size))

    strings = blob[hdr.off_dt_strings:hdr.off_dt_strings + hdr.size_dt_strings]
    pos = hdr.off_dt_struct
    end = pos + hdr.size_dt_struct
    stack: list[Node] = []
    root: Node | None = None
    while pos < end:
        (token,) = struct.unpack_from(">I", blob, pos)
        pos += 4
        if token == FDT_BEGIN_NODE:
            nul = blob.index(b"\0", pos)
            node = Node(blob[pos:nul].decode())
            pos = (nul + 4) & ~3
            if stack:
                stack[-1].add(node)
            elif root is None:
                root = node
            else:
                raise ValueError("DTB has more than one root node")
            stack.append(node)
        elif token == FDT_PROP:
            length, nameoff = struct.unpack_from(">II", blob, pos)
            pos += 8
            name = strings[nameoff:strings.index(b"\0", nameoff)].decode()
            stack[-1].props[name] = bytes(blob[pos:pos + length])
            pos = (pos + length + 3) & ~3
        elif token == FDT_END_NODE:
            stack.pop()
        elif token == FDT_NOP:
            continue
        elif token == FDT_END:
            break
        else:
            raise ValueError(f"bad DTB token {token:#x} at {pos - 4:#x}")
    if root is None or stack:
        raise ValueError("DTB structure block is unbalanced")
    return root, reserved
