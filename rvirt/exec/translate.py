"""The block tier's names as other modules know them: the translator (block discovery,
cache, invalidation and dispatcher: rvirt.exec.blocks) with Python code generation
(rvirt.exec.pygen), which `-accel tcg` runs."""

from __future__ import annotations

from rvirt.exec.blocks import CAP, THRESHOLD, Space, executing_pc
from rvirt.exec.pygen import PyTranslator as Translator
from rvirt.exec.pygen import generate

__all__ = ["CAP", "THRESHOLD", "Space", "Translator", "executing_pc", "generate"]
