"""Call frame information (.debug_frame): the CFA rule and saved registers at a pc, for
the debugger's unwinder."""

from __future__ import annotations

from bisect import bisect_right

from rvirt.debug.dwarf.model import FrameRule


# One part of DebugInfo (dwarf/__init__.py): it uses the state DebugInfo.__init__ sets
# and the units and DIEs the other parts read, all on the one object.
class Cfi:
    """Call frame rules."""

    def frame_rule(self, pc: int) -> FrameRule | None:
        """How to find the caller's frame from `pc`: the CFA rule and where registers were
        saved, from the FDE covering `pc` (None when no FDE does)."""
        if self._fdes is None:
            self._load_fdes()
        assert self._fdes is not None
        i = bisect_right(self._fde_lows, pc) - 1
        if i < 0:
            return None
        lo, hi, fde = self._fdes[i]
        if not lo <= pc < hi:
            return None
        try:
            table = fde.get_decoded().table
        except Exception as e:  # a broken FDE: as if there were none
            self._fail(e)
            return None
        row = None
        for r in table:
            if r["pc"] <= pc:
                row = r
            else:
                break
        if row is None or row["cfa"].reg is None:
            return None
        saved: dict[int, int | None] = {}
        for reg, rule in row.items():
            if not isinstance(reg, int):
                continue
            if rule.type == "OFFSET":
                saved[reg] = rule.arg
            elif rule.type == "UNDEFINED":
                saved[reg] = None
        return FrameRule(row["cfa"].reg, row["cfa"].offset, saved)

    def _load_fdes(self) -> None:
        self._fdes = []
        self._fde_lows = []
        dwarf = self._dwarf_info() if self._open() is not None else None
        if dwarf is None:
            return
        try:
            from elftools.dwarf.callframe import FDE
            if dwarf.has_CFI():
                entries = dwarf.CFI_entries()
            elif dwarf.has_EH_CFI():
                entries = dwarf.EH_CFI_entries()
            else:
                entries = []
            fdes = []
            for e in entries:
                if isinstance(e, FDE):
                    lo = e.header["initial_location"]
                    fdes.append((lo, lo + e.header["address_range"], e))
            fdes.sort(key=lambda t: t[0])
            self._fdes = fdes
            self._fde_lows = [t[0] for t in fdes]
        except Exception as e:  # no unwinding information: frames stop at the first
            self._fail(e)
