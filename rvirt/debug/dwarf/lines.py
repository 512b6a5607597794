"""The DWARF line table (.debug_line) of an image: an address's line and its span,
a line's addresses, statement starts and the end of a function's prologue."""

from __future__ import annotations

import posixpath
from bisect import bisect_right
from typing import Any

from rvirt.debug.dwarf.model import LineSpan, _row_at, _same_file, _text, _Unit


# One part of DebugInfo (dwarf/__init__.py): it uses the state DebugInfo.__init__ sets
# and the units and DIEs the other parts read, all on the one object.
class Lines:
    """Source lines."""

    def line_at(self, addr: int, *, full_path: bool = False) -> tuple[str, int] | None:
        """(file, line) of the line-table row holding `addr`, the file named as gdb's
        `info line` names it (`src/main.rs`), or absolute with full_path=True."""
        unit = self._unit_at(addr)
        if unit is None:
            return None
        row = _row_at(unit, addr)
        if row is None:
            return None
        file, line, _ = row
        return (unit.full if full_path else unit.files)[file], line

    def addresses_of_line(self, file: str, line: int) -> list[int]:
        """Addresses where statement rows of `file`:`line` start (sorted), `file` given as
        gdb takes it: the name it prints, an absolute path, or a trailing part
        (`main.rs`)."""
        found: set[int] = set()
        for unit in self._every_unit():
            wanted = {i for i, (shown, full) in enumerate(zip(unit.files, unit.full, strict=True))
                      if _same_file(file, shown, full)}
            if not wanted:
                continue
            prev: tuple[int, int, bool] | None = None
            for addr, row in zip(unit.line_addrs, unit.line_rows, strict=True):
                f, ln, stmt = row
                # a row continuing the same line is not where the line starts
                if f in wanted and ln == line and stmt and (prev is None or prev[:2] != (f, ln)):
                    found.add(addr)
                prev = row
        return sorted(found)

    def _read_lines(self, cu: Any, unit: _Unit) -> None:
        program = self._dwarf.line_program_for_CU(cu)
        if program is None:
            return
        top = cu.get_top_DIE()
        comp_dir = _text(top.attributes["DW_AT_comp_dir"].value) \
            if "DW_AT_comp_dir" in top.attributes else ""
        version = program["version"]
        dirs = [_text(d) for d in program["include_directory"]]
        for entry in program["file_entry"]:
            name = _text(entry.name)
            d = entry.dir_index
            # As gdb 13 names files: a relative name is joined to its include directory,
            # except directory 0, the compilation directory (numbered from 1 before
            # DWARF 5, from 0 since).
            if d and not posixpath.isabs(name):
                index = d if version >= 5 else d - 1
                if index < len(dirs):
                    name = posixpath.join(dirs[index], name)
            unit.files.append(name)
            unit.full.append(posixpath.normpath(posixpath.join(comp_dir, name)))
        unit.file_base = 0 if version >= 5 else 1  # numbered from 1 before DWARF 5
        rows: list[tuple[int, int, int, int, bool]] = []  # addr, order, file, line, stmt
        seq: list[tuple[int, int, int, bool]] = []
        seq_start: int | None = None
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if seq_start is None:
                seq_start = state.address
            if state.prologue_end:
                unit.prologue_ends.append(state.address)
            if state.end_sequence:
                if seq and self._real_code(seq_start):
                    for addr, file, line, stmt in seq:
                        rows.append((addr, len(rows), file, line, stmt))
                    # the end of a sequence: no line from here on (line 0)
                    rows.append((state.address, len(rows), -1, 0, True))
                seq, seq_start = [], None
                continue
            file = state.file - unit.file_base
            # gdb keeps no row for line 0 (read.c lnp_state_machine::record_line)
            if state.line != 0 and 0 <= file < len(unit.files):
                seq.append((state.address, file, state.line, bool(state.is_stmt)))
        # by address; at one address the end of a sequence comes first, as gdb sorts it
        rows.sort(key=lambda r: (r[0], r[3] != 0, r[1]))
        for addr, _, file, line, stmt in rows:
            unit.line_addrs.append(addr)
            unit.line_rows.append((file, line, stmt))
        unit.prologue_ends.sort()

    def _line_in_function(self, addr: int) -> tuple[str, int] | None:
        hit = self._dwarf_func(addr)
        if hit is not None:
            f, unit = hit
            for inline in f.inlines:
                if any(lo <= addr < hi for lo, hi in inline.ranges):
                    index = inline.call_file - unit.file_base
                    if 0 <= index < len(unit.files):
                        return unit.files[index], inline.call_line
        return self.line_at(addr)

    def line_span(self, addr: int) -> LineSpan | None:
        """The line-table row block holding `addr`, as gdb's find_pc_line returns it: the
        row's address (`start`), where the next row begins (`end`), file and line."""
        unit = self._unit_at(addr)
        if unit is None:
            return None
        i = bisect_right(unit.line_addrs, addr) - 1
        if i < 0:
            return None
        row = _row_at(unit, addr)
        if row is None:
            return None
        start = unit.line_addrs[i]
        # a row that is not a statement continues the statement rows of its line before
        # it: gdb's pc for the line is theirs (a frame there shows its address)
        k = i
        while (k > 0 and not unit.line_rows[k][2]
               and unit.line_rows[k - 1][:2] == unit.line_rows[k][:2]):
            k -= 1
        if unit.line_rows[k][2] and unit.line_rows[k][:2] == unit.line_rows[i][:2]:
            start = unit.line_addrs[k]
        # the row gdb picks may be an earlier one at the same address
        j = bisect_right(unit.line_addrs, addr)
        end = unit.line_addrs[j] if j < len(unit.line_addrs) else start + 1
        file, line, _ = row
        return LineSpan(start, end, unit.files[file], line, unit.full[file])

    def line_is_stmt_start(self, addr: int) -> bool:
        """True when a statement row of the line table starts exactly at `addr`."""
        unit = self._unit_at(addr)
        if unit is None:
            return False
        i = bisect_right(unit.line_addrs, addr) - 1
        while i >= 0 and unit.line_addrs[i] == addr:
            if unit.line_rows[i][2] and unit.line_rows[i][1]:
                return True
            i -= 1
        return False

    def post_prologue(self, addr: int) -> int | None:
        """Where gdb 13 puts `break FUNC` for a function starting at `addr`, when the line
        table can tell: the first prologue_end row in the function (symtab.c
        skip_prologue_using_linetable), else the end of the function's first line, past
        rows of inlined calls on later lines (skip_prologue_using_sal).  None when the
        function has no line information (the caller scans the code instead)."""
        hit = self._dwarf_func(addr)
        if hit is None:
            return None
        f, unit = hit
        lo, hi = f.low, f.high
        k = bisect_right(unit.prologue_ends, lo - 1)
        if k < len(unit.prologue_ends) and unit.prologue_ends[k] < hi:
            return unit.prologue_ends[k]
        first = self.line_span(lo)
        if first is None:
            return None
        end = first.end
        while end < hi:
            sal = self.line_span(end)
            if sal is None or sal.line == 0:
                break
            inlined = any(any(a <= end < b for a, b in il.ranges) for il in f.inlines)
            if sal.line >= first.line and sal.end <= hi and inlined:
                end = sal.end
                continue
            break
        if end >= hi:
            return None
        return end

    def file_entries(self, file: str) -> int:
        """How many line-table file entries name `file` (DWARF 5 tables often list the
        primary file twice, as entries 0 and 1; gdb makes a symtab of each)."""
        n = 0
        for unit in self._every_unit():
            n += sum(1 for shown, full in zip(unit.files, unit.full, strict=True)
                     if _same_file(file, shown, full))
        return n
