"""Running and stepping forward (gdb's infrun.c): continue, step/next/until line
stepping, finish; how a run ended (Event) and the stop report (normal_stop)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rvirt.debug.frontend import frames as F
from rvirt.debug.frontend.base import MASK, CommandError
from rvirt.debug.frontend.values import Value
from rvirt.debug.target import Stop
from rvirt.isa.decode import decode

if TYPE_CHECKING:
    from rvirt.debug.frontend.breakpoints import Breakpoint

SLICE = 20_000  # instructions between looks for Ctrl-C while the guest runs


@dataclass
class Event:
    """How a run ended: "step" (a stepping command finished), "breakpoint" (`bp`),
    "watch" (`bp`, old and new value), "interrupt" (Ctrl-C), "exited" (`status`),
    "reached" (a temporary stop of the debugger's own), "history-start"."""

    kind: str
    bp: Breakpoint | None = None
    status: int = 0
    old: bytes | None = None
    new: bytes | None = None


# One part of the Debugger (session.py): it uses the state Debugger.__init__ sets and
# the methods of the other parts, all on the one session object.
class Infrun:
    """Resuming the target and reporting its stops."""

    def need_process(self) -> None:
        if not self.running:
            raise CommandError("The program is not being run.")

    def step_one(self) -> Stop:
        self.into_inline = -1
        stop = self.target.step()
        self.last_stop = stop
        return stop

    def exited(self, status: int) -> Event:
        self.running = False
        return Event("exited", status=status)

    def run(self, temps: dict[int, Callable[[], bool]] | None = None) -> Event:
        """Resume until a breakpoint, watchpoint, exit, Ctrl-C, or one of `temps` (address
        -> condition) is reached with its condition true."""
        temps = temps or {}
        self.into_inline = -1
        self.refresh_watches()
        added = [a for a in temps if self.breakpoint_at(a) is None]
        for a in added:
            self.target.add_breakpoint(a)
        # `interrupted` is cleared when a command starts (commands.execute), not here: a
        # Ctrl-C that comes just after "Continuing." must still stop this run
        try:
            while True:
                stop = self.target.resume(SLICE)
                self.last_stop = stop
                if stop is None:
                    self.poll()
                    if self.interrupted:
                        return Event("interrupt")
                    continue
                if stop.kind == "exited":
                    return self.exited(stop.status)
                if stop.kind == "breakpoint":
                    pc = self.pc()
                    bp = self.breakpoint_at(pc)
                    if bp is not None:
                        bp.hits += 1
                        return Event("breakpoint", bp)
                    cond = temps.get(pc)
                    if cond is not None and cond():
                        return Event("reached")
                    continue
                if stop.kind == "watch":
                    event = self._watch_stop(stop)
                    if event is not None:
                        return event
                    continue
                if stop.kind == "interrupt":
                    return Event("interrupt")
        finally:
            for a in added:
                if self.breakpoint_at(a) is None:
                    self.target.remove_breakpoint(a)

    def _watch_stop(self, stop: Stop) -> Event | None:
        """A watchpoint stops before the access commits; gdb reports it after the
        instruction, and a write watchpoint only when the value changed."""
        bp = self.watchpoint_for(stop)
        if bp is None:
            return None
        # the instruction must complete without the watchpoint firing again
        self.remove_watch(bp)
        try:
            s = self.step_one()
        finally:
            self.insert_watch(bp)
        if s.kind == "exited":
            return self.exited(s.status)
        new = self.target.read_memory(bp.addr, bp.length)
        old = bp.old
        if bp.kind == "hw watchpoint" and new == old:
            return None
        bp.old = new
        bp.hits += 1
        return Event("watch", bp, old=old, new=new)

    def report(self, event: Event, *, src_line_only: bool = False) -> None:
        """gdb's normal_stop: why it stopped, where, then the displays."""
        self.invalidate()
        if event.kind == "exited":
            if event.status == 0:
                self.out("[Inferior 1 (process 1) exited normally]\n")
            else:
                self.out(f"[Inferior 1 (process 1) exited with code {event.status:02o}]\n")
            return
        frame = self.frame()
        # gdb's normal_stop and print_bp_stop_message: a stop in another thread than
        # the one selected switches to it, and with more than one thread a breakpoint
        # or watchpoint names the thread that hit it.
        hart = self.target.hart
        if self.target.harts > 1 and hart != self.stop_hart:
            self.out(f"[Switching to Thread 1.{hart + 1}]\n")
        self.stop_hart = hart
        hit = f"Thread {hart + 1} hit " if self.target.harts > 1 else ""
        if event.kind == "breakpoint" and event.bp is not None:
            bp = event.bp
            word = "Temporary breakpoint" if bp.temporary else "Breakpoint"
            self.out(f"\n{hit}{word} {bp.number}, ")
            self.print_location(frame)
            if bp.temporary:
                self.delete_breakpoint(bp)
        elif event.kind == "watch" and event.bp is not None:
            bp = event.bp
            p = self.printer()
            kind = {"hw watchpoint": "Hardware watchpoint", "read watchpoint":
                    "Hardware read watchpoint", "acc watchpoint":
                    "Hardware access (read/write) watchpoint"}[bp.kind]
            self.out(f"\n{hit}{kind} {bp.number}: {bp.expr}\n\n")
            typ = self.watch_type(bp)
            changed = bp.kind == "hw watchpoint" or (bp.kind == "acc watchpoint"
                                                     and event.old != event.new)
            if changed:
                self.out(f"Old value = {self.show_watch_value(p, typ, event.old)}\n"
                         f"New value = {self.show_watch_value(p, typ, event.new)}\n")
            else:
                self.out(f"Value = {self.show_watch_value(p, typ, event.new)}\n")
            self.print_location(frame)
        elif event.kind == "interrupt":
            self.out("\nProgram received signal SIGINT, Interrupt.\n")
            self.print_location(frame)
        elif event.kind == "history-start":
            self.out("\nNo more reverse-execution history.\n")
            self.print_location(frame)
        else:
            self.print_location(frame, src_line_only=src_line_only)
        self.do_displays()

    def step_lines(self, over: bool, until: bool = False) -> Event:
        event = self._step_lines(over, until)
        if event.kind == "step" and not over:
            # stopped where an inlined call starts: step shows its frame (gdb's
            # step_into_inline_frame), where a breakpoint or next would not
            pc = self.pc()
            if self.infos.inline_starts_at(pc):
                self.into_inline = pc
        return event

    def _step_lines(self, over: bool, until: bool = False) -> Event:
        """gdb's step/next/until (infrun.c): step instructions while in the current
        line's range, step over calls (next, or code without lines), stop at the start
        of another line."""
        self.need_process()
        self.refresh_watches()
        frame0 = F.compute_cfa(self.infos, F.innermost(self.target))
        start_cfa = frame0.cfa
        pc = frame0.pc
        sal = self.line_span(pc)
        f, _ = self.function_at(pc)
        no_lines = sal is None
        if no_lines:
            if f is None:
                raise CommandError("Cannot find bounds of current function")
            self.out(f"Single stepping until exit from function {f.name},\n"
                     f"which has no line number information.\n")
            lo, hi = f.low, f.high
            line: tuple[str, int] | None = None
        else:
            assert sal is not None
            lo, hi = sal.start, sal.end
            if until and f is not None:
                lo = f.low
            line = (sal.file, sal.line)
        start_func = f.low if f is not None else None
        while True:
            word = self.word_at(pc)
            call, ret_addr = self.is_call(word, pc)
            stop = self.step_one()
            if stop.kind == "exited":
                return self.exited(stop.status)
            if stop.kind == "watch":
                event = self.watch_after_step(stop)
                if event is not None:
                    return event
            pc = self.pc()
            bp = self.breakpoint_at(pc)
            if bp is not None:
                bp.hits += 1
                return Event("breakpoint", bp)
            if call and not lo <= pc < hi:
                callee = self.line_span(pc)
                if callee is not None and not over and not no_lines:
                    cf, cinfo = self.function_at(pc)
                    if cf is not None and cinfo is not None:
                        dest = self.skip_prologue(cf, cinfo)
                        if dest != pc:
                            event = self.run({dest: lambda: True})
                            if event.kind != "reached":
                                return event
                        return Event("step")
                sp_at_call = self.target.read_register(2) or 0
                event = self.run({ret_addr: lambda s=sp_at_call: (
                    self.target.read_register(2) or 0) >= s})
                if event.kind != "reached":
                    return event
                pc = self.pc()
                if lo <= pc < hi:
                    continue
            if lo <= pc < hi:
                continue
            inl = self.inline_call(pc) if over else None
            if inl is not None and line is not None and (inl[0], inl[1]) == line:
                # code inlined into this line (gdb steps over inline frames with next)
                lo, hi = inl[2], inl[3]
                continue
            new = self.line_span(pc)
            if new is None:
                if no_lines:
                    continue
                return Event("step")
            here = F.compute_cfa(self.infos, F.innermost(self.target))
            if pc == new.start and self.is_stmt_start(pc):
                nf, _ = self.function_at(pc)
                other_frame = here.cfa != start_cfa or (nf.low if nf else None) != start_func
                if (new.file, new.line) != line or other_frame:
                    return Event("step")
            # the middle of a line (or the start of the same one): keep stepping in it
            lo, hi = new.start, new.end
            line = (new.file, new.line)
            start_cfa = here.cfa
            nf, _ = self.function_at(pc)
            start_func = nf.low if nf is not None else None
            no_lines = False

    def word_at(self, pc: int) -> int:
        data = self.target.read_memory(pc, 4) or self.target.read_memory(pc, 2) or b"\0\0"
        return int.from_bytes(data, "little")

    @staticmethod
    def is_call(w: int, pc: int) -> tuple[bool, int]:
        length = 4 if w & 3 == 3 else 2
        found = decode(w if length == 4 else w & 0xFFFF)
        if found is None:
            return False, 0
        op, fl = found
        name = op.base or op.name
        return name in ("jal", "jalr") and fl.get("rd") == 1, (pc + length) & MASK

    def finish(self) -> None:
        self.need_process()
        frames = self.frames()
        frame = self.frame()
        if frame.level + 1 >= len(frames):
            raise CommandError('"finish" not meaningful in the outermost frame.')
        up = frames[frame.level + 1]
        self.out(f"Run till exit from #{frame.level}  {self.describe(frame)}\n")
        if frame.inline is not None:
            self._finish_inline(frame.inline)
            return
        scope, _ = self.scope(frame)
        cfa = frame.cfa or 0
        event = self.run({up.pc: lambda: (self.target.read_register(2) or 0) >= cfa})
        if event.kind != "reached":
            self.report(event)
            return
        self.invalidate()
        self.print_location(self.frame(), force_addr=True)
        ret = scope.return_type if scope is not None else None
        if ret is not None and ret.kind not in ("void", "unit"):
            a0 = self.target.read_register(10) or 0
            a1 = self.target.read_register(11) or 0
            raw = (a0 | a1 << 32).to_bytes(8, "little")
            if ret.size <= 8:
                v = Value(ret, raw[:ret.size])
            else:  # returned in memory: a0 holds where
                data = self.target.read_memory(a0, ret.size) or bytes(ret.size)
                v = Value(ret, data, a0)
            n = self.record(v)
            self.out(f"Value returned is ${n} = {self.printer().top(v)}\n")
        self.do_displays()

    def _finish_inline(self, call: Any) -> None:
        """Out of an inlined call: step (over calls) until the pc leaves its code, as
        gdb's finish does for an inline frame (no value: there is no return)."""
        for _ in range(1_000_000):
            pc = self.pc()
            if not any(lo <= pc < hi for lo, hi in call.ranges):
                break
            is_call, ret = self.is_call(self.word_at(pc), pc)
            stop = self.step_one()
            if stop.kind == "exited":
                self.report(self.exited(stop.status))
                return
            if is_call:
                sp = self.target.read_register(2) or 0
                event = self.run({ret: lambda s=sp: (self.target.read_register(2) or 0) >= s})
                if event.kind != "reached":
                    self.report(event)
                    return
        self.invalidate()
        self.print_location(self.frame())
        self.do_displays()
