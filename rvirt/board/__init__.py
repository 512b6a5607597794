"""Boards: the virt machine, its memory map and its device tree."""
