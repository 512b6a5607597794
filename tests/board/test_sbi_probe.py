"""The built-in SBI firmware as an S-mode kernel sees it (sbi-probe.c): its boot
registers and address, /chosen/bootargs, every BASE call, probe_extension for each
extension, DBCN and legacy console output, the SBI timer (set_timer, then the STIP
interrupt), HSM status and start errors, IPI and remote fence, error codes for an
unknown extension or function, and SRST shutdown ending the run with status 0.

On all three tiers rvirt must print `EXPECTED`; with QEMU's rv32 OpenSBI, QEMU 7.2 must
print the same but for what docs/differences.md lists (`DIFFERENT`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rvirt.firmware import IMPL_ID, IMPL_VERSION, SPEC_VERSION
from tests.board import probe as P
from tests.tooling import run_rvirt

pytestmark = pytest.mark.tools

ERR_FAILED = "ffffffff"
ERR_NOT_SUPPORTED = "fffffffe"
ERR_INVALID_PARAM = "fffffffd"
ERR_ALREADY_AVAILABLE = "fffffffa"
OK = "00000000"

EXPECTED = {
    "boot": "00000000 89400000 80400000",  # a0 = hart 0, a1 = QEMU's DTB (150M), its pc
    "bootargs": P.APPEND,
    "base 00000000": f"{OK} {SPEC_VERSION:08x}",  # SBI v2.0
    "base 00000001": f"{OK} {IMPL_ID:08x}",
    "base 00000002": f"{OK} {IMPL_VERSION:08x}",
    "base 00000003": f"{OK} 00000001",  # probe_extension(0): the legacy set_timer
    "base 00000004": f"{OK} 00000000",  # mvendorid, marchid, mimpid: QEMU's
    "base 00000005": f"{OK} 00070216",
    "base 00000006": f"{OK} 00070216",
    **{f"probe {ext}": f"{OK} 00000001" for ext in (
        "00000010", "54494d45", "00735049", "52464e43", "0048534d", "53525354", "4442434e",
        "00000001", "00000008")},
    "probe 12345678": f"{OK} 00000000",
    "dbcn-write": f"{OK} 0000000e",  # 14 bytes written
    "dbcn-byte": f"{OK} 00000000",
    "dbcn-firmware": ERR_INVALID_PARAM,  # a buffer in the firmware's memory
    "dbcn-high": ERR_INVALID_PARAM,  # a buffer above 4 GiB
    "dbcn-read0": f"{OK} 00000000",
    "putchar": "",  # the legacy console_putchar prints the line
    "hsm-status0": f"{OK} 00000000",  # STARTED
    "hsm-status1": ERR_INVALID_PARAM,  # no hart 1
    "hsm-start0": ERR_ALREADY_AVAILABLE,
    "hsm-start7": ERR_INVALID_PARAM,
    "unknown-ext": ERR_NOT_SUPPORTED,
    "unknown-fid": ERR_NOT_SUPPORTED,
    "ipi-self": f"{OK} 00000002",  # SSIP pending right after the call
    "ipi-bad": ERR_INVALID_PARAM,
    "rfence": OK,
    "srst-bad": ERR_INVALID_PARAM,
    "timer": f"{OK} 80000005 00000000",  # the STIP interrupt came; set_timer cleared it
    "legacy-timer": f"{OK} 80000005",
}
# What QEMU with OpenSBI v1.3 answers otherwise (docs/differences.md): its SBI version
# (1.0), implementation id (1, OpenSBI) and version, and FAILED for a DBCN buffer above
# 4 GiB (the SBI spec says INVALID_PARAM).
DIFFERENT = {"base 00000000", "base 00000001", "base 00000002", "dbcn-high"}


@pytest.fixture(scope="module")
def kernel() -> Path:
    return P.build()


def rvirt_lines(kernel: Path, tier: str, *extra: str) -> tuple[dict[str, str], str]:
    r = run_rvirt(*P.ARGS, "-kernel", str(kernel), "-append", P.APPEND, "-accel", tier,
                  *extra, input=b"")
    assert r.returncode == 0, r.stderr  # SRST shutdown: the test finisher's PASS
    return P.lines(r.stdout), r.stdout.decode(errors="replace")


@pytest.mark.parametrize("tier", P.TIERS)
def test_probe_on_each_tier(kernel: Path, tier: str) -> None:
    got, out = rvirt_lines(kernel, tier)
    assert got == EXPECTED
    # the banner first, then the probe's own output (DBCN write, write_byte); every
    # newline goes out as CR LF, as OpenSBI's sbi_putc sends it
    assert out.startswith("rvirt SBI firmware v0.1, SBI v2.0\r\n")
    assert "dbcn-write ok\r\ndbcn-write 00000000 0000000e\r\n!\r\n" in out
    assert "\r\r" not in out


def test_bios_default_is_no_bios(kernel: Path) -> None:
    got, _ = rvirt_lines(kernel, "interp", "-bios", "default")
    assert got == EXPECTED


def test_raw_image_goes_at_0x80400000(kernel: Path) -> None:
    # A raw kernel (as Linux's Image) is placed after the firmware, 4 MiB aligned
    got, _ = rvirt_lines(P.raw(kernel), "tcg")
    assert got == EXPECTED


def test_probe_on_qemu_with_opensbi(kernel: Path) -> None:
    """QEMU with OpenSBI answers as rvirt does but for the listed differences.  Debian
    ships no rv32 OpenSBI, so this compares with QEMU's recorded lines (tests/board/data;
    `python tests/board/probe.py --record` makes them again), and also runs QEMU when an
    rv32 OpenSBI is there (RVIRT_OPENSBI_RV32), which must still print the record."""
    got = P.recorded_lines()
    fw = P.opensbi_rv32()
    if fw is not None:
        assert P.lines(P.qemu_opensbi_stdout(kernel, fw)) == got
    assert set(got) == set(EXPECTED)
    assert {k: v for k, v in got.items() if k not in DIFFERENT} == {
        k: v for k, v in EXPECTED.items() if k not in DIFFERENT}
    assert got["base 00000001"] == f"{OK} 00000001"  # OpenSBI's implementation id


def test_sbi_calls_in_the_int_log_and_hints(kernel: Path) -> None:
    # -d int: after each ecall's trap line, what the firmware answered (rvirt's line)
    r = run_rvirt(*P.ARGS, "-kernel", str(kernel), "-accel", "interp", "-d", "int",
                  input=b"")
    err = r.stderr.decode()
    assert r.returncode == 0
    assert ("riscv_cpu_do_interrupt: hart:0, async:0, cause:00000009, epc:0x8040001c, "
            "tval:0x00000000, desc=supervisor_ecall\n"
            "sbi_call: hart:0, ext:0x10 (BASE), fid:0, a0:0x00000000, a1:0x00000000, "
            "a2:0x00000000 -> error:0, value:0x02000000\n") in err
    assert ("sbi_call: hart:0, ext:0x53525354 (SRST), fid:0, a0:0x00000000, "
            "a1:0x00000000, a2:0x00000000 -> does not return\n") in err
    # the hints: an unknown extension, a hart started twice (each once)
    hints = [line for line in err.splitlines() if line.startswith("rvirt: hint:")]
    assert hints == [
        "rvirt: hint: SBI hart_start of hart 0, which is running already: it returned "
        "SBI_ERR_ALREADY_AVAILABLE (-6)",
        "rvirt: hint: each hart is started once; hart_get_status (a7=0x48534d, a6=2) says "
        "whether one runs (0 = STARTED)",
        "rvirt: hint: SBI call with extension id 0x12345678 (a7), which the firmware does "
        "not have: it returned SBI_ERR_NOT_SUPPORTED (-2)",
        "rvirt: hint: a7 holds the extension id, a6 the function id, a0-a5 the arguments; "
        "BASE's probe_extension (a7=0x10, a6=3) asks whether one exists",
    ]
