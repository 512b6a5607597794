"""Linux 6.1 rv32, built from Debian's linux-source-6.1 by `make linux` (linux/README.md),
boots on rvirt's built-in SBI firmware with two harts and a virtio-blk disk, as the board
issue's command line has it:

    rvirt -machine virt -cpu rv32 -m 256M -smp 2 -nographic -kernel build/linux/Image
          -append "console=ttyS0" -drive file=disk.img,if=none,format=raw,id=hd0
          -device virtio-blk-device,drive=hd0

once on virtio-mmio's legacy transport (QEMU 7.2's default) and once on the modern one
(`-global virtio-mmio.force-legacy=false`).  The kernel is nobody's here but Linux's;
its init (linux/init.c) reads the disk's first sector, overwrites it and fsync()s, then
echoes typed lines until `poweroff`.

Both boots run at once, each on its own pseudo-terminal (a thread drains each, so a
boot's console never blocks on a full pty), so the two harts of this machine are both
used.  Runs on the default tier only: `make test` runs tests/linux once.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tooling import ROOT, RVIRT, missing

IMAGE = ROOT / "build" / "linux" / "Image"
BOOT_WAIT = 1200.0  # seconds for the boot to reach the init's prompt (about 40 s here)
STEP_WAIT = 120.0  # seconds for anything after that
SECTOR = 512
DISK_TEXT = b"rvirt-disk: made by tests/linux\n"
TRANSPORTS = {"legacy": (), "modern": ("-global", "virtio-mmio.force-legacy=false")}


def _kernel() -> Path:
    if not IMAGE.is_file():
        missing(f"{IMAGE} is missing: `make linux` builds it (make test does)")
    return IMAGE


class Boot:
    """rvirt on the slave side of a pty; a thread collects everything it prints."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = os.openpty()
        try:
            self.proc = subprocess.Popen(argv, cwd=ROOT, stdin=slave, stdout=slave,
                                         stderr=slave, start_new_session=True)
        finally:
            os.close(slave)
        self.output = b""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the emulator has exited
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    def text(self) -> bytes:
        with self._lock:
            return self.output

    def expect(self, wanted: bytes, wait: float = STEP_WAIT, start: int = 0) -> int:
        """Where `wanted` ends in the output (searched from `start`)."""
        deadline = time.monotonic() + wait
        while True:
            seen = self.text()
            at = seen.find(wanted, start)
            if at >= 0:
                return at + len(wanted)
            tail = seen[-2000:].decode(errors="replace")
            assert self.proc.poll() is None, (
                f"rvirt exited ({self.proc.returncode}) before {wanted!r}:\n{tail}")
            assert time.monotonic() < deadline, f"{wanted!r} did not appear:\n{tail}"
            time.sleep(0.2)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait_exit(self) -> int:
        try:
            code = self.proc.wait(timeout=STEP_WAIT)
        finally:
            self._reader.join(timeout=10)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        os.close(self.master)


@pytest.fixture(scope="module")
def boots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Boot, Path]]]:
    kernel = _kernel()
    started: dict[str, tuple[Boot, Path]] = {}
    try:
        for name, options in TRANSPORTS.items():
            disk = tmp_path_factory.mktemp(name) / "disk.img"
            disk.write_bytes(DISK_TEXT.ljust(SECTOR, b"\0") + bytes(SECTOR * 2047))
            argv = [*RVIRT, "-machine", "virt", "-cpu", "rv32", "-m", "256M", "-smp", "2",
                    "-nographic", "-kernel", str(kernel), "-append", "console=ttyS0",
                    "-drive", f"file={disk},if=none,format=raw,id=hd0",
                    "-device", "virtio-blk-device,drive=hd0", *options]
            started[name] = (Boot(argv), disk)
        yield started
    finally:
        for boot, _ in started.values():
            boot.close()


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_linux_boots_uses_the_disk_echoes_and_powers_off(
        boots: dict[str, tuple[Boot, Path]], transport: str) -> None:
    boot, disk = boots[transport]
    at = boot.expect(b"init> ", wait=BOOT_WAIT)
    log = boot.text()[:at]
    assert b"SBI specification v2.0 detected" in log
    assert b"smp: Brought up 1 node, 2 CPUs" in log
    assert b"virtio_blk virtio0: [vda] 2048 512-byte logical blocks" in log
    assert b"init: cpus online 0-1" in log
    assert b"init: disk read: " + DISK_TEXT.rstrip() in log
    assert b"init: disk written and flushed" in log
    assert b"FAIL" not in log and b"Oops" not in log and b"BUG" not in log

    # A line typed at the terminal: the tty echoes it, then the init says what it got.
    boot.type(b"hello from the test\r")
    boot.expect(b"got: hello from the test", start=at)
    at = boot.expect(b"init> ", start=at)
    boot.type(b"poweroff\r")
    boot.expect(b"init: powering off", start=at)
    assert boot.wait_exit() == 0, boot.text()[-2000:].decode(errors="replace")

    # What the init wrote and flushed is in the file; the rest of the image is untouched.
    image = disk.read_bytes()
    assert image[:SECTOR] == b"written-by-linux\n".ljust(SECTOR, b"\0")
    assert image[SECTOR:] == bytes(SECTOR * 2047)
