"""Bad input raises the documented error, with one line naming the file or value and the
problem; no machine is left half made."""

from __future__ import annotations

import gc
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import rvirt
from rvirt.errors import RvirtError

pytestmark = pytest.mark.tools


def one_line(exc: pytest.ExceptionInfo[BaseException], *parts: str) -> str:
    text = str(exc.value)
    assert "\n" not in text and text, text
    for part in parts:
        assert part in text, text
    assert isinstance(exc.value, rvirt.Error) and isinstance(exc.value, RvirtError)
    return text


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    empty = tmp_path / "empty.elf"
    empty.write_bytes(b"")
    elf64 = tmp_path / "x86.elf"
    elf64.write_bytes(Path("/bin/true").read_bytes() if Path("/bin/true").exists()
                      else b"\x7fELF\x02\x01\x01" + bytes(57))
    truncated = tmp_path / "cut.elf"
    truncated.write_bytes(b"\x7fELF\x01\x01\x01" + bytes(20))
    return {"missing": tmp_path / "nope.elf", "dir": tmp_path, "empty": empty,
            "x86": elf64, "cut": truncated}


@pytest.mark.parametrize("which, words", [
    ("missing", "no such file"), ("dir", "is a directory"), ("empty", "is empty"),
    ("x86", "ELF"), ("cut", "ELF"),
])
def test_bad_images(which: str, words: str, files: dict[str, Path]) -> None:
    path = files[which]
    with pytest.raises(rvirt.ImageError) as e:
        rvirt.Machine(bios=path)
    text = one_line(e, str(path), words)
    assert text.startswith("bios ")
    with pytest.raises(rvirt.ImageError) as e:
        rvirt.Machine(kernel=path)
    assert one_line(e, str(path)).startswith("kernel ")


def test_no_image_at_all() -> None:
    with pytest.raises(rvirt.ImageError) as e:
        rvirt.Machine()
    one_line(e, "firmware", "bios")


@pytest.mark.parametrize("kwargs, words", [
    ({"memory": "12X"}, "memory 12X: invalid RAM size"),
    ({"memory": "0"}, "larger than 0"),
    ({"memory": -5}, "larger than 0"),
    ({"memory": "4G"}, "too large"),
    ({"memory": 1.5}, "memory: expected"),
    ({"accel": "fast"}, "accel 'fast'"),
    ({"icount": 11}, "icount 11"),
    ({"icount": "2"}, "icount '2'"),
    ({"gdb_port": 70000}, "gdb_port 70000"),
    ({"rng_seed": b"short"}, "rng_seed"),
    ({"rtc_epoch_ns": -1}, "rtc_epoch_ns -1"),
])
def test_bad_parameters(kwargs: dict[str, Any], words: str,
                        kernel: Callable[[str], Path]) -> None:
    with pytest.raises(rvirt.ConfigError) as e:
        rvirt.Machine(bios=kernel("p0"), **kwargs)
    one_line(e, words)


