"""The frames of a debugging session as gdb's stack.c shows them: inline frames over
the unwound ones (frames.py), a frame's scope and variables, its one-line description
and source line."""

from __future__ import annotations

from rvirt.debug.dwarf import DebugInfo, LineSpan, Scope, Variable, evaluate_location
from rvirt.debug.frontend import frames as F
from rvirt.debug.frontend.values import EvalError, Value, int_value


# One part of the Debugger (session.py): it uses the state Debugger.__init__ sets and
# the methods of the other parts, all on the one session object.
class Stack:
    """The session's frames, the selected one, and how they are printed."""

    def frames(self) -> list[F.Frame]:
        if self._frames is None:
            real, self.frames_why = F.backtrace(self.target, self.infos)
            self._frames = self._with_inline_frames(real)
        return self._frames

    def _with_inline_frames(self, real: list[F.Frame]) -> list[F.Frame]:
        """gdb's frame list: before each real frame, one frame per inlined call its pc is
        in (innermost first).  At the innermost frame, a call whose first instruction
        the pc is at is not entered yet (infrun's skip_inline_frames), unless a step
        just went into it."""
        out: list[F.Frame] = []
        for fr in real:
            chain = self.infos.inline_chain(fr.lookup_pc)
            if fr.level == 0:
                while chain and chain[0].entry == fr.pc and self.into_inline != fr.pc:
                    chain = chain[1:]
            for i, call in enumerate(chain):
                outer = chain[i - 1] if i > 0 else None
                site = (outer.call_file, outer.call_full, outer.call_line) if outer else None
                out.append(F.Frame(len(out), fr.pc, fr.regs, fr.cfa, fr.rule, fr.saved_at,
                                   inline=call, site=site))
            last = chain[-1] if chain else None
            fr.level = len(out)
            fr.site = (last.call_file, last.call_full, last.call_line) if last else None
            out.append(fr)
        return out

    into_inline = -1  # the pc a step entered an inlined call at (shown, not skipped)

    def frame(self) -> F.Frame:
        frames = self.frames()
        return frames[min(self.selected, len(frames) - 1)]

    def invalidate(self) -> None:
        self._frames = None
        self.selected = 0

    def scope(self, frame: F.Frame) -> tuple[Scope | None, DebugInfo | None]:
        f, info = self.function_at(frame.lookup_pc)
        if info is None or f is None:
            return None, None
        scope = info.function_scope(frame.lookup_pc)
        if frame.inline is not None and scope is not None:
            call = frame.inline
            # an inlined call's arguments live in its function's frame (same frame base)
            return Scope(call.name, call.entry, scope.frame_base, call.args, [], None), info
        return scope, info

    def frame_base(self, frame: F.Frame, scope: Scope) -> int | None:
        if scope.frame_base is None:
            return None
        try:
            kind, v = evaluate_location(scope.frame_base, lambda r: frame.regs[r],
                                        frame.cfa)
        except Exception:
            return None
        return frame.regs[v] if kind == "register" else v

    def read_variable(self, var: Variable, frame: F.Frame, scope: Scope | None) -> Value:
        if var.location is None:
            raise EvalError("<optimized out>")
        base = self.frame_base(frame, scope) if scope is not None else None
        kind, v = evaluate_location(var.location, lambda r: frame.regs[r], base,
                                    lambda a: int.from_bytes(self.memory(a, 4), "little"))
        size = var.type.size
        if kind == "register":
            return int_value(frame.regs[v], var.type) if size <= 4 else Value(
                var.type, frame.regs[v].to_bytes(4, "little") + bytes(size - 4))
        if kind == "value":
            return int_value(v, var.type)
        if var.type.kind == "func":
            return Value(var.type, b"", v)
        return Value(var.type, self.memory(v, size), v)

    def frame_args(self, frame: F.Frame) -> str:
        scope, _ = self.scope(frame)
        if scope is None:
            return ""
        parts = []
        p = self.printer()
        for var in scope.args:
            try:
                text = p.value(self.read_variable(var, frame, scope), scalars_only=True)
            except EvalError as e:
                text = f"<error: {e}>" if "optimized" not in str(e) else "<optimized out>"
            parts.append(f"{var.name}={text}")
        return ", ".join(parts)

    def describe(self, frame: F.Frame, *, force_addr: bool | None = None) -> str:
        """gdb's frame description: `[0x... in ]func (args) at file:line` or
        `0x... in sym ()`."""
        pc = frame.pc
        look = frame.lookup_pc
        f, info = self.function_at(look)
        sal = self.line_span(look)
        scope = info.function_scope(look) if info is not None and f is not None else None
        if sal is not None and scope is not None and f is not None:
            name = frame.inline.name if frame.inline is not None else f.name
            if frame.site is not None:
                # it called an inlined function here: its line is the call's, and gdb
                # shows no address (find_frame_sal gives the frame's own pc)
                file, line = frame.site[0], frame.site[2]
                show = bool(force_addr)
            else:
                file, line = sal.file, sal.line
                show = force_addr if force_addr is not None else (frame.level > 0 and
                                                                  not self._same_pc(frame)
                                                                  or pc != sal.start)
            prefix = f"0x{pc:08x} in " if show else ""
            return f"{prefix}{name} ({self.frame_args(frame)}) at {file}:{line}"
        sym = self.infos.function_symbol_at(look)
        name = "??" if sym is None else sym
        if f is not None and name == "??":
            name = f.name
        if sal is not None and f is not None:
            # code with lines but no DWARF function (an assembly file): gdb names the
            # symbol and the line (find_frame_sal)
            show = force_addr if force_addr is not None else (frame.level > 0 and
                                                              not self._same_pc(frame)
                                                              or pc != sal.start)
            prefix = f"0x{pc:08x} in " if show else ""
            return f"{prefix}{name} () at {sal.file}:{sal.line}"
        return f"0x{pc:08x} in {name} ()"

    def _same_pc(self, frame: F.Frame) -> bool:
        """An outer frame at the innermost frame's pc is an inline frame's caller chain
        of frame 0: its pc is not a return address."""
        frames = self._frames or []
        return bool(frames) and frames[0].pc == frame.pc and frames[0].regs is frame.regs

    def frame_sal(self, frame: F.Frame) -> LineSpan | None:
        """The line a frame is at: an inlined call's site for a frame that made one."""
        sal = self.line_span(frame.lookup_pc)
        if sal is not None and frame.site is not None:
            file, full, line = frame.site
            return LineSpan(sal.start, sal.end, file, line, full)
        return sal

    def print_location(self, frame: F.Frame, *, src_line_only: bool = False,
                       force_addr: bool | None = None) -> None:
        """gdb's print_stack_frame: SRC_AND_LOC (the description, then the source line)
        or SRC_LINE (the source line, after the address when mid-line)."""
        sal = self.frame_sal(frame)
        f, _ = self.function_at(frame.lookup_pc)
        has_lines = sal is not None and f is not None
        if src_line_only and has_lines:
            assert sal is not None
            mid = frame.pc != sal.start and frame.site is None
            self.out((f"0x{frame.pc:08x}\t" if mid else "") + self.source_line(sal) + "\n")
        else:
            self.out(self.describe(frame, force_addr=force_addr) + "\n")
            if has_lines:
                assert sal is not None
                self.out(self.source_line(sal) + "\n")
        if has_lines:
            assert sal is not None
            self.state.list_next = (sal.file, sal.full, max(sal.line - 5, 1))
            self._list_center = sal.line
