"""What the ELFs loaded into a machine say about its code: one DebugInfo per image
(-bios, then -kernel), made on first use, asked in turn.  Shared by everything above the
board that names code (the debug facade, hints, logs, the profile): the board itself
knows nothing of DWARF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from rvirt.board.virt import Machine
    from rvirt.debug.dwarf import DebugInfo, Function


class DebugInfos:
    """The DebugInfo of each ELF image of a machine, read when first asked for (reading
    symbols and DWARF costs nothing until someone needs a name)."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = paths
        self._infos: list[DebugInfo] | None = None

    @property
    def infos(self) -> list[DebugInfo]:
        if self._infos is None:
            from rvirt.debug.dwarf import DebugInfo  # pyelftools only when needed
            self._infos = [DebugInfo(path) for path in self._paths]
        return self._infos

    def __iter__(self) -> Iterator[DebugInfo]:
        return iter(self.infos)

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, i: int) -> DebugInfo:
        return self.infos[i]

    def function_at(self, pc: int) -> Function | None:
        for info in self.infos:
            f = info.function_at(pc)
            if f is not None:
                return f
        return None

    def where(self, pc: int) -> str:
        """`p0::entry at src/main.rs:37`, `_start+0x8`, or the address: for messages."""
        for info in self.infos:
            text = info.where(pc)
            if text != f"{pc:#x}":
                return text
        return f"{pc:#x}"


_BY_MACHINE: WeakKeyDictionary[Machine, DebugInfos] = WeakKeyDictionary()


def debug_infos(m: Machine) -> DebugInfos:
    """The machine's DebugInfos (one per machine, whoever asks first)."""
    infos = _BY_MACHINE.get(m)
    if infos is None:
        infos = _BY_MACHINE[m] = DebugInfos([img.path for img in m.images if not img.raw])
    return infos
