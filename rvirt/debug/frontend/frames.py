"""Stack frames for the built-in debugger: unwinding by the ELF's call frame information
(.debug_frame), as gdb's dwarf2 unwinder does, over the DebugTarget facade."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rvirt.debug.dwarf import FrameRule
from rvirt.debug.infos import DebugInfos
from rvirt.debug.target import REG_PC, DebugTarget

RA, SP = 1, 2
MAX_FRAMES = 256
NO_SAVED_PC = "frame did not save the PC"
INNER = "previous frame inner to this frame (corrupt stack?)"


@dataclass
class Frame:
    """One frame: its level, pc and the registers as they were in it (frame 0: now)."""

    level: int
    pc: int
    regs: list[int]
    cfa: int | None = None
    rule: FrameRule | None = None
    saved_at: dict[int, int] = field(default_factory=dict)  # register -> address
    # gdb's inline frames: `inline` is the InlineCall this frame stands for; `site` is
    # (file, full path, line) of the inlined call this frame made at its pc, if any
    inline: Any = None
    site: tuple[str, str, int] | None = None

    @property
    def lookup_pc(self) -> int:
        """The pc to look things up with: inside the call for outer frames (gdb's
        get_frame_address_in_block), since a return address may start another line."""
        return self.pc if self.level == 0 else self.pc - 1


def innermost(target: DebugTarget) -> Frame:
    regs = [target.read_register(i) or 0 for i in range(32)]
    pc = target.read_register(REG_PC) or 0
    return Frame(0, pc, regs)


def compute_cfa(infos: DebugInfos, frame: Frame) -> Frame:
    info = infos.info_at(frame.lookup_pc)
    rule = info.frame_rule(frame.lookup_pc) if info is not None else None
    frame.rule = rule
    if rule is not None and rule.cfa_reg < 32:
        frame.cfa = (frame.regs[rule.cfa_reg] + rule.cfa_offset) & 0xFFFFFFFF
        frame.saved_at = {reg: (frame.cfa + off) & 0xFFFFFFFF
                          for reg, off in rule.saved.items() if off is not None}
    return frame


def caller(target: DebugTarget, infos: DebugInfos, frame: Frame
           ) -> tuple[Frame | None, str]:
    """The frame that called `frame`, or (None, why gdb stops: "frame did not save the
    PC", ...).  A frame without CFI ends the chain, as gdb's does on these kernels."""
    rule = frame.rule
    if rule is None and frame.level == 0 and infos.symbol_at(frame.pc) is None:
        # Stopped where there is no CFI and no symbol (the boot ROM, code outside every
        # image): gdb takes that frame as the outermost and says nothing; an outer frame
        # there still gets "frame did not save the PC" (recorded on QEMU).
        return None, ""
    if rule is None or frame.cfa is None:
        return None, NO_SAVED_PC
    if RA in rule.saved and rule.saved[RA] is None:
        return None, NO_SAVED_PC
    regs = list(frame.regs)
    regs[SP] = frame.cfa
    for reg, addr in frame.saved_at.items():
        if reg >= 32:
            continue
        data = target.read_memory(addr, 4)
        if data is None:
            return None, NO_SAVED_PC
        regs[reg] = int.from_bytes(data, "little")
    pc = regs[RA] & ~1
    up = Frame(frame.level + 1, pc, regs)
    compute_cfa(infos, up)
    if up.cfa is not None and frame.cfa is not None and up.cfa < frame.cfa:
        return None, INNER
    return up, ""


def backtrace(target: DebugTarget, infos: DebugInfos, limit: int = MAX_FRAMES
              ) -> tuple[list[Frame], str]:
    frames = [compute_cfa(infos, innermost(target))]
    why = ""
    while len(frames) < limit:
        up, why = caller(target, infos, frames[-1])
        if up is None:
            break
        frames.append(up)
    return frames, why
