"""virtio-blk and its transport at the device level: requests, the image options
(snapshot=on, readonly=on, cache), QEMU's image locks, and a guest that breaks the ring
protocol (QEMU's virtio_error: broken, NEEDS_RESET with virtio 1; never a host error)."""

from __future__ import annotations

import os
import pickle
import struct
from pathlib import Path

import pytest

from rvirt.devices import virtio_blk as B
from rvirt.devices.block_image import BlockImage
from rvirt.devices.virtio_mmio import VirtioMmio
from rvirt.errors import RvirtError
from tests.devices.virtio_driver import DATA, INDIRECT, NEXT, NUM, RAM_BASE, RAM_SIZE, WRITE, Guest

SECTORS = 16
HDR, BUF, ST = DATA, DATA + 0x100, DATA + 0x80


@pytest.fixture
def image(tmp_path: Path) -> Path:
    p = tmp_path / "disk.img"
    p.write_bytes(bytes(range(256)) * 2 * SECTORS)
    return p


def guest(path: Path, modern: bool = False, **opts: object) -> Guest:
    return Guest(B.VirtioBlk(BlockImage(str(path), **opts)), modern=modern)  # type: ignore[arg-type]


def request(g: Guest, kind: int, sector: int, data: bytes | None = None, n: int = 512) -> int:
    """One header/data/status chain; the status byte the device wrote."""
    g.poke(HDR, struct.pack("<IIQ", kind, 0, sector))
    g.poke(ST, b"\xff")
    g.desc(0, HDR, 16, NEXT, 1)
    if data is not None:
        g.poke(BUF, data)
        g.desc(1, BUF, len(data), NEXT, 2)
    else:
        g.desc(1, BUF, n, WRITE | NEXT, 2)
    g.desc(2, ST, 1, WRITE)
    g.post()
    return g.peek(ST, 1)[0]


def test_read_and_write_reach_the_file(image: Path) -> None:
    g = guest(image)
    assert request(g, B.T_IN, 1) == B.S_OK
    assert g.peek(BUF, 512) == image.read_bytes()[512:1024]
    assert g.used(0) == (0, 513)  # every writable byte: data and status
    assert request(g, B.T_OUT, 3, b"\x5a" * 512) == B.S_OK
    assert image.read_bytes()[3 * 512:4 * 512] == b"\x5a" * 512
    assert g.r(0x60) == 1  # the used-buffer interrupt
    assert g.dev.irq.level


def test_flush_syncs_the_file_before_it_completes(image: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    g = guest(image)
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(g.used_idx()))
    assert request(g, B.T_FLUSH, 0) == B.S_OK
    assert synced == [0]  # before the used ring moved
    assert g.used_idx() == 1


