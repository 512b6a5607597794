"""bench/board.py (the -smp 4 overhead and virtio-blk throughput rows of `make bench`): a
quick rvirt-only run must print both tables with a row per tier, and its check of the
image must catch a wrong byte.  No figure is asserted (speed is measured by `make bench`,
never by the tests)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import tooling

pytestmark = pytest.mark.tools

BOARD = tooling.ROOT / "bench" / "board.py"
TIERS = ("rvirt", "rvirt -accel interp", "rvirt -accel tcg", "rvirt -accel native")
NUM = r"(\d[\d.]*)"


def table_rows(text: str, title: str) -> dict[str, list[str]]:
    """The rows of the table under the line starting with `title`, by emulator."""
    block = text.split(title, 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in block.splitlines()[3:]:  # the title's rest, the header and its rule
        m = re.match(r"^  (\S+(?: -accel \w+)?)\s{2,}(.*)$", line)
        if m:
            rows[m.group(1)] = m.group(2).split()
    return rows


def test_quick_run_prints_both_sections() -> None:
    tooling.need(tooling.CROSS + "gcc")
    r = subprocess.run([sys.executable, str(BOARD), "--quick", "--no-qemu"],
                       capture_output=True, text=True, timeout=600, cwd=tooling.ROOT)
    assert r.returncode == 0, r.stderr

    smp = table_rows(r.stdout, "-smp 4 overhead:")
    assert set(smp) == set(TIERS), r.stdout
    counts = set()
    for tier, cells in smp.items():
        iters, instructions, s1, s4, ratio, verdict, cpu_ratio = cells
        counts.add((iters, instructions))
        assert int(instructions.replace(",", "")) > int(iters.replace(",", "")), tier
        assert float(s1) > 0 and float(s4) > 0, tier
        # the walls are printed to 0.01 s: the ratio (of the unrounded walls) lies in
        # the range the rounding leaves, which is wide for short runs
        lo = (float(s4) - 0.005) / (float(s1) + 0.005)
        hi = (float(s4) + 0.005) / max(float(s1) - 0.005, 1e-9)
        assert lo - 0.001 <= float(ratio) <= hi + 0.001, tier
        assert verdict in ("yes", "NO") and float(cpu_ratio) > 0, tier
    assert re.search(r"target \(rvirt -smp 4 within 10% of -smp 1 on every tier, wall "
                     r"time\): "
                     r"(met|NOT met \(.+\))$", r.stdout, re.MULTILINE), r.stdout

    blk = table_rows(r.stdout, "virtio-blk (legacy virtio-mmio): a 1 MiB raw image")
    assert set(blk) == set(TIERS), r.stdout
    for tier, cells in blk.items():
        read, write, vs_read, vs_write = cells
        assert float(read) > 0 and float(write) > 0, tier
        assert (vs_read, vs_write) == ("n/a", "n/a"), tier  # no QEMU in this run
    assert "every run's image held exactly what the guest wrote" in r.stdout


CHECK = """
import sys
from pathlib import Path
sys.path.insert(0, "bench")
from pathlib import Path
import board
size = 1 << 16
after = board.disk_after(size)
assert len(after) == size and after[:4] == (0 ^ board.WRITE_TAG).to_bytes(4, "little")
assert after[512 * 3:512 * 3 + 8] == bytes.fromhex("57495257b979379e"), after[1536:1544].hex()
image = Path(sys.argv[1])
image.write_bytes(after)
board.check_image(image, after, "exact")
wrong = bytearray(after)
wrong[512 * 5 + 100] ^= 1
image.write_bytes(wrong)
try:
    board.check_image(image, after, "one bit off")
except board.BenchError as e:
    print(e)
"""


def test_the_image_check_catches_one_wrong_bit(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path / "disk.img")],
                       capture_output=True, text=True, timeout=60, cwd=tooling.ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ("one bit off: the image does not hold what the guest wrote "
                                "(first wrong sector 5, 65536 bytes against 65536)")
