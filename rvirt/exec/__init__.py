"""Execution tiers.  The reference interpreter is `interp`; faster tiers come later."""
