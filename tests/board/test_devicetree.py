"""The virt device tree against QEMU 7.2's own (`-machine virt,dumpdtb` for -m 150M,
decompiled by dtc, kept in tests/board/data; for `-machine virt,aclint=on`, QEMU's
dumpdtb taken at test time, with 1, 2 and 4 harts): same nodes, properties, values, order
and phandles, apart from the documented differences."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rvirt.board import memmap
from rvirt.board.devicetree import (
    DEFAULT_ISA,
    DIFFERENCES,
    OMITTED_NODES,
    virt_device_tree,
    virt_tree,
)
from rvirt.fdt import FDT_END, FdtHeader, parse_dtb
from tests.tooling import need, run_qemu, run_rvirt

QEMU_DTS = Path(__file__).parent / "data" / "qemu-7.2-virt-rv32-150M.dts"
RAM_150M = 150 * 1024 * 1024
SEED = bytes(range(0x40, 0x60))
QEMU_PACKED_SIZE = 4222  # ref virt-rv32.md section 4
BOOT_ARGS = ("-cpu", "rv32", "-m", "150M", "-nographic", "-bios", "none")


@dataclass
class Dts:
    """A decompiled tree: node path -> ordered (property, value text or None)."""

    nodes: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    memreserve: list[str] = field(default_factory=list)


def parse_dts(text: str) -> Dts:
    """Parse dtc's `-O dts` output (one property or brace per line)."""
    tree = Dts()
    stack: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line == "/dts-v1/;":
            continue
        if line.startswith("/memreserve/"):
            tree.memreserve.append(line)
        elif line.endswith("{"):
            name = line[:-1].strip()
            path = "/" if not stack else stack[-1].rstrip("/") + "/" + name
            assert path not in tree.nodes, f"line {number}: duplicate node {path}"
            tree.nodes[path] = []
            stack.append(path)
        elif line == "};":
            stack.pop()
        elif line.endswith(";") and stack:
            name, sep, value = line[:-1].partition(" = ")
            tree.nodes[stack[-1]].append((name, value if sep else None))
        else:
            raise ValueError(f"line {number}: cannot parse {raw!r}")
    assert not stack, "unbalanced braces"
    return tree


