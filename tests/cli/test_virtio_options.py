"""-drive, -device and -global for virtio: where devices go, snapshot=on and readonly=on end
to end, QEMU's image locks against a real QEMU (each keeps the other out), and bad
options as one line."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.guest import ARGS, one_error_line
from tests.devices.test_virtio_probe import PROBE, disk
from tests.tooling import ROOT, RVIRT, assemble, need, run_rvirt

pytestmark = pytest.mark.tools


@pytest.fixture(scope="module")
def probe() -> Path:
    return assemble(PROBE, extra_as=("-I", str(ROOT / "tests" / "cpu")))


@pytest.fixture
def image(tmp_path: Path) -> Path:
    p = tmp_path / "disk.img"
    disk(p)
    return p


def lines(stdout: bytes) -> dict[int, str]:
    out = {}
    for line in stdout.decode().splitlines():
        case, rest = line.split(" ", 1)
        out[int(case, 16)] = rest.strip()
    return out


def drive(image: Path, extra: str = "") -> tuple[str, ...]:
    return ("-drive", f"file={image},if=none,format=raw,id=d0{extra}")


def test_bus_puts_the_device_on_that_transport(probe: Path, image: Path) -> None:
    r = run_rvirt(*ARGS, "-bios", str(probe), *drive(image), "-device",
                  "virtio-blk-device,drive=d0,bus=virtio-mmio-bus.3", timeout=600)
    assert r.returncode == 0, r.stderr
    ids = {case: lines(r.stdout)[case].split()[2] for case in range(0x10, 0x18)}
    assert ids == {**{c: "00000000" for c in range(0x10, 0x18)}, 0x13: "00000002"}


def test_drive_if_virtio(probe: Path, image: Path) -> None:
    r = run_rvirt(*ARGS, "-bios", str(probe), "-drive", f"file={image},format=raw,if=virtio",
                  timeout=600)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert out[0x17].split()[2] == "00000002"  # on the highest free transport
    assert out[0x32].split()[0] == "00000000"  # the write succeeded
    assert "on PCI" in r.stderr.decode()  # and rvirt says where QEMU would put it


def test_snapshot_on_leaves_the_image_alone(probe: Path, image: Path) -> None:
    before = image.read_bytes()
    r = run_rvirt(*ARGS, "-bios", str(probe), *drive(image, ",snapshot=on"), "-device",
                  "virtio-blk-device,drive=d0", timeout=600)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert out[0x32].split()[0] == "00000000"  # the guest's write succeeded ...
    assert out[0x133].split()[0] == "000005a5"  # ... and reads back
    assert image.read_bytes() == before  # ... the file never saw it


def test_readonly_on_fails_writes(probe: Path, image: Path) -> None:
    before = image.read_bytes()
    r = run_rvirt(*ARGS, "-bios", str(probe), *drive(image, ",readonly=on"), "-device",
                  "virtio-blk-device,drive=d0", timeout=600)
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert int(out[0x20].split()[0], 16) >> 5 & 1  # VIRTIO_BLK_F_RO offered
    assert out[0x32].split()[0] == "00000001"  # the write: IOERR
    assert image.read_bytes() == before


# --- locks against a real QEMU -----------------------------------------------------------

def _held(path: Path, byte: int) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, byte, 1, 0)
        got = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe)
        return struct.unpack("hhqqi4x", got)[0] != fcntl.F_UNLCK
    finally:
        os.close(fd)


@pytest.fixture
def holder() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        p.kill()
        p.wait()


def _start(holder: list[subprocess.Popen[bytes]], argv: list[str], image: Path) -> None:
    """Start an emulator that opens `image` and stays stopped (-S); wait until it holds
    the write lock (or has ended)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=ROOT)
    holder.append(p)
    while p.poll() is None and not _held(image, 101):
        time.sleep(0.02)  # polling, not a deadline: QEMU takes its time to start
    assert p.poll() is None, p.stderr.read() if p.stderr else b""


