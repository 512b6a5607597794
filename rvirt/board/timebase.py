"""The board's time: virtual time made of the instructions all harts retired (QEMU's
-icount) plus what idle waits skipped, or host time with -clock host; and how an idle
wait meets a person typing at the console (set_input_wait).  A part of the Board (a
base class of it), kept apart because time is its own concern."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rvirt.board import memmap as MM

if TYPE_CHECKING:
    from rvirt.cpu.hart import Hart

NS_PER_TICK = 1_000_000_000 // MM.TIMEBASE_FREQ  # 100 ns per mtime tick (10 MHz)
IDLE_SLICE_NS = 50_000_000  # a real-time idle wait returns to the run loop this often
HOST_CLOCK_BATCH = 4096  # with -clock host, instructions between looks at the timer


class Timebase:
    """Virtual time and idle waits, over the Board's harts and settings."""

    harts: list[Hart]
    icount_shift: int
    idle_ns: int  # virtual time skipped while every hart waited in wfi
    host_clock: bool
    host_t0: int
    input_wait: Callable[[float], None] | None
    idle_realtime: bool
    inputs: int
    replaying: bool
    _pacing: tuple[int, int, int] | None
    _paced: bool

    # --- time ------------------------------------------------------------------------
    def virtual_ns(self) -> int:
        """Deterministic virtual time: each retired instruction is 2**shift ns (QEMU's
        -icount shift=N), plus whatever a wfi skipped.  With -clock host: nanoseconds of
        host time since the last reset."""
        if self.host_clock:
            return time.monotonic_ns() - self.host_t0
        harts = self.harts  # (retired(), inlined: this runs at every batch)
        done = harts[0].retired() if len(harts) == 1 else sum(h.retired() for h in harts)
        return (done << self.icount_shift) + self.idle_ns

    def retired(self) -> int:
        """Instructions retired by all harts since reset: what virtual time counts (as
        QEMU's -icount, which runs the harts in turns and counts them all)."""
        if len(self.harts) == 1:
            return self.harts[0].retired()
        return sum(h.retired() for h in self.harts)

    def mtime(self) -> int:
        return self.virtual_ns() // NS_PER_TICK

    def _insns_until(self, tick: int) -> int:
        """Instructions to retire before mtime reaches `tick` (at least 1)."""
        return self._insns_until_ns(tick * NS_PER_TICK)

    def _insns_until_ns(self, ns: int) -> int:
        """Instructions to retire before virtual time reaches `ns` (at least 1)."""
        if self.host_clock:  # unknowable: look again soon (bounds the interrupt latency)
            return HOST_CLOCK_BATCH
        need_ns = ns - self.idle_ns
        shift = self.icount_shift
        target = -(-need_ns // (1 << shift))
        harts = self.harts
        done = harts[0].retired() if len(harts) == 1 else sum(h.retired() for h in harts)
        return max(1, target - done)

    def _skip_to(self, tick: int) -> None:
        self._skip_to_ns(tick * NS_PER_TICK)

    def _skip_to_ns(self, ns: int) -> None:
        now = self.virtual_ns()
        if ns > now:
            self.idle_ns += ns - now

    # --- idle time with a person at the console -------------------------------------
    def set_input_wait(self, wait: Callable[[float], None] | None, realtime: bool) -> None:
        """How the hart's idle waits meet console input.  `wait(seconds)` waits up to
        that long for console input and hands what comes to console_input().

        - None (the API, tests, -serial file:): a wfi with a timer ahead skips virtual
          time to it at once, so runs repeat exactly.
        - realtime False (stdin a pipe or file): input already waiting is handed over
          before the skip (wait(0)), so it is seen at once; otherwise the skip as above.
        - realtime True (stdin a terminal): as QEMU's -icount sleep=on, an idle wait
          lasts at most the real time until the next timer, and input ends it; the
          virtual time passed is the real time waited, and a key arrives at the virtual
          time it was typed.  History logs that time with the input, so a replay (and
          reverse execution) puts the key at the same point without waiting.
        """
        self.input_wait = wait
        self.idle_realtime = realtime

    def _wait_for_input(self, deadline_ns: int) -> None:
        """wfi with a timer at deadline_ns and someone who may type (set_input_wait)."""
        assert self.input_wait is not None
        now = self.virtual_ns()
        if deadline_ns <= now:
            return
        seen = self.inputs
        if not self.idle_realtime:
            self.input_wait(0)
            if self.inputs == seen:
                self._skip_to_ns(deadline_ns)
            return
        # A slice at a time, so the gdb stub and signals are looked at meanwhile.
        self._pacing = (time.monotonic_ns(), now, deadline_ns)
        try:
            self.input_wait(min(deadline_ns - now, IDLE_SLICE_NS) / 1e9)
        finally:
            self._end_pacing()
        self._paced = self.virtual_ns() < deadline_ns and self.inputs == seen

    def _end_pacing(self) -> None:
        """The real time waited so far passes in virtual time too, up to the deadline."""
        if self._pacing is not None:
            t0, now, deadline_ns = self._pacing
            self._pacing = None
            self._skip_to_ns(min(deadline_ns, now + time.monotonic_ns() - t0))
