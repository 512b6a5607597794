"""The physical address space: RAM, ROM and device windows."""
