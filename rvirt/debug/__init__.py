"""Debugging: RSP framing, the gdb stub's command table, and the target facade; what the
guest's ELF says about its code (dwarf: functions, lines, symbols; demangle: Rust names)."""
