"""rvirt: a RISC-V "virt" machine (QEMU 7.2 compatible) written in Python.

`rvirt.Machine` is the Python API (rvirt.api, docs/api.md); the command line does not
load it, so it costs the `rvirt` command nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from rvirt.api import (
        AccessError,
        ConfigError,
        Console,
        Error,
        ImageError,
        LoadWarning,
        Machine,
        MachineClosed,
        NotFound,
        RunResult,
        Snapshot,
        SnapshotError,
        Symbols,
    )

__all__ = ["AccessError", "ConfigError", "Console", "Error", "ImageError", "LoadWarning",
           "Machine", "MachineClosed", "NotFound", "RunResult", "Snapshot", "SnapshotError",
           "Symbols", "__version__"]
_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from rvirt import api
        return getattr(api, name)
    raise AttributeError(f"module 'rvirt' has no attribute {name!r}")
