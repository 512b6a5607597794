"""What a function sees: its arguments and locals, the statics, and the inlined calls
at a pc (DW_TAG_formal_parameter, DW_TAG_variable, DW_TAG_inlined_subroutine)."""

from __future__ import annotations

from typing import Any

from rvirt.debug.dwarf.model import _SCOPE_TAGS, InlineCall, Scope, Variable, _text, _Unit


# One part of DebugInfo (dwarf/__init__.py): it uses the state DebugInfo.__init__ sets
# and the units and DIEs the other parts read, all on the one object.
class Scopes:
    """Variables and inlined calls."""

    def inline_call(self, addr: int) -> tuple[str, int, int, int] | None:
        """When `addr` is in code inlined into its function: (file, line) of the call, as
        gdb shows the caller's line, and the inlined range [lo, hi) holding `addr`."""
        hit = self._dwarf_func(addr)
        if hit is None:
            return None
        f, unit = hit
        for inline in f.inlines:
            for lo, hi in inline.ranges:
                if lo <= addr < hi:
                    index = inline.call_file - unit.file_base
                    if 0 <= index < len(unit.files):
                        return unit.files[index], inline.call_line, lo, hi
        return None

    def inline_chain(self, pc: int) -> list[InlineCall]:
        """The inlined calls whose code holds `pc`, innermost first (gdb's inline frames),
        each with its name, entry, call site, ranges and arguments."""
        hit = self._dwarf_func(pc)
        if hit is None or hit[0].die < 0:
            return []
        f, unit = hit
        out: list[InlineCall] = []
        try:
            die = self._dwarf.get_DIE_from_refaddr(f.die)
            cu = die.cu
            parent = die
            while True:
                for child in parent.iter_children() if parent.has_children else ():
                    if child.tag not in ("DW_TAG_inlined_subroutine", "DW_TAG_lexical_block"):
                        continue
                    ranges = self._die_ranges(child, cu)
                    if not any(lo <= pc < hi for lo, hi in ranges):
                        continue
                    if child.tag == "DW_TAG_inlined_subroutine":
                        out.append(self._inline_call(child, cu, pc, unit, ranges))
                    parent = child
                    break
                else:
                    break
        except Exception as e:  # odd DWARF: no inline frames
            self._fail(e)
            return []
        return list(reversed(out))

    def _inline_call(self, die: Any, cu: Any, pc: int, unit: _Unit,
                     ranges: list[tuple[int, int]]) -> InlineCall:
        a = die.attributes
        origin = die.get_DIE_from_attribute("DW_AT_abstract_origin")
        named = origin
        if "DW_AT_specification" in origin.attributes:
            named = origin.get_DIE_from_attribute("DW_AT_specification")
        n = named.attributes.get("DW_AT_name") or origin.attributes.get("DW_AT_name")
        name = self._type_name(named, _text(n.value)) if n is not None else "??"
        index = a["DW_AT_call_file"].value - unit.file_base if "DW_AT_call_file" in a else -1
        file, full = (unit.files[index], unit.full[index]) \
            if 0 <= index < len(unit.files) else ("??", "")
        line = a["DW_AT_call_line"].value if "DW_AT_call_line" in a else 0
        entry = a["DW_AT_entry_pc"].value if "DW_AT_entry_pc" in a else ranges[0][0]
        args = []
        for child in die.iter_children() if die.has_children else ():
            if child.tag == "DW_TAG_formal_parameter":
                v = self._variable(child, cu, pc)
                if v is not None:
                    args.append(v)
        return InlineCall(name, entry, file, full, line, ranges, args)

    def function_scope(self, pc: int) -> Scope | None:
        """The DWARF function holding `pc` with its arguments, the locals whose lexical
        block holds `pc` (innermost first, as gdb's `info locals` lists them), its frame
        base expression and return type."""
        hit = self._dwarf_func(pc)
        if hit is None or hit[0].die < 0:
            return None
        f, unit = hit
        try:
            die = self._dwarf.get_DIE_from_refaddr(f.die)
            cu = die.cu
            frame_base = None
            fb = die.attributes.get("DW_AT_frame_base")
            if fb is not None and isinstance(fb.value, list):
                frame_base = bytes(fb.value)
            ret = self._type_of(die) if "DW_AT_type" in die.attributes else None
            args: list[Variable] = []
            blocks: list[list[Variable]] = []

            def walk(parent: Any, depth: int) -> None:
                mine: list[Variable] = []
                for child in parent.iter_children():
                    tag = child.tag
                    if tag == "DW_TAG_formal_parameter" and depth == 0:
                        v = self._variable(child, cu, pc)
                        if v is not None:
                            args.append(v)
                    elif tag == "DW_TAG_variable":
                        v = self._variable(child, cu, pc)
                        if v is not None:
                            mine.append(v)
                    elif tag == "DW_TAG_lexical_block" and child.has_children:
                        if any(lo <= pc < hi for lo, hi in self._die_ranges(child, cu)):
                            walk(child, depth + 1)
                blocks.append(mine)

            if die.has_children:
                walk(die, 0)
            locals_ = [v for block in blocks for v in block]
            proto = die.attributes.get("DW_AT_prototyped")
            return Scope(f.name, f.entry, frame_base, args, locals_, ret,
                         bool(proto is not None and proto.value))
        except Exception as e:  # odd DWARF: no variables
            self._fail(e)
            return None

    def static(self, name: str, pc: int | None = None) -> Variable | None:
        """A static (a variable with a fixed address) by name: `TICKS` or `p0::TICKS`;
        without a scope, one in the unit of `pc` is preferred, as gdb looks up."""
        if self._statics is None:
            self._statics = {}
            for unit in list(self._every_unit()):
                try:
                    cu = self._dwarf.get_CU_at(unit.cu_offset)
                    self._collect_statics(cu.get_top_DIE(), cu, [], unit.cu_offset)
                except Exception as e:  # a unit that cannot be walked has no statics
                    self._fail(e)
        found = self._statics.get(name)
        if not found:
            return None
        if pc is not None:
            unit = self._unit_at(pc)
            for cu_offset, v in found:
                if unit is not None and cu_offset == unit.cu_offset:
                    return v
        return found[0][1]

    def _collect_statics(self, die: Any, cu: Any, scope: list[str], cu_offset: int) -> None:
        assert self._statics is not None
        for child in die.iter_children():
            tag = child.tag
            if tag == "DW_TAG_variable" and "DW_AT_location" in child.attributes:
                loc = child.attributes["DW_AT_location"].value
                name = child.attributes.get("DW_AT_name")
                if name is None or not isinstance(loc, list) or not loc or loc[0] != 0x03:
                    continue
                short = _text(name.value)
                typ = self._type_of(child)
                v = Variable(short, typ, bytes(loc), False)
                full = "::".join([*scope, short])
                for key in dict.fromkeys((short, full)):
                    self._statics.setdefault(key, []).append((cu_offset, v))
            elif tag in _SCOPE_TAGS and child.has_children:
                n = child.attributes.get("DW_AT_name")
                if n is not None:
                    self._collect_statics(child, cu, [*scope, _text(n.value)], cu_offset)

    def _variable(self, die: Any, cu: Any, pc: int) -> Variable | None:
        attrs = die.attributes
        name_attr = attrs.get("DW_AT_name")
        typed = die
        if "DW_AT_abstract_origin" in attrs:  # an inlined copy: name and type are there
            origin = die.get_DIE_from_attribute("DW_AT_abstract_origin")
            name_attr = name_attr or origin.attributes.get("DW_AT_name")
            if "DW_AT_type" not in attrs:
                typed = origin
        if name_attr is None:
            return None
        loc = attrs.get("DW_AT_location")
        expr: bytes | None = None
        if loc is not None:
            if isinstance(loc.value, list):
                expr = bytes(loc.value)
            else:
                expr = self._location_list(loc, cu, pc)
        typ = self._type_of(typed)
        return Variable(_text(name_attr.value), typ, expr,
                        die.tag == "DW_TAG_formal_parameter")

    def _location_list(self, attr: Any, cu: Any, pc: int) -> bytes | None:
        from elftools.dwarf.locationlists import LocationEntry, LocationParser
        lists = self._dwarf.location_lists()
        if lists is None:
            return None
        parser = LocationParser(lists)
        top = cu.get_top_DIE()
        base = top.attributes["DW_AT_low_pc"].value if "DW_AT_low_pc" in top.attributes else 0
        entries = parser.parse_from_attribute(attr, cu["version"], die=None) \
            if hasattr(parser, "parse_from_attribute") else []
        for e in entries if isinstance(entries, list) else []:
            if hasattr(e, "base_address"):
                base = e.base_address
            elif isinstance(e, LocationEntry):
                lo, hi = e.begin_offset, e.end_offset
                if not getattr(e, "is_absolute", False):
                    lo, hi = lo + base, hi + base
                if lo <= pc < hi:
                    return bytes(e.loc_expr)
        return None