def test_close_flushes(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = guest(image)
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    g.dev.close()
    assert len(synced) == 1


def test_snapshot_on_never_writes_the_file(image: Path) -> None:
    before = image.read_bytes()
    g = guest(image, snapshot=True)
    assert request(g, B.T_OUT, 2, b"\x11" * 512) == B.S_OK
    assert request(g, B.T_IN, 2) == B.S_OK
    assert g.peek(BUF, 512) == b"\x11" * 512  # the guest sees its write ...
    assert image.read_bytes() == before  # ... the file never does
    g.dev.close()
    assert image.read_bytes() == before


def test_snapshot_state_holds_the_written_sectors(image: Path) -> None:
    g = guest(image, snapshot=True)
    request(g, B.T_OUT, 2, b"\x11" * 512)
    saved = g.dev.state()
    request(g, B.T_OUT, 2, b"\x22" * 512)
    g.dev.set_state(saved)
    assert request(g, B.T_IN, 2) == B.S_OK
    assert g.peek(BUF, 512) == b"\x11" * 512


def test_readonly_advertises_ro_and_fails_writes(image: Path) -> None:
    before = image.read_bytes()
    g = guest(image, readonly=True)
    assert g.r(0x10) >> B.F_RO & 1
    assert request(g, B.T_OUT, 0, b"\x33" * 512) == B.S_IOERR
    assert request(g, B.T_IN, 0) == B.S_OK
    assert image.read_bytes() == before


def test_get_id_and_unsupported_types(image: Path) -> None:
    g = guest(image)
    g.poke(BUF, b"\xaa" * 20)
    assert request(g, B.T_GET_ID, 0, n=20) == B.S_OK
    assert g.peek(BUF, 2) == b"\x00\xaa"  # QEMU's empty serial and its NUL
    assert request(g, 0x20, 0) == B.S_UNSUPP
    assert request(g, B.T_IN, SECTORS) == B.S_IOERR  # past the end
    assert not g.broken


def test_write_cache_follows_flush_without_config_wce(image: Path) -> None:
    g = Guest(B.VirtioBlk(BlockImage(str(image))), features=1 << B.F_BLK_SIZE)
    assert g.dev.read(0x120, 1) == 0  # wce: no FLUSH negotiated, so write-through


def test_config_space_reads_all_ones_past_its_end(image: Path) -> None:
    g = guest(image)
    assert g.dev.read(0x100, 4) == SECTORS  # capacity
    assert g.dev.read(0x138, 4) == 0xFFFFFFFF
    assert g.dev.read(0x139, 1) == 0xFF


def test_status_zero_resets(image: Path) -> None:
    g = guest(image)
    request(g, B.T_IN, 0)
    g.w(0x70, 0)
    assert (g.r(0x70), g.r(0x60), g.dev.irq.level) == (0, 0, False)


def test_empty_transport_reads_as_qemus() -> None:
    t = VirtioMmio()
    assert [t.read(o, 4) for o in (0, 4, 8, 0xC, 0x10, 0x70)] == [
        0x74726976, 1, 0, 0x554D4551, 0, 0]
    assert t.read(0, 1) == 0x76
    t.write(0x70, 4, 0xFF)
    assert t.read(0x70, 4) == 0


# --- locks ----------------------------------------------------------------------------------

def test_a_writer_keeps_out_every_other_user(image: Path) -> None:
    first = BlockImage(str(image))
    with pytest.raises(RvirtError, match='Failed to get "write" lock'):
        BlockImage(str(image))
    with pytest.raises(RvirtError, match='Failed to get shared "write" lock'):
        BlockImage(str(image), readonly=True)
    first.close()
    BlockImage(str(image)).close()  # closing let go of the locks


def test_readers_share(image: Path) -> None:
    a = BlockImage(str(image), readonly=True)
    b = BlockImage(str(image), snapshot=True)
    with pytest.raises(RvirtError, match='Failed to get "write" lock'):
        BlockImage(str(image))
    a.close()
    b.close()


@pytest.mark.parametrize("opts", [{"cache": "bogus"}, {}])
def test_bad_images_are_one_line_errors(tmp_path: Path, opts: dict[str, str]) -> None:
    with pytest.raises(RvirtError) as e:
        BlockImage(str(tmp_path / ("x.img" if opts else "missing.img")), **opts)  # type: ignore[arg-type]
    assert "\n" not in str(e.value)


# --- a guest that breaks the protocol ---------------------------------------------------

def _chain(g: Guest, *descs: tuple[int, int, int, int]) -> None:
    for i, (addr, n, flags, nxt) in enumerate(descs):
        g.desc(i, addr, n, flags, nxt)


BAD_CHAINS = {
    "two pages outside RAM": ((HDR, 16, NEXT, 1), (0x1000, 8192, WRITE | NEXT, 2),
                              (ST, 1, WRITE, 0)),
    "two buffers outside RAM": ((HDR, 16, NEXT, 1), (0x1000, 256, WRITE | NEXT, 2),
                                (0x2000, 1, WRITE, 0)),
    "absurd length": ((HDR, 16, NEXT, 1), (BUF, 0xFFFF_FFFF, WRITE | NEXT, 2),
                      (ST, 1, WRITE, 0)),
    "loop": ((HDR, 16, NEXT, 1), (BUF, 512, WRITE | NEXT, 0)),
    "next past the table": ((HDR, 16, NEXT, NUM),),
    "write before read": ((ST, 1, WRITE | NEXT, 1), (HDR, 16, 0, 0)),
    "zero length": ((HDR, 16, NEXT, 1), (BUF, 0, WRITE | NEXT, 2), (ST, 1, WRITE, 0)),
    "no status": ((HDR, 16, 0, 0),),
    "short header": ((HDR, 8, NEXT, 1), (ST, 1, WRITE, 0)),
    "empty indirect table": ((HDR, 0, INDIRECT, 0),),
    "indirect table outside RAM": ((0x1000, 48, INDIRECT, 0),),
}


@pytest.mark.parametrize("modern", [False, True], ids=["legacy", "modern"])
@pytest.mark.parametrize("case", list(BAD_CHAINS))
def test_bad_chain_breaks_the_device(image: Path, case: str, modern: bool) -> None:
    g = guest(image, modern=modern)
    before = image.read_bytes()
    g.poke(HDR, struct.pack("<IIQ", B.T_IN, 0, 0))
    _chain(g, *BAD_CHAINS[case])
    g.post()
    assert g.broken
    assert len(g.errors) == 1
    assert g.used_idx() == 0  # nothing completes
    status = g.r(0x70)
    if modern:  # NEEDS_RESET and the configuration interrupt tell a virtio 1 driver
        assert status & 0x40 and g.r(0x60) == 3 and g.r(0xFC) == 1
    else:
        assert status == 7 and g.r(0x60) == 0
    # a broken device takes no more requests until the driver resets it
    _chain(g, (HDR, 16, NEXT, 1), (BUF, 512, WRITE | NEXT, 2), (ST, 1, WRITE, 0))
    g.post()
    assert g.used_idx() == 0
    g.w(0x70, 0)
    assert not g.broken and g.r(0x70) == 0
    assert image.read_bytes() == before


def test_head_index_past_the_queue(image: Path) -> None:
    g = guest(image)
    g.post(head=NUM)
    assert g.broken and g.errors == ["virtio-blk: Guest says index 8 is available"]


def test_more_chains_than_the_queue_holds(image: Path) -> None:
    """Reads complete after the notify (as QEMU's I/O threads complete them), so the
    ninth chain finds all eight in use."""
    g = guest(image)
    g.poke(HDR, struct.pack("<IIQ", B.T_IN, 0, 0))
    _chain(g, (HDR, 16, NEXT, 1), (BUF, 512, WRITE | NEXT, 2), (ST, 1, WRITE, 0))
    g.post(count=NUM + 1)
    assert g.broken and g.errors == ["virtio-blk: Virtqueue size exceeded"]
    assert g.used_idx() == 0  # the eight in flight complete into a broken device


def _modern_rings(g: Guest, desc: int, avail: int, used: int) -> None:
    g.w(0x70, 0)
    g.w(0x70, 3)
    g.w(0x24, 1)
    g.w(0x20, 1)
    g.w(0x70, 0xB)
    g.w(0x38, NUM)
    for off, addr in ((0x80, desc), (0x90, avail), (0xA0, used)):
        g.w(off, addr)
    g.w(0x44, 1)
    g.w(0x50, 0)


def test_ring_across_the_end_of_ram_is_refused(image: Path) -> None:
    g = Guest(B.VirtioBlk(BlockImage(str(image))), modern=True)
    _modern_rings(g, RAM_BASE - 64, RAM_BASE, RAM_BASE + 0x1000)
    assert g.broken and g.errors == ["virtio-blk: Cannot map desc"]


def test_ring_outside_ram_reads_as_what_is_there(image: Path) -> None:
    """QEMU reads a ring outside RAM the slow way: here an avail index of 0, nothing to do."""
    g = Guest(B.VirtioBlk(BlockImage(str(image))), modern=True)
    _modern_rings(g, 0x5000_0000, 0x5000_1000, 0x5000_2000)
    assert not g.broken and g.errors == []


def test_buffers_outside_ram_go_through_one_bounce_buffer(image: Path) -> None:
    """QEMU maps memory that is not RAM through its one bounce buffer of a page: a read
    into it completes (the data goes nowhere), a write from the boot ROM writes the ROM's
    bytes, and a second such buffer while the first is held breaks the device."""
    g = guest(image)
    g.poke(HDR, struct.pack("<IIQ", B.T_IN, 0, 0))
    _chain(g, (HDR, 16, NEXT, 1), (0x5000_0000, 512, WRITE | NEXT, 2), (ST, 1, WRITE, 0))
    g.post()
    assert g.peek(ST, 1) == bytes([B.S_OK]) and g.used(0) == (0, 513)
    g.poke(HDR, struct.pack("<IIQ", B.T_OUT, 0, 1))
    _chain(g, (HDR, 16, NEXT, 1), (0x1000, 512, NEXT, 2), (ST, 1, WRITE, 0))
    g.post()
    assert g.peek(ST, 1) == bytes([B.S_OK])
    assert image.read_bytes()[512:1024] == g.rom[:512]
    g.poke(HDR, struct.pack("<IIQ", B.T_IN, 0, 0))
    _chain(g, (HDR, 16, NEXT, 1), (RAM_BASE + RAM_SIZE - 256, 512, WRITE | NEXT, 2),
           (ST, 1, WRITE, 0))
    g.post(count=2)  # the first read holds the buffer until the notify ends
    assert g.broken and g.errors == ["virtio-blk: virtio: bogus descriptor or out of resources"]


def test_indirect_chain_longer_than_an_element_holds(image: Path) -> None:
    """An indirect table may be longer than the queue, but one element holds at most
    1024 buffers (VIRTQUEUE_MAX_SIZE)."""
    g = guest(image)
    table = DATA + 0x400
    n = 1025
    for i in range(n):
        g.desc(i, HDR, 16, NEXT if i < n - 1 else 0, i + 1, table=table)
    g.desc(0, table, 16 * n, INDIRECT)
    g.post()
    assert g.broken
    assert g.errors == ["virtio-blk: virtio: too many write descriptors in indirect table"]


def test_disk_state_is_plain_data_that_pickles(image: Path) -> None:
    g = guest(image)
    request(g, B.T_OUT, 2, b"\xaa" * 512)
    saved = pickle.loads(pickle.dumps(g.dev.state()))
    request(g, B.T_OUT, 2, b"\xbb" * 512)
    g.dev.set_state(saved)
    assert image.read_bytes()[1024:1536] == b"\xaa" * 512


def test_a_broken_devices_line_stays_until_reset(image: Path) -> None:
    """QEMU's virtio_notify_vector does nothing for a broken device: acknowledging clears
    the interrupt status but leaves the line high until the driver resets the device."""
    g = guest(image, modern=True)
    _chain(g, (HDR, 16, NEXT, 1), (BUF, 0, WRITE | NEXT, 2), (ST, 1, WRITE, 0))
    g.post()
    assert g.broken and g.r(0x60) == 3 and g.dev.irq.level
    g.w(0x64, 3)
    assert g.r(0x60) == 0 and g.dev.irq.level
    g.w(0x70, 0)
    assert not g.dev.irq.level


def test_get_id_of_a_long_serial_has_no_nul(image: Path) -> None:
    g = Guest(B.VirtioBlk(BlockImage(str(image)), serial="0123456789abcdefghijXYZ"))
    g.poke(BUF, b"\xaa" * 24)
    assert request(g, B.T_GET_ID, 0, n=24) == B.S_OK
    assert g.peek(BUF, 24) == b"0123456789abcdefghij" + b"\xaa" * 4


def test_a_board_that_fails_lets_its_images_go(image: Path) -> None:
    from rvirt.board.virt import Board, BoardConfig, VirtioSpec
    spec = VirtioSpec("virtio-blk-device", file=str(image))
    with pytest.raises(RvirtError, match='Failed to get "write" lock'):
        Board(BoardConfig(bios="none", virtio=(spec, spec)), console=lambda data: None)
    BlockImage(str(image)).close()  # the first device's image was closed again
