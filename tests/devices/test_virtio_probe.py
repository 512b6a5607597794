"""The virtio probe (virtio-probe.S) on QEMU 7.2 and on rvirt, legacy and modern: the
slots' identification, feature negotiation, configuration space, queue set-up, reads,
writes, flushes, GET_ID, indirect descriptors, EVENT_IDX, interrupts, a guest error and
reset must print the same lines, and the disk images must end the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cpu import probes
from tests.tooling import ROOT, assemble, run_qemu, run_rvirt

pytestmark = pytest.mark.tools

PROBE = Path(__file__).with_name("virtio-probe.S")
SECTORS = 64
DEVICES = ("-device", "virtio-blk-device,drive=d0", "-device", "virtio-rng-device")
MODERN = ("-global", "virtio-mmio.force-legacy=false")

# What the probe must see on QEMU, so that a probe gone wrong cannot pass by agreeing
KEY_LINES = {
    False: {  # legacy
        0x16: "74726976 00000001 00000004 554d4551",  # -device virtio-rng-device: slot 6
        0x17: "74726976 00000001 00000002 554d4551",  # the first -device: slot 7
        0x20: "31006ed4 00000000 00000400 00000003 00000000 00000007",
        0x21: "00000040 00000000 00000000 000000fe 10040001 00000200 00000000 00000000",
        0x32: "00000000 00000001 00000000 00000001 00000003 00000003",
        0x36: "00000000 00000015 00000000 00000001 00000007 00000007",
        0x3A: "00000000 00000201 00000000 00000001 0000000b 0000000b",  # outside RAM
        0x3B: "00000007 0000002a",  # the code the device wrote runs
        0x50: "00000007 00000000 0000000c 00000000",  # broken, quietly
    },
    True: {  # modern
        0x17: "74726976 00000002 00000002 554d4551",
        0x20: "30006e54 00000101 00000400 0000000b 00000001 0000000f",
        0x50: "0000004f 00000003 0000000c 00000001",  # NEEDS_RESET, config interrupt
    },
}


def disk(path: Path) -> None:
    """64 sectors of a known pattern, with an MBR whose partition ends at head 3,
    sector 16 (QEMU's geometry guess reads it: 1 cylinder, 4 heads, 16 sectors)."""
    img = bytearray()
    for s in range(SECTORS):
        for i in range(128):
            img += ((s * 0x01000193 + i * 0x9E3779B1) & 0xFFFFFFFF).to_bytes(4, "little")
    p = 0x1BE
    img[p:p + 16] = (bytes([0x80, 0, 1, 0, 0x83, 3, 16, 0]) + (1).to_bytes(4, "little")
                     + (60).to_bytes(4, "little"))
    img[510:512] = b"\x55\xaa"
    # sector 7: code the probe reads over a function (li a0, 42; ret)
    img[7 * 512:7 * 512 + 6] = (0x02A00513).to_bytes(4, "little") + (0x8082).to_bytes(2, "little")
    path.write_bytes(bytes(img))


@pytest.fixture(scope="module")
def probe() -> Path:
    return assemble(PROBE, extra_as=("-I", str(ROOT / "tests" / "cpu")))


def _args(elf: Path, image: Path, modern: bool) -> list[str]:
    return [*probes.ARGS, str(elf), "-drive", f"file={image},if=none,format=raw,id=d0",
            *DEVICES, *(MODERN if modern else ())]


@pytest.fixture(scope="module")
def on_qemu(probe: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[bool, tuple[dict[int, str], bytes]]:
    out = {}
    for modern in (False, True):
        image = tmp_path_factory.mktemp("qemu") / "disk.img"
        disk(image)
        q = run_qemu(*_args(probe, image, modern))
        assert q.returncode == 0, q.stderr
        lines = probes.lines(q.stdout)
        assert {c: lines[c] for c in KEY_LINES[modern]} == KEY_LINES[modern]
        out[modern] = (lines, image.read_bytes())
    return out


@pytest.mark.parametrize("modern", [False, True], ids=["legacy", "modern"])
@pytest.mark.parametrize("accel", probes.TIERS)
def test_virtio_probe_against_qemu(probe: Path, on_qemu: dict[bool, tuple[dict[int, str], bytes]],
                                   tmp_path: Path, accel: str, modern: bool) -> None:
    image = tmp_path / "disk.img"
    disk(image)
    before = image.read_bytes()
    r = run_rvirt("-accel", accel, *_args(probe, image, modern), timeout=600)
    assert r.returncode == 0, r.stderr
    qemu_lines, qemu_image = on_qemu[modern]
    assert probes.lines(r.stdout) == qemu_lines
    after = image.read_bytes()
    assert after != before  # the writes reached the file ...
    assert after == qemu_image  # ... as QEMU's reached its own
    # the guest error is reported, as QEMU reports it, in one line
    assert r.stderr.decode().splitlines() == [
        "rvirt: virtio-blk: virtio: zero sized buffers are not allowed"]


def test_serial_against_qemu(probe: Path, tmp_path: Path) -> None:
    """GET_ID answers the -device's serial= with its NUL, as QEMU does."""
    out = []
    for run in (run_qemu, run_rvirt):
        image = tmp_path / f"{run.__name__}.img"
        disk(image)
        args = _args(probe, image, False)
        args[args.index("virtio-blk-device,drive=d0")] += ",serial=abc"
        r = run(*args)
        assert r.returncode == 0, r.stderr
        out.append(probes.lines(r.stdout)[0x136])
    assert out == ["00636261", "00636261"]
