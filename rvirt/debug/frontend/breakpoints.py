"""Breakpoints and watchpoints of a debugging session (gdb's breakpoint.c): the table,
their insertion in the target, and which one a stop hit."""

from __future__ import annotations

from dataclasses import dataclass

from rvirt.debug.dwarf import Type
from rvirt.debug.frontend.infrun import Event
from rvirt.debug.frontend.values import INT, EvalError, Printer, Value
from rvirt.debug.target import Stop


@dataclass
class Breakpoint:
    number: int
    kind: str  # "breakpoint", "hw watchpoint", "read watchpoint", "acc watchpoint"
    temporary: bool
    addr: int = 0
    expr: str = ""
    length: int = 0
    old: bytes | None = None
    hits: int = 0
    enabled: bool = True
    what: str = ""


# One part of the Debugger (session.py): it uses the state Debugger.__init__ sets and
# the methods of the other parts, all on the one session object.
class Breakpoints:
    """The breakpoint table of a session."""

    def breakpoint_at(self, addr: int) -> Breakpoint | None:
        for bp in self.breakpoints.values():
            if bp.kind == "breakpoint" and bp.enabled and bp.addr == addr:
                return bp
        return None

    def watchpoint_for(self, stop: Stop) -> Breakpoint | None:
        for bp in self.breakpoints.values():
            if bp.kind != "breakpoint" and bp.enabled and bp.addr <= stop.addr < bp.addr + \
                    max(bp.length, 1):
                return bp
        for bp in self.breakpoints.values():
            if bp.kind != "breakpoint" and bp.enabled:
                return bp
        return None

    def refresh_watches(self) -> None:
        """What each watchpoint's value is now, to compare with at its next hit (gdb
        keeps the value it last showed; reverse moves and steps change it)."""
        for bp in self.breakpoints.values():
            if bp.kind != "breakpoint":
                bp.old = self.target.read_memory(bp.addr, bp.length)

    def _watch_kind(self, bp: Breakpoint) -> str:
        return {"hw watchpoint": "watch", "read watchpoint": "rwatch",
                "acc watchpoint": "awatch"}[bp.kind]

    def insert_watch(self, bp: Breakpoint) -> None:
        self.target.add_watchpoint(self._watch_kind(bp), bp.addr, bp.length)

    def remove_watch(self, bp: Breakpoint) -> None:
        self.target.remove_watchpoint(self._watch_kind(bp), bp.addr, bp.length)

    def watch_type(self, bp: Breakpoint) -> Type:
        try:
            return self.eval(bp.expr).type
        except EvalError:
            return INT

    def show_watch_value(self, p: Printer, typ: Type, data: bytes | None) -> str:
        if data is None:
            return "<unreadable>"
        return p.value(Value(typ, data))

    def delete_breakpoint(self, bp: Breakpoint) -> None:
        self.breakpoints.pop(bp.number, None)
        if bp.kind == "breakpoint":
            if self.breakpoint_at(bp.addr) is None:
                self.target.remove_breakpoint(bp.addr)
        else:
            self.remove_watch(bp)

    def add_breakpoint(self, spec: str, temporary: bool) -> Breakpoint:
        if not spec:
            addr = self.frame().pc
        else:
            addr, _ = self.resolve_location(spec)
        bp = Breakpoint(self.next_bp, "breakpoint", temporary, addr)
        self.next_bp += 1
        if self.breakpoint_at(addr) is None:
            self.target.add_breakpoint(addr)
        self.breakpoints[bp.number] = bp
        return bp

    def watch_after_step(self, stop: Stop) -> Event | None:
        bp = self.watchpoint_for(stop)
        if bp is None:
            return None
        new = self.target.read_memory(bp.addr, bp.length)
        if bp.kind == "hw watchpoint" and new == bp.old:
            return None
        old, bp.old = bp.old, new
        bp.hits += 1
        return Event("watch", bp, old=old, new=new)