def emit_dts(tree: Dts) -> str:
    """Turn a parsed tree back into dts source (children follow their parent's props)."""
    lines = ["/dts-v1/;", *tree.memreserve]

    def children(path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return [p for p in tree.nodes
                if p.startswith(prefix) and "/" not in p[len(prefix):] and p != path]

    def node(path: str, depth: int) -> None:
        name = "/" if path == "/" else path.rsplit("/", 1)[1]
        lines.append("\t" * depth + name + " {")
        for prop, value in tree.nodes[path]:
            lines.append("\t" * (depth + 1) + (prop if value is None else f"{prop} = {value}")
                         + ";")
        for child in children(path):
            node(child, depth + 1)
        lines.append("\t" * depth + "};")

    node("/", 0)
    return "\n".join(lines) + "\n"


def dtc(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([need("dtc"), *args], input=stdin, capture_output=True, check=True)


def decompile(blob: bytes) -> tuple[Dts, str]:
    done = dtc("-I", "dtb", "-O", "dts", stdin=blob)
    return parse_dts(done.stdout.decode()), done.stderr.decode()


def cells(data: bytes) -> str:
    """How dtc prints a property made of u32 cells."""
    words = [int.from_bytes(data[i:i + 4], "big") for i in range(0, len(data), 4)]
    return "<" + " ".join(f"0x{w:02x}" for w in words) + ">"


def expected_tree(isa: str = DEFAULT_ISA, seed: bytes = SEED,
                  qemu: Dts | None = None) -> Dts:
    """QEMU's tree (the evidence file's, or `qemu`) with the documented differences
    applied."""
    if qemu is None:
        qemu = parse_dts(QEMU_DTS.read_text())
    kept = {path: props for path, props in qemu.nodes.items()
            if not any(path == o or path.startswith(o + "/") for o in OMITTED_NODES)}
    for path, props in kept.items():
        for i, (name, _value) in enumerate(props):
            if re.fullmatch(r"/cpus/cpu@\d+", path) and name == "riscv,isa":
                props[i] = (name, f'"{isa}"')
            if path == "/chosen" and name == "rng-seed":
                props[i] = (name, cells(seed))
    return Dts(kept, qemu.memreserve)


@pytest.fixture(scope="module")
def ours() -> tuple[Dts, str]:
    return decompile(virt_device_tree(RAM_150M, rng_seed=SEED))


def test_the_evidence_has_what_we_omit() -> None:
    qemu = parse_dts(QEMU_DTS.read_text())
    for path in OMITTED_NODES:
        assert path in qemu.nodes
    assert len(DIFFERENCES) == len(OMITTED_NODES) + 2


def test_same_nodes_in_the_same_order(ours: tuple[Dts, str]) -> None:
    assert list(ours[0].nodes) == list(expected_tree().nodes)


def test_same_properties_values_and_order(ours: tuple[Dts, str]) -> None:
    expected = expected_tree()
    for path, props in expected.nodes.items():
        assert ours[0].nodes[path] == props, path
    assert ours[0].memreserve == expected.memreserve == []


def test_phandles_as_qemu_assigns_them(ours: tuple[Dts, str]) -> None:
    nodes = ours[0].nodes
    phandle = {path: dict(props).get("phandle") for path, props in nodes.items()}
    assert phandle["/cpus/cpu@0"] == "<0x01>"
    assert phandle["/cpus/cpu@0/interrupt-controller"] == "<0x02>"
    assert phandle["/soc/plic@c000000"] == "<0x03>"
    assert phandle["/soc/test@100000"] == "<0x04>"
    assert sum(v is not None for v in phandle.values()) == 4


def test_dtc_warns_no_more_than_for_qemus_own_tree(ours: tuple[Dts, str]) -> None:
    qemu_blob = dtc("-I", "dts", "-O", "dtb", stdin=QEMU_DTS.read_bytes()).stdout
    _, qemu_warnings = decompile(qemu_blob)
    ours_warnings = {line for line in ours[1].splitlines() if line}
    assert ours_warnings <= {line for line in qemu_warnings.splitlines() if line}


def test_blob_is_what_dtc_makes_of_the_edited_qemu_tree() -> None:
    # dtc lays out a DTB as we do (header, reservation map, structure, strings with
    # shared tails), so compiling QEMU's tree minus the differences gives our bytes.
    reference = dtc("-I", "dts", "-O", "dtb", stdin=emit_dts(expected_tree()).encode()).stdout
    assert virt_device_tree(RAM_150M, rng_seed=SEED) == reference


def test_header_and_size_sanity() -> None:
    blob = virt_device_tree(RAM_150M, rng_seed=SEED)
    hdr = FdtHeader(blob)
    assert hdr.totalsize == len(blob)
    assert (hdr.version, hdr.last_comp_version, hdr.boot_cpuid_phys) == (17, 16, 0)
    assert hdr.off_mem_rsvmap == 40 and hdr.off_dt_struct == 56  # empty reservation map
    assert hdr.off_dt_strings == hdr.off_dt_struct + hdr.size_dt_struct
    assert hdr.off_dt_strings + hdr.size_dt_strings == len(blob)
    end = hdr.off_dt_struct + hdr.size_dt_struct
    assert int.from_bytes(blob[end - 4:end], "big") == FDT_END
    # Smaller than QEMU's packed 4222 bytes (fewer nodes) but the same order of size.
    assert 2500 < len(blob) < QEMU_PACKED_SIZE
    assert len(blob) <= memmap.FDT_BUFFER_SIZE
    strings = blob[hdr.off_dt_strings:].split(b"\0")[:-1]
    assert len(strings) == len(set(strings))


def test_every_mapped_device_appears_as_the_memory_map_says() -> None:
    root = virt_tree(RAM_150M, rng_seed=SEED)
    plic_phandle = root.find("/soc/plic@c000000").get("phandle")
    for region in (memmap.TEST, memmap.RTC, memmap.UART0, memmap.PLIC, memmap.CLINT,
                   *memmap.VIRTIO):
        matches = [n for n in root.find("/soc").children if n.name.endswith(f"@{region.base:x}")]
        assert len(matches) == 1, region.name
        reg = matches[0].get("reg")
        assert reg == b"".join(v.to_bytes(8, "big") for v in (region.base, region.size))
        if region.irq is not None:
            assert matches[0].get("interrupts") == region.irq.to_bytes(4, "big")
            assert matches[0].get("interrupt-parent") == plic_phandle


def test_round_trip_through_our_reader() -> None:
    blob = virt_device_tree(RAM_150M, rng_seed=SEED)
    parsed, reserved = parse_dtb(blob)
    built = virt_tree(RAM_150M, rng_seed=SEED)
    assert reserved == []
    assert [(p, n.props) for p, n in parsed.walk()] == [(p, n.props) for p, n in built.walk()]


@pytest.mark.parametrize(("ram", "reg"), [
    (128 * 1024 * 1024, "<0x00 0x80000000 0x00 0x8000000>"),
    (1 << 30, "<0x00 0x80000000 0x00 0x40000000>"),
    (6 << 30, "<0x00 0x80000000 0x01 0x80000000>"),
])
def test_memory_node_follows_ram_size(ram: int, reg: str) -> None:
    tree, _ = decompile(virt_device_tree(ram, rng_seed=SEED))
    assert dict(tree.nodes["/memory@80000000"])["reg"] == reg


def test_isa_string_and_bootargs() -> None:
    tree, _ = decompile(virt_device_tree(RAM_150M, isa="rv32ima", rng_seed=SEED,
                                         bootargs="console=ttyS0 earlycon"))
    assert dict(tree.nodes["/cpus/cpu@0"])["riscv,isa"] == '"rv32ima"'
    chosen = tree.nodes["/chosen"]
    assert chosen[1] == ("bootargs", '"console=ttyS0 earlycon"')
    # QEMU 7.2's order (its dumpdtb with -append; tests/board compares the two trees)
    assert [name for name, _ in chosen] == ["rng-seed", "bootargs", "stdout-path"]


def test_no_bootargs_property_without_append() -> None:
    for bootargs in (None, ""):
        chosen = dict(virt_tree(RAM_150M, rng_seed=SEED, bootargs=bootargs).find("/chosen").props)
        assert "bootargs" not in chosen


def test_rng_seed_is_random_by_default() -> None:
    a = virt_tree(RAM_150M).find("/chosen").get("rng-seed")
    b = virt_tree(RAM_150M).find("/chosen").get("rng-seed")
    assert len(a) == len(b) == 32 and a != b


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        virt_device_tree(0)
    with pytest.raises(ValueError):
        virt_device_tree(RAM_150M, rng_seed=b"short")


def dumpdtb(run, path: Path, machine: str, harts: int) -> Dts:  # noqa: ANN001
    """`-machine virt,<machine>,dumpdtb=` on rvirt or QEMU (run_rvirt, run_qemu),
    decompiled, with /chosen/rng-seed (fresh random bytes on both) set to SEED."""
    r = run("-machine", f"virt,{machine},dumpdtb={path}", "-smp", str(harts), *BOOT_ARGS)
    assert r.returncode == 0, r.stderr
    tree, _ = decompile(path.read_bytes())
    chosen = tree.nodes["/chosen"]
    chosen[[name for name, _ in chosen].index("rng-seed")] = ("rng-seed", cells(SEED))
    return tree


@pytest.mark.tools
@pytest.mark.parametrize("harts", [1, 2, 4])
def test_aclint_on_tree_is_qemus(harts: int, tmp_path: Path) -> None:
    # QEMU 7.2's create_fdt_socket_aclint: mswi@2000000, mtimer@2004000 and sswi@2f00000
    # (made in that order, so listed the other way) where clint@2000000 was; the rest of
    # the tree, phandles included, as with aclint=off.
    qemu = dumpdtb(run_qemu, tmp_path / "qemu.dtb", "aclint=on", harts)
    ours = dumpdtb(run_rvirt, tmp_path / "rvirt.dtb", "aclint=on", harts)
    expected = expected_tree(qemu=qemu)
    assert list(ours.nodes) == list(expected.nodes)
    for path, props in expected.nodes.items():
        assert ours.nodes[path] == props, path
    assert ours.memreserve == expected.memreserve == []
    soc = [path for path in ours.nodes if path.startswith("/soc/")]
    assert soc[-3:] == ["/soc/sswi@2f00000", "/soc/mtimer@2004000", "/soc/mswi@2000000"]
    off = dumpdtb(run_rvirt, tmp_path / "off.dtb", "aclint=off", harts)
    assert [p for p in off.nodes if p != "/soc/clint@2000000"] == [
        p for p in ours.nodes if p not in soc[-3:]]
    assert off.nodes["/soc/plic@c000000"] == ours.nodes["/soc/plic@c000000"]


@pytest.mark.tools
def test_aclint_on_with_dtc_warns_no_more_than_qemu(tmp_path: Path) -> None:
    for name, run in (("qemu", run_qemu), ("rvirt", run_rvirt)):
        r = run("-machine", f"virt,aclint=on,dumpdtb={tmp_path / name}.dtb", "-smp", "2",
                *BOOT_ARGS)
        assert r.returncode == 0, r.stderr
    _, qemu_warnings = decompile((tmp_path / "qemu.dtb").read_bytes())
    _, ours_warnings = decompile((tmp_path / "rvirt.dtb").read_bytes())
    assert {ln for ln in ours_warnings.splitlines() if ln} <= {
        ln for ln in qemu_warnings.splitlines() if ln}
