"""The DTB writer/reader: value encoding, strings block, reservation map, header, and
that the real dtc reads what we write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rvirt.fdt import (
    FDT_END,
    FdtHeader,
    Node,
    build_dtb,
    encode_value,
    parse_dtb,
    u64,
)
from tests.tooling import need


def test_encode_values() -> None:
    assert encode_value(0x0A) == b"\x00\x00\x00\x0a"
    assert encode_value([0, 0x80000000]) == bytes.fromhex("00000000 80000000")
    assert encode_value((1, 2)) == bytes.fromhex("00000001 00000002")
    assert encode_value("okay") == b"okay\0"
    assert encode_value(["a", "bc"]) == b"a\0bc\0"
    assert encode_value(b"\x01\x02\x03") == b"\x01\x02\x03"
    assert encode_value(True) == b"" and encode_value(None) == b""
    assert encode_value([]) == b""


@pytest.mark.parametrize("bad", [False, -1, 1 << 32, [1, "a"], "a\0b", 1.5, [True]])
def test_encode_rejects(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        encode_value(bad)  # type: ignore[arg-type]


def test_u64_cells() -> None:
    assert u64(0x1_2345_6789) == (1, 0x2345_6789)
    with pytest.raises(ValueError):
        u64(1 << 64)


def test_node_api() -> None:
    root = Node("", [("a", 1), ("b", 2)])
    root.set("a", 3)
    assert list(root.props) == ["a", "b"] and root.get("a") == encode_value(3)
    soc = Node("soc")
    root.add(soc)
    soc.add(Node("x@1"), Node("y"))
    assert root.find("/soc/x@1").name == "x@1"
    assert [p for p, _ in root.walk()] == ["/", "/soc", "/soc/x@1", "/soc/y"]
    with pytest.raises(ValueError):
        soc.add(Node("y"))
    with pytest.raises(KeyError):
        root.find("/nope")
    with pytest.raises(ValueError):
        Node("a/b")
    with pytest.raises(ValueError):
        root.set("x" * 32, 1)


def strings_block(blob: bytes) -> bytes:
    hdr = FdtHeader(blob)
    return blob[hdr.off_dt_strings:hdr.off_dt_strings + hdr.size_dt_strings]


def test_strings_are_stored_once_and_tails_are_shared() -> None:
    root = Node("", [("#address-cells", 2), ("reg", 1)],
                [Node("a", [("reg", 2), ("address-cells", 1)]), Node("b", [("reg", 3)])])
    strings = strings_block(build_dtb(root))
    assert strings == b"#address-cells\0reg\0"  # "address-cells" reuses offset 1
    parsed, _ = parse_dtb(build_dtb(root))
    assert parsed.find("/a").get("address-cells") == encode_value(1)


def test_header_and_layout() -> None:
    blob = build_dtb(Node("", [("model", "m")]), reserved=[(0x80000000, 0x1000)],
                     boot_cpuid=3)
    hdr = FdtHeader(blob)
    assert hdr.totalsize == len(blob)
    assert (hdr.version, hdr.last_comp_version, hdr.boot_cpuid_phys) == (17, 16, 3)
    assert hdr.off_mem_rsvmap == 40
    assert hdr.off_dt_struct == 40 + 2 * 16  # one entry and the terminator
    assert hdr.off_dt_strings == hdr.off_dt_struct + hdr.size_dt_struct
    assert hdr.size_dt_struct % 4 == 0
    end = hdr.off_dt_struct + hdr.size_dt_struct
    assert int.from_bytes(blob[end - 4:end], "big") == FDT_END


def test_header_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        FdtHeader(b"\0" * 40)
    with pytest.raises(ValueError):
        FdtHeader(b"\xd0\x0d")


def test_root_must_be_nameless() -> None:
    with pytest.raises(ValueError):
        build_dtb(Node("x"))


def test_round_trip_through_parse() -> None:
    root = Node("", [("compatible", ["x", "y"]), ("flag", True)], [
        Node("n@10", [("reg", [0, 0x10]), ("blob", b"\x01\x02\x03\x04\x05")]),
    ])
    parsed, reserved = parse_dtb(build_dtb(root, reserved=[(1 << 33, 0x2000)]))
    assert reserved == [(1 << 33, 0x2000)]
    assert parsed.props == root.props
    assert parsed.find("/n@10").props == root.find("/n@10").props


def decompile(tmp_path: Path, blob: bytes) -> str:
    dtc = need("dtc")
    path = tmp_path / "t.dtb"
    path.write_bytes(blob)
    done = subprocess.run([dtc, "-I", "dtb", "-O", "dts", str(path)], capture_output=True,
                          text=True, check=True)
    return done.stdout


def test_dtc_reads_every_value_kind(tmp_path: Path) -> None:
    root = Node("", [("#address-cells", 2), ("#size-cells", 2)], [
        Node("dev@1000", [
            ("reg", [*u64(0x1000), *u64(0x100)]),
            ("compatible", ["vendor,a", "vendor,b"]),
            ("label", "hello"),
            ("empty", True),
            ("bytes", b"\x01\x02\x03"),
        ]),
    ])
    text = decompile(tmp_path, build_dtb(root, reserved=[(0x80000000, 0x200000)]))
    assert "/memreserve/\t0x0000000080000000 0x0000000000200000;" in text
    assert "reg = <0x00 0x1000 0x00 0x100>;" in text
    assert 'compatible = "vendor,a\\0vendor,b";' in text
    assert 'label = "hello";' in text
    assert "\t\tempty;\n" in text
    assert "bytes = [01 02 03];" in text
