"""Running backwards over the target's recorded history (the facade's reverse_step and
reverse_continue): reverse-stepi/step/next/continue/finish, done client-side as gdb's
infrun.c does for a target that only steps and continues backwards."""

from __future__ import annotations

from rvirt.debug.frontend import frames as F
from rvirt.debug.frontend.base import CommandError
from rvirt.debug.frontend.infrun import Event
from rvirt.debug.target import Stop


# One part of the Debugger (session.py): it uses the state Debugger.__init__ sets and
# the methods of the other parts, all on the one session object.
class Reverse:
    """The reverse forms of the execution commands."""

    def has_reverse(self) -> bool:
        return hasattr(self.target, "reverse_step") and hasattr(self.target,
                                                                 "reverse_continue")

    def reverse_stepi(self) -> Event:
        self.into_inline = -1
        self.refresh_watches()
        stop = self.target.reverse_step()  # type: ignore[attr-defined]
        return self._reverse_event(stop) or Event("step")

    def _reverse_event(self, stop: Stop) -> Event | None:
        self.last_stop = stop
        if stop.kind == "history-start":
            return Event("history-start")
        if stop.kind == "breakpoint":
            bp = self.breakpoint_at(self.pc())
            if bp is not None:
                bp.hits += 1
                return Event("breakpoint", bp)
            return Event("reached")
        if stop.kind == "watch":
            bp = self.watchpoint_for(stop)
            if bp is not None:
                data = self.target.read_memory(bp.addr, bp.length)
                bp.hits += 1
                old, bp.old = bp.old, data
                return Event("watch", bp, old=old, new=data)
        return None

    def reverse_continue(self, temps: set[int] | None = None) -> Event:
        self.refresh_watches()
        added = [a for a in (temps or set()) if self.breakpoint_at(a) is None]
        for a in added:
            self.target.add_breakpoint(a)
        try:
            stop = self.target.reverse_continue()  # type: ignore[attr-defined]
        finally:
            for a in added:
                if self.breakpoint_at(a) is None:
                    self.target.remove_breakpoint(a)
        return self._reverse_event(stop) or Event("step")

    def _line_key(self, pc: int, over: bool) -> tuple[str, int] | None:
        """The line `pc` counts as: with `over`, code inlined into a line is that line's
        (gdb steps over inline frames with next, backwards too)."""
        if over:
            inl = self.inline_call(pc)
            if inl is not None:
                return inl[0], inl[1]
        sal = self.line_span(pc)
        return (sal.file, sal.line) if sal is not None else None

    def _line_starts_at(self, pc: int, key: tuple[str, int], over: bool) -> bool:
        """`pc` begins the block of `key`'s code that the line runs through: no code of
        the same line sits just before it."""
        if self._line_key(pc, over) != key:
            return False
        return all(self._line_key(pc - n, over) != key for n in (2, 4))

    def reverse_lines(self, over: bool) -> Event:
        """gdb's reverse-step/next done client-side: step back by instructions to the
        start of the previous line (or of this one, from its middle); a callee entered
        backwards, at its return, is run back to its entry and its call (reverse-next,
        or a callee without lines), else reverse-step stops at its last line's start.
        A line met in its middle (a jump led into the line stepped back through, or the
        call a function's start was reached from) becomes the one to reach the start of,
        as gdb renews its step range (infrun.c), so every stop is a line's start or a
        breakpoint: gdb stops at one met on the way."""
        pc = self.pc()
        cfa = F.compute_cfa(self.infos, F.innermost(self.target)).cfa
        cur = self._line_key(pc, over)
        mid = cur is not None and not self._line_starts_at(pc, cur, over)
        target = cur if mid else None
        for _ in range(10_000_000):
            event = self._reverse_stepi_or_break()
            if event.kind != "step":
                return event
            pc = self.pc()
            here = F.compute_cfa(self.infos, F.innermost(self.target)).cfa
            if here is not None and cfa is not None and here < cfa:
                f, _ = self.function_at(pc)
                if f is not None and (over or self.line_span(pc) is None):
                    event = self.reverse_continue({f.low})
                    if event.kind not in ("reached", "step"):
                        return event
                    event = self._reverse_stepi_or_break()  # onto the call
                    if event.kind != "step":
                        return event
                    pc = self.pc()
                else:  # reverse-step into the callee's last line
                    cfa, target = here, self._line_key(pc, over)
                    if target is not None and self._line_starts_at(pc, target, over):
                        return Event("step")
                    continue
            elif here is not None and cfa is not None and here > cfa:
                # back out of the function's start onto its call: the caller's line
                # is one more line met in its middle
                cfa, cur = here, None
            key = self._line_key(pc, over)
            if key is None:
                return Event("step")
            if target is None:
                if key == cur:
                    continue  # still in the line we started from
                target = key
            # gdb stops at a line's start "unless it's the function entry point, in
            # which case keep going back to the call point" (infrun.c)
            if self._line_starts_at(pc, key, over) and not self._entry(pc):
                return Event("step")
            target = key  # the middle of a line: on to its start
        return Event("step")

    def _entry(self, pc: int) -> bool:
        f, _ = self.function_at(pc)
        return f is not None and f.low == pc

    def _reverse_stepi_or_break(self) -> Event:
        """One instruction back, as a breakpoint hit when it lands on an enabled one
        (gdb's line steps stop at breakpoints, backwards too)."""
        event = self.reverse_stepi()
        if event.kind == "step":
            bp = self.breakpoint_at(self.pc())
            if bp is not None:
                bp.hits += 1
                return Event("breakpoint", bp)
        return event

    def reverse_finish(self) -> Event:
        frame = self.frame()
        f, _ = self.function_at(frame.lookup_pc)
        if f is None:
            raise CommandError('"finish" not meaningful in the outermost frame.')
        self.out(f"Run back to call of #{frame.level}  {self.describe(frame)}\n")
        event = self.reverse_continue({f.low})
        if event.kind not in ("reached", "step"):
            return event
        return self.reverse_stepi()
