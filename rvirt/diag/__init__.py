"""Learner diagnostics: QEMU's -d logs, hints for the classic mistakes, the profile."""