def test_bad_accel_from_the_environment(kernel: Callable[[str], Path],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RVIRT_ACCEL", "warp")
    with pytest.raises(rvirt.ConfigError) as e:
        rvirt.Machine(bios=kernel("p0"))
    one_line(e, "RVIRT_ACCEL warp")


def test_gdb_port_taken(kernel: Callable[[str], Path]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(rvirt.ConfigError) as e:
            rvirt.Machine(bios=kernel("p0"), gdb_port=port)
        one_line(e, f"gdb_port {port}", "available port")


def test_segment_over_the_device_tree(kernel: Callable[[str], Path]) -> None:
    """With 1M of RAM the device tree goes at RAM's start, where hello is linked."""
    with pytest.raises(rvirt.ImageError) as e:
        rvirt.Machine(bios=kernel("hello"), memory="1M")
    one_line(e, str(kernel("hello")), "overlaps the device tree", "more memory")


def test_dropped_segments_warn(kernel: Callable[[str], Path]) -> None:
    """With 64K of RAM hello's stack lies outside RAM: the command line's warning, as a
    LoadWarning and in Machine.warnings."""
    with pytest.warns(rvirt.LoadWarning, match="were dropped"):
        m = rvirt.Machine(bios=kernel("hello"), memory="64K")
    with m:
        assert len(m.warnings) == 1 and m.warnings[0].startswith(f"bios {kernel('hello')}")
        assert ".stack" in m.warnings[0]


def test_bad_names_and_values(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0")) as m:
        cases: list[tuple[Callable[[], object], type[rvirt.Error], str]] = [
            (lambda: m.reg("q9"), rvirt.NotFound, "register 'q9'"),
            (lambda: m.set_reg("a0", 1 << 32), rvirt.ConfigError, "32-bit"),
            (lambda: m.csr("mfoo"), rvirt.NotFound, "csr 'mfoo'"),
            (lambda: m.symbols["nope"], rvirt.NotFound, "symbol 'nope'"),
            (lambda: m.run(until="nope"), rvirt.NotFound, str(kernel("p0"))),
            (lambda: m.run(until="src/main.rs:9999"), rvirt.NotFound, "src/main.rs:9999"),
            (lambda: m.run(until=3.5), rvirt.ConfigError, "not float"),
            (lambda: m.run(until=1 << 40), rvirt.ConfigError, "32-bit address"),
            (lambda: m.run(max_instructions=-1), rvirt.ConfigError, "max_instructions -1"),
            (lambda: m.run(timeout=0), rvirt.ConfigError, "timeout 0"),
            (lambda: m.read(0x9000_0000, 4), rvirt.AccessError, "0x90000000"),
            (lambda: m.read(0x8000_0000, -1), rvirt.ConfigError, "read"),
            (lambda: m.write(0, b"x", physical=True), rvirt.AccessError, "0x00000000"),
            (lambda: m.write(0x8000_0000, "text"), rvirt.ConfigError, "expected bytes"),
            (lambda: m.console.send(42), rvirt.ConfigError, "console.send"),
            (lambda: m.restore("snapshot"), rvirt.ConfigError, "expected a Snapshot"),
        ]
        for call, kind, words in cases:
            with pytest.raises(kind) as e:
                call()
            one_line(e, words)
        assert m.symbols.get("nope") is None  # NotFound is a KeyError: Mapping.get works
        assert m.run(max_instructions=1).reason == "limit"  # the machine is unharmed


def test_snapshot_of_another_machine(kernel: Callable[[str], Path]) -> None:
    with rvirt.Machine(bios=kernel("p0")) as small, \
            rvirt.Machine(bios=kernel("p0"), memory="256M") as big:
        snap = small.snapshot()
        big.run(max_instructions=100)
        with pytest.raises(rvirt.SnapshotError) as e:
            big.restore(snap)
        one_line(e, "128M", "256M")
        assert big.instret == 100  # unchanged
    with rvirt.Machine(bios=kernel("p0"), icount=3) as other:
        with pytest.raises(rvirt.SnapshotError) as e:
            other.restore(snap)
        one_line(e, "icount")


def test_closed_machine(kernel: Callable[[str], Path]) -> None:
    m = rvirt.Machine(bios=kernel("p0"))
    m.run(until="p0::entry")
    m.close()
    m.close()
    assert m.closed
    for call in (lambda: m.run(), lambda: m.pc, lambda: m.snapshot(), lambda: m.read(0, 1)):
        with pytest.raises(rvirt.MachineClosed) as e:
            call()
        one_line(e, "closed")
    assert "p0::entry" in m.summary() and m.console.output == b""


def test_a_failed_machine_leaves_nothing_open(kernel: Callable[[str], Path]) -> None:
    """A machine that fails to start keeps no port: the same port works right after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(rvirt.ImageError):
        rvirt.Machine(bios="/nonexistent/kernel", gdb_port=port)
    gc.collect()
    with rvirt.Machine(bios=kernel("p0"), gdb_port=port) as m:
        assert m.gdb_port == port


def test_later_notes_are_warnings_too(kernel: Callable[[str], Path]) -> None:
    """A note the board gives while running (as it does when the native tier is asked for
    without llvmlite) reaches Machine.warnings and warns, as at start-up."""
    with rvirt.Machine(bios=kernel("p0")) as m:
        assert m.warnings == []
        with pytest.warns(rvirt.LoadWarning, match="^accel native: no LLVM here$"):
            m.board.notice("-accel native: no LLVM here")
        assert m.warnings == ["accel native: no LLVM here"]
