"""Debugging: RSP framing, the gdb stub's command table, and the target facade."""
