"""Loading guest images: ELF by physical address, raw binaries, symbols."""
