"""DWARF types as the debugger's values use them: base, pointer, array, struct, union,
enum, Rust enums with variant parts, function types; and the types a name finds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rvirt.debug.dwarf.model import _SCOPE_TAGS, _TYPE_TAGS, VOID, Field, Type, _text


# One part of DebugInfo (dwarf/__init__.py): it uses the state DebugInfo.__init__ sets
# and the units and DIEs the other parts read, all on the one object.
class Types:
    """DWARF types."""

    def named_type(self, tag: str, name: str, pc: int | None = None) -> Type | None:
        """A type by name, as an expression's cast or `sizeof` or `ptype` names it: tag
        "struct", "union" or "enum" with a C tag's name, or "" for a typedef, a base type
        or a Rust type's path (`hello::Uart`), or "enumerator" for the C enum type that
        has an enumerator of that name; one in the unit of `pc` is preferred, as gdb
        looks up."""
        if self._named is None:
            self._named = {}
            for unit in list(self._every_unit()):
                try:
                    cu = self._dwarf.get_CU_at(unit.cu_offset)
                    self._collect_types(cu.get_top_DIE(), unit.cu_offset, [])
                except Exception as e:  # a unit that cannot be walked has no types
                    self._fail(e)
        found = self._named.get((tag, name))
        if not found:
            return None
        unit = self._unit_at(pc) if pc is not None else None
        offset = next((o for cu, o in found if unit is not None and cu == unit.cu_offset),
                      found[0][1])
        try:
            return self._type(self._dwarf.get_DIE_from_refaddr(offset))
        except Exception as e:  # a dangling reference: no such type
            self._fail(e)
            return None

    def _collect_types(self, die: Any, cu_offset: int, scope: list[str]) -> None:
        """Index the types `die` holds for named_type: C's by tag and name; those in a
        namespace (Rust's) by their path, `hello::Uart`, with tag ""."""
        assert self._named is not None
        for child in die.iter_children():
            n = child.attributes.get("DW_AT_name")
            if child.tag == "DW_TAG_namespace":
                if n is not None and child.has_children:
                    self._collect_types(child, cu_offset, [*scope, _text(n.value)])
                continue
            kind = _TYPE_TAGS.get(child.tag)
            if kind == "enum" and child.has_children and not scope:
                # its enumerators are names of constants: `p GREEN`
                for e in child.iter_children():
                    en = e.attributes.get("DW_AT_name")
                    if e.tag == "DW_TAG_enumerator" and en is not None:
                        self._named.setdefault(("enumerator", _text(en.value)), []).append(
                            (cu_offset, child.offset))
            if kind is None or n is None or "DW_AT_declaration" in child.attributes:
                continue
            key = (kind, _text(n.value)) if not scope else \
                ("", "::".join([*scope, _text(n.value)]))
            self._named.setdefault(key, []).append((cu_offset, child.offset))

    def _type_of(self, die: Any) -> Type:
        if "DW_AT_type" not in die.attributes:
            return VOID
        try:
            return self._type(die.get_DIE_from_attribute("DW_AT_type"))
        except Exception as e:  # a dangling reference: no type
            self._fail(e)
            return VOID

    def _type(self, die: Any) -> Type:
        cached = self._types.get(die.offset)
        if cached is not None:
            return cached
        a = die.attributes
        tag = die.tag
        name = _text(a["DW_AT_name"].value) if "DW_AT_name" in a else ""
        size = a["DW_AT_byte_size"].value if "DW_AT_byte_size" in a else 0
        t = Type("void", name, size)
        self._types[die.offset] = t  # before the members: types may refer to themselves
        if tag == "DW_TAG_base_type":
            enc = a["DW_AT_encoding"].value if "DW_AT_encoding" in a else 0
            t.kind = "unit" if size == 0 else "base"
            t.encoding = {0x02: "bool", 0x04: "float", 0x05: "signed", 0x06: "signed char",
                          0x07: "unsigned", 0x08: "unsigned char", 0x10: "char"}.get(enc,
                                                                                  "unsigned")
        elif tag in ("DW_TAG_pointer_type", "DW_TAG_reference_type"):
            t.kind = "pointer"
            t.size = size or 4
            t.target = self._type_of(die)
            # gdb ignores a pointer's DW_AT_name (read.c read_tag_pointer_type): Rust's
            # `&mut T` is shown as `*mut T`
            t.name = ""
        elif tag in ("DW_TAG_typedef", "DW_TAG_const_type", "DW_TAG_volatile_type"):
            # the type itself, for every check of its kind; a copy carries the typedef's
            # name and the qualifiers, which C names show (`handler_t`, `const char *`)
            inner = self._type_of(die)
            if tag == "DW_TAG_typedef":
                t = replace(inner, alias=name, quals="", under=inner)
            else:
                word = "const" if tag == "DW_TAG_const_type" else "volatile"
                quals = " ".join(q for q in ("const", "volatile")
                                 if q == word or q in inner.quals.split())
                t = replace(inner, quals=quals)
            t.plain = inner.plain or inner
            self._types[die.offset] = t
            return t
        elif tag == "DW_TAG_subroutine_type":
            t.kind = "func"
            self._prototype(die, t)
        elif tag == "DW_TAG_array_type":
            t.kind = "array"
            elem = self._type_of(die)
            counts = []
            for child in die.iter_children():
                if child.tag == "DW_TAG_subrange_type":
                    ca = child.attributes
                    count = 0
                    if "DW_AT_count" in ca:
                        count = ca["DW_AT_count"].value
                    elif "DW_AT_upper_bound" in ca:
                        count = ca["DW_AT_upper_bound"].value + 1
                    counts.append(count if isinstance(count, int) else 0)
            counts = counts or [0]
            # C's `T a[2][3]` is one DIE with two subranges: an array of arrays
            for count in reversed(counts[1:]):
                elem = Type("array", "", count * elem.size, target=elem, count=count)
            t.target = elem
            t.count = counts[0]
            t.size = size or counts[0] * elem.size
        elif tag == "DW_TAG_enumeration_type":
            t.kind = "enum"
            t.tag = "enum"
            t.name = self._type_name(die, name)
            base = self._type_of(die) if "DW_AT_type" in a else None
            for child in die.iter_children():
                if child.tag == "DW_TAG_enumerator":
                    t.enumerators.append((_text(child.attributes["DW_AT_name"].value),
                                          child.attributes["DW_AT_const_value"].value))
            # without an underlying type, unsigned unless an enumerator is negative (gdb's
            # update_enumeration_type_from_children)
            t.encoding = base.encoding if base is not None else \
                "signed" if any(v < 0 for _, v in t.enumerators) else "unsigned"
        elif tag in ("DW_TAG_structure_type", "DW_TAG_union_type", "DW_TAG_class_type"):
            t.kind = "struct"
            t.tag = {"DW_TAG_union_type": "union", "DW_TAG_class_type": "class"}.get(tag,
                                                                                 "struct")
            t.stub = "DW_AT_declaration" in a  # only declared here: `struct opaque;`
            t.name = self._type_name(die, name)
            for child in die.iter_children() if die.has_children else ():
                if child.tag == "DW_TAG_member":
                    t.fields.append(self._member(child))
                elif child.tag == "DW_TAG_variant_part":
                    t.kind = "variant"
                    self._variant_part(child, t)
        return t

    def _member(self, die: Any) -> Field:
        a = die.attributes
        offset = a["DW_AT_data_member_location"].value \
            if "DW_AT_data_member_location" in a else 0
        if not isinstance(offset, int):
            offset = 0
        name = _text(a["DW_AT_name"].value) if "DW_AT_name" in a else ""
        typ = self._type_of(die)
        bits = a["DW_AT_bit_size"].value if "DW_AT_bit_size" in a else 0
        if not bits:
            return Field(name, offset, typ)
        # a bitfield: DWARF 5's bit offset from the structure's start, or DWARF 2-4's
        # DW_AT_bit_offset, counted from the most significant bit of a storage unit of
        # DW_AT_byte_size bytes at the member location (little-endian here)
        if "DW_AT_data_bit_offset" in a:
            start = a["DW_AT_data_bit_offset"].value
        else:
            unit = a["DW_AT_byte_size"].value if "DW_AT_byte_size" in a else typ.size
            msb = a["DW_AT_bit_offset"].value if "DW_AT_bit_offset" in a else 0
            start = offset * 8 + unit * 8 - msb - bits
        return Field(name, start // 8, typ, bits, start % 8)

    def _prototype(self, die: Any, t: Type) -> None:
        """A function type's return type (`target`) and parameters (`params`)."""
        t.target = self._type_of(die)
        t.prototyped = bool(die.attributes.get("DW_AT_prototyped", None)
                            and die.attributes["DW_AT_prototyped"].value)
        for child in die.iter_children() if die.has_children else ():
            if child.tag == "DW_TAG_formal_parameter":
                t.params.append(self._type_of(child))
            elif child.tag == "DW_TAG_unspecified_parameters":
                t.varargs = True

    def _variant_part(self, die: Any, t: Type) -> None:
        discr_ref = die.attributes.get("DW_AT_discr")
        discr_off = die.cu.cu_offset + discr_ref.value if discr_ref is not None else None
        for child in die.iter_children():
            if child.tag == "DW_TAG_member":
                m = self._member(child)
                if discr_off is None or child.offset == discr_off:
                    t.discr = m
            elif child.tag == "DW_TAG_variant":
                value = child.attributes.get("DW_AT_discr_value")
                for m in child.iter_children():
                    if m.tag == "DW_TAG_member":
                        t.variants.append((value.value if value is not None else None,
                                           self._member(m)))

    def _type_name(self, die: Any, name: str) -> str:
        """A type's name as gdb shows it: qualified by the namespaces and types around
        its DIE (`trap::TrapFrame`, `core::result::Result<(), core::fmt::Error>::Ok`)."""
        parts = [name]
        parent = die.get_parent()
        while parent is not None and parent.tag in _SCOPE_TAGS:
            n = parent.attributes.get("DW_AT_name")
            if n is None:
                break
            parts.append(_text(n.value))
            parent = parent.get_parent()
        return "::".join(reversed(parts))
