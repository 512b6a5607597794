"""The instruction set: one declarative table drives decoder, disassembler and executors."""