def test_qemu_keeps_rvirt_out(probe: Path, image: Path,
                              holder: list[subprocess.Popen[bytes]]) -> None:
    qemu = need("qemu-system-riscv32")
    _start(holder, [qemu, "-M", "virt", "-bios", "none", "-display", "none", "-monitor",
                    "none", "-serial", "none", "-S", *drive(image), "-device",
                    "virtio-blk-device,drive=d0"], image)
    for extra in ("", ",readonly=on", ",snapshot=on"):
        r = run_rvirt(*ARGS, "-bios", str(probe), *drive(image, extra), "-device",
                      "virtio-blk-device,drive=d0")
        line = one_error_line(r)
        assert 'Failed to get' in line and '"write" lock' in line and str(image) in line


def test_rvirt_keeps_qemu_out(probe: Path, image: Path,
                              holder: list[subprocess.Popen[bytes]]) -> None:
    qemu = need("qemu-system-riscv32")
    _start(holder, [*RVIRT, *ARGS, "-bios", str(probe), "-S", *drive(image), "-device",
                    "virtio-blk-device,drive=d0"], image)
    q = subprocess.run([qemu, "-M", "virt", "-bios", "none", "-display", "none", "-monitor",
                        "none", "-serial", "none", "-S", *drive(image, ",readonly=on"),
                        "-device", "virtio-blk-device,drive=d0"],
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert q.returncode == 1
    assert b'Failed to get shared "write" lock' in q.stderr


# --- bad options ----------------------------------------------------------------------

BAD = {
    "no format": (("-drive", "file={img},if=none,id=d0"), "format=raw"),
    "qcow2": (("-drive", "file={img},if=none,format=qcow2,id=d0"), "format=raw"),
    "no if": (("-drive", "file={img},format=raw"), "if=ide"),
    "unknown drive option": (("-drive", "file={img},format=raw,if=none,id=d,aio=native"),
                             "'aio'"),
    "bad cache": (("-drive", "file={img},format=raw,if=none,id=d0,cache=fast", "-device",
                   "virtio-blk-device,drive=d0"), "cache"),
    "bad bool": (("-drive", "file={img},format=raw,if=none,id=d0,readonly=maybe"),
                 "readonly"),
    "missing file": (("-drive", "file=/nonexistent/x.img,format=raw,if=none,id=d0",
                      "-device", "virtio-blk-device,drive=d0"), "Could not open"),
    "unknown drive id": (("-device", "virtio-blk-device,drive=nope"), "'nope'"),
    "no drive": (("-device", "virtio-blk-device"), "drive property not set"),
    "drive twice": (("-drive", "file={img},format=raw,if=none,id=d0", "-device",
                     "virtio-blk-device,drive=d0", "-device", "virtio-blk-device,drive=d0"),
                    "in use"),
    "unknown device": (("-device", "e1000"), "'e1000'"),
    "unknown property": (("-device", "virtio-rng-device,rng=r0"), "'rng'"),
    "bad bus": (("-device", "virtio-rng-device,bus=pcie.0"), "pcie.0"),
    "bus past the last": (("-device", "virtio-rng-device,bus=virtio-mmio-bus.8"),
                          "virtio-mmio-bus.8"),
    "bus full": (("-device", "virtio-rng-device,bus=virtio-mmio-bus.2", "-device",
                  "virtio-rng-device,bus=virtio-mmio-bus.2"), "is full"),
    "nine devices": (tuple(a for _ in range(9) for a in ("-device", "virtio-rng-device")),
                     "virtio-bus"),
    "other global": (("-global", "virtio-blk-device.serial=x"), "force-legacy"),
    "bad force-legacy": (("-global", "virtio-mmio.force-legacy=perhaps"), "force-legacy"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_options_are_one_line(probe: Path, image: Path, case: str) -> None:
    args, needle = BAD[case]
    r = run_rvirt(*ARGS, "-bios", str(probe), *(a.format(img=image) for a in args))
    assert needle in one_error_line(r)


@pytest.mark.parametrize("value", ["on", "off", "true", "false"])
def test_force_legacy_values(probe: Path, value: str) -> None:
    r = run_rvirt(*ARGS, "-bios", str(probe), "-global", f"virtio-mmio.force-legacy={value}",
                  timeout=600)
    assert r.returncode == 0, r.stderr
    version = "00000001" if value in ("on", "true") else "00000002"
    assert lines(r.stdout)[0x10].split()[1] == version
    alt = run_rvirt(*ARGS, "-bios", str(probe), "-global",
                    f"driver=virtio-mmio,property=force-legacy,value={value}", timeout=600)
    assert lines(alt.stdout)[0x10].split()[1] == version
