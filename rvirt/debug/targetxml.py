"""The target description gdb reads with `qXfer:features:read`: target.xml and its annexes.

Owns the register layout gdb sees: feature org.gnu.gdb.riscv.cpu (x0-x31 by ABI name, pc),
org.gnu.gdb.riscv.virtual (priv) and org.gnu.gdb.riscv.csr (one reg per implemented CSR),
numbered as QEMU 7.2 numbers them (shared/ref/virt-rv32.md section 6.3), and the `m`/`l`
chunking of qXfer replies.

References: the GDB manual, nodes "Target Description Format" and "RISC-V Features"
(the cpu feature is required, every reg in it has pc's bitsize); QEMU 7.2
`gdbstub/gdbstub.c` `handle_query_xfer_features` (chunk size, `E00`) and
`target/riscv/gdbstub.c` (CSR feature generated at connect time, regnum = base + CSR).
rvirt has no FPU, so there is no org.gnu.gdb.riscv.fpu feature; priv therefore carries
an explicit regnum (65) instead of following the fpu registers as on QEMU.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.sax.saxutils import quoteattr

from rvirt.debug.rsp import PACKET_SIZE, escape
from rvirt.debug.target import CSR_REGNUM_BASE, REG_PRIV

# Longest qXfer chunk: QEMU clamps to (MAX_PACKET_LENGTH - 5) / 2 = 0x7fd bytes so the
# escaped reply always fits a packet.
XFER_CHUNK = (PACKET_SIZE - 5) // 2

# x0..x31 in register-number order, by the ABI names gdb's own riscv-32bit-cpu.xml uses.
GPR_NAMES: tuple[str, ...] = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
)
# Pointer-typed registers; every other x register is a plain int.
_GPR_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr",
              "fp": "data_ptr"}

_XML_DECL = '<?xml version="1.0"?>\n'
_FEATURE_DOCTYPE = '<!DOCTYPE feature SYSTEM "gdb-target.dtd">\n'
_TARGET_DOCTYPE = '<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'


def cpu_annex_name(xlen: int = 32) -> str:
    return f"riscv-{xlen}bit-cpu.xml"


def virtual_annex_name(xlen: int = 32) -> str:
    return f"riscv-{xlen}bit-virtual.xml"


CSR_ANNEX = "riscv-csr.xml"


def _reg(name: str, bitsize: int, regnum: int | None = None, type_: str | None = None) -> str:
    attrs = f"name={quoteattr(name)} bitsize=\"{bitsize}\""
    if regnum is not None:
        attrs += f' regnum="{regnum}"'
    if type_ is not None:
        attrs += f" type={quoteattr(type_)}"
    return f"  <reg {attrs}/>\n"


def cpu_feature(xlen: int = 32) -> str:
    """x0-x31 then pc, numbered 0-32 in document order (no regnum attributes, as QEMU)."""
    regs = "".join(_reg(name, xlen, type_=_GPR_TYPES.get(name, "int")) for name in GPR_NAMES)
    regs += _reg("pc", xlen, type_="code_ptr")  # document position 32 == REG_PC
    return (_XML_DECL + _FEATURE_DOCTYPE + '<feature name="org.gnu.gdb.riscv.cpu">\n'
            + regs + "</feature>\n")


def virtual_feature(xlen: int = 32) -> str:
    """The `priv` pseudo-register (current privilege level) at QEMU's number 65."""
    return (_XML_DECL + _FEATURE_DOCTYPE + '<feature name="org.gnu.gdb.riscv.virtual">\n'
            + _reg("priv", xlen, REG_PRIV) + "</feature>\n")


def csr_feature(csr_names: Mapping[int, str], xlen: int = 32) -> str:
    """One register per implemented CSR, in CSR-number order, regnum = 66 + CSR number.

    QEMU emits `name`, `bitsize` and `regnum` only (no type), so gdb shows them as ints.
    """
    regs = "".join(_reg(csr_names[num], xlen, CSR_REGNUM_BASE + num)
                   for num in sorted(csr_names))
    return (_XML_DECL + _FEATURE_DOCTYPE + '<feature name="org.gnu.gdb.riscv.csr">\n'
            + regs + "</feature>\n")


def target_document(annexes: list[str], xlen: int = 32) -> str:
    """target.xml: the architecture and an xi:include per feature annex."""
    includes = "".join(f"  <xi:include href={quoteattr(a)}/>\n" for a in annexes)
    return (_XML_DECL + _TARGET_DOCTYPE + "<target>\n"
            + f"  <architecture>riscv:rv{xlen}</architecture>\n"
            + includes + "</target>\n")


def xfer_reply(document: bytes, offset: int, length: int) -> bytes:
    """A qXfer read reply: `m<data>` when more follows, `l<data>` for the last chunk, or
    `E00` for an offset past the end (GDB manual, "General Query Packets", qXfer; chunk
    limit and error code as QEMU 7.2).  The data is escaped as binary."""
    total = len(document)
    if offset > total:
        return b"E00"
    length = min(length, XFER_CHUNK)
    if length < total - offset:
        return b"m" + escape(document[offset:offset + length])
    return b"l" + escape(document[offset:])


class TargetDescription:
    """The documents served to one gdb connection.

    The CSR feature is built from `csr_names` when the description is created, which the
    stub does once per connection: QEMU likewise generates it at connect time.
    """

    def __init__(self, csr_names: Mapping[int, str], xlen: int = 32) -> None:
        cpu = cpu_annex_name(xlen)
        virtual = virtual_annex_name(xlen)
        annexes = [cpu, virtual, CSR_ANNEX]
        self.documents: dict[str, bytes] = {
            "target.xml": target_document(annexes, xlen).encode(),
            cpu: cpu_feature(xlen).encode(),
            virtual: virtual_feature(xlen).encode(),
            CSR_ANNEX: csr_feature(csr_names, xlen).encode(),
        }

    def read(self, annex: str, offset: int, length: int) -> bytes:
        """The reply payload for `qXfer:features:read:<annex>:<offset>,<length>`;
        an unknown annex gets `E00`, as on QEMU."""
        document = self.documents.get(annex)
        if document is None:
            return b"E00"
        return xfer_reply(document, offset, length)
