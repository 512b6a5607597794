"""Memory-mapped devices of the virt board, one module each, CPU-agnostic."""
