"""virtio-rng (virtio 1.1 5.4) as QEMU 7.2 `hw/virtio/virtio-rng.c` with one queue of 8,
filled with bytes from a seeded generator: runs repeat exactly (QEMU's default
rng-builtin backend draws from the host's random source instead)."""

from __future__ import annotations

import hashlib

from rvirt.devices.virtio_mmio import CHUNK, S_DRIVER_OK, Backend, Queue

DEVICE_ID = 4
QUEUE_SIZE = 8
DEFAULT_SEED = b"rvirt virtio-rng"


class VirtioRng(Backend):
    device_id = DEVICE_ID
    name = "virtio-rng"
    queue_sizes = (QUEUE_SIZE,)

    def __init__(self, seed: bytes = DEFAULT_SEED) -> None:
        self.seed = seed
        self.position = 0  # bytes handed out since power-on

    def _bytes(self, n: int) -> bytes:
        """The next n bytes of SHA-256 in counter mode over the seed."""
        out = bytearray()
        pos = self.position
        while len(out) < n:
            block = hashlib.sha256(self.seed + (pos // 32).to_bytes(8, "little")).digest()
            piece = block[pos % 32:pos % 32 + n - len(out)]
            out += piece
            pos += len(piece)
        self.position = pos
        return bytes(out)

    def set_status(self, status: int) -> None:
        # QEMU's virtio_rng_set_status: any status write looks at the queue again, so a
        # driver that becomes ready gets what it queued before
        self.core.status = status
        for q in self.core.queues:
            if q.desc:
                self.handle(q)

    def handle(self, q: Queue) -> None:
        """virtio_rng_process and chr_read: every queued buffer filled."""
        if not self.core.status & S_DRIVER_OK or not q.avail:
            return
        filled = False
        while (elem := q.pop()) is not None:
            size = elem.in_size()
            done = 0
            while done < size:
                k = min(CHUNK, size - done)
                q.scatter(elem.in_, self._bytes(k), skip=done)
                done += k
            q.push(elem, size)
            filled = True
        if filled:
            q.notify()

    def reset(self) -> None:
        pass  # the generator goes on, as a host's random source would

    def state(self) -> dict[str, object]:
        return {"position": self.position}

    def set_state(self, state: dict[str, object]) -> None:
        self.position = int(state["position"])  # type: ignore[call-overload]
