"""Commands of their own beside the machine (`rvirt memmap`): they read a kernel's ELF and
never start a machine."""
