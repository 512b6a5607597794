"""Disassembler: the text `objdump -d -M no-aliases` prints for an instruction, from the table.

Only the instruction column is produced: objdump's trailing `# comment` and ` <symbol>`
annotations are not part of it.  Branch and jump targets are absolute hex without 0x,
as objdump prints them.
"""

from __future__ import annotations

from rvirt.isa.decode import decode

ABI = ("zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 "
       "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()

# CSR names objdump knows (binutils riscv-opc / encoding.h), for the CSRs rvirt's
# users meet; others print as hex.
CSR_NAMES = {
    0x001: "fflags", 0x002: "frm", 0x003: "fcsr",
    0xC00: "cycle", 0xC01: "time", 0xC02: "instret",
    0xC80: "cycleh", 0xC81: "timeh", 0xC82: "instreth",
    0x100: "sstatus", 0x104: "sie", 0x105: "stvec", 0x106: "scounteren",
    0x10A: "senvcfg",
    0x140: "sscratch", 0x141: "sepc", 0x142: "scause", 0x143: "stval", 0x144: "sip",
    0x180: "satp",
    0xF11: "mvendorid", 0xF12: "marchid", 0xF13: "mimpid", 0xF14: "mhartid",
    0xF15: "mconfigptr",
    0x300: "mstatus", 0x301: "misa", 0x302: "medeleg", 0x303: "mideleg", 0x304: "mie",
    0x305: "mtvec", 0x306: "mcounteren", 0x30A: "menvcfg", 0x310: "mstatush",
    0x31A: "menvcfgh", 0x320: "mcountinhibit",
    0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip",
    0x34A: "mtinst", 0x34B: "mtval2",
    0xB00: "mcycle", 0xB02: "minstret", 0xB80: "mcycleh", 0xB82: "minstreth",
    0x7A0: "tselect", 0x7A1: "tdata1", 0x7A2: "tdata2", 0x7A3: "tdata3",
    0x7B0: "dcsr", 0x7B1: "dpc", 0x7B2: "dscratch0", 0x7B3: "dscratch1",
}
CSR_NAMES.update({0x3A0 + i: f"pmpcfg{i}" for i in range(16)})
CSR_NAMES.update({0x3B0 + i: f"pmpaddr{i}" for i in range(64)})
CSR_NAMES.update({0xC00 + i: f"hpmcounter{i}" for i in range(3, 32)})
CSR_NAMES.update({0xC80 + i: f"hpmcounter{i}h" for i in range(3, 32)})
CSR_NAMES.update({0xB00 + i: f"mhpmcounter{i}" for i in range(3, 32)})
CSR_NAMES.update({0xB80 + i: f"mhpmcounter{i}h" for i in range(3, 32)})
CSR_NAMES.update({0x320 + i: f"mhpmevent{i}" for i in range(3, 32)})


def _fence_set(bits: int) -> str:
    return "".join(c for c, b in zip("iorw", (8, 4, 2, 1), strict=True) if bits & b) or "0"


def disassemble(w: int, pc: int = 0) -> str:
    """objdump -M no-aliases text for instruction `w` at address `pc`."""
    found = decode(w)
    if found is None:
        return "unimp" if w in (0, 0xC0001073) else f".insn\t{w:#x}"
    op, f = found
    name = op.name
    if "aq" in f and (f["aq"] or f["rl"]):
        name += "." + ("aq" if f["aq"] else "") + ("rl" if f["rl"] else "")
    if not op.asm:
        return name
    vals = {
        "rd": ABI[f.get("rd", 0)], "rs1": ABI[f.get("rs1", 0)], "rs2": ABI[f.get("rs2", 0)],
        "imm": str(f.get("imm", 0)),
        "uimm": hex((f.get("imm", 0) >> 12) & 0xFFFFF),
        "cuimm": hex((f.get("imm", 0) >> 12) & 0xFFFFF),
        "target": f"{(pc + f.get('imm', 0)) & 0xFFFFFFFF:x}",
        "shamt": hex(f.get("shamt", 0)),
        "csr": CSR_NAMES.get(f.get("csr", -1), hex(f.get("csr", 0))),
        "zimm": str(f.get("zimm", 0)),
        "pred": _fence_set(f.get("pred", 0)), "succ": _fence_set(f.get("succ", 0)),
    }
    return f"{name}\t{op.asm.format(**vals)}"
