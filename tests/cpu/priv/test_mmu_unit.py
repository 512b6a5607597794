"""Sv32, PMP and the accessor switching, on a Board without running a program: PMP
address decoding and checks (spec 3.7.1), debugger accesses through the MMU (as QEMU's
cpu_memory_rw_debug), watchpoints on virtual addresses, sfence.vma, and the physical
fast path staying installed in M-mode."""

from __future__ import annotations

import pytest

from rvirt.board.virt import Board, BoardConfig
from rvirt.cpu.hart import Hart, WatchHit
from rvirt.cpu.pmp import PMP_R, PMP_W, PMP_X, Pmp
from rvirt.cpu.trap import LOAD_ACCESS, LOAD_PAGE, STORE_PAGE, Trap

PRV_U, PRV_S, PRV_M = 0, 1, 3
RAM = 0x80000000
ROOT = RAM + 0x10000
L0 = RAM + 0x11000
PAGE = RAM + 0x20000
OTHER = RAM + 0x21000
VA = 0x40000000


def pmp_with(cfgs: dict[int, int], addrs: dict[int, int]) -> Pmp:
    csr = {f"pmpcfg{i}": 0 for i in range(4)} | {f"pmpaddr{i}": 0 for i in range(16)}
    p = Pmp(csr)
    for i, a in addrs.items():
        p.write_addr(i, a)
    for i, c in cfgs.items():
        p.write_cfg(i >> 2, (csr[f"pmpcfg{i >> 2}"] | c << (8 * (i & 3))))
    return p


def test_pmp_napot_tor_na4_ranges() -> None:
    p = pmp_with({0: 0x18 | PMP_R, 1: 0x10 | PMP_W | PMP_R, 3: 0x08 | PMP_X},
                 {0: (0x80001000 >> 2) | 0x1FF, 1: 0x80003000 >> 2,
                  2: 0x80004000 >> 2, 3: 0x80005000 >> 2})
    assert p.rules[0][:2] == (0x80001000, 0x80002000)  # NAPOT 4 KiB
    assert p.rules[1][:2] == (0x80003000, 0x80003004)  # NA4
    assert p.rules[2][:2] == (0x80004000, 0x80005000)  # TOR from pmpaddr2 (entry 2 OFF)
    assert p.check(0x80001ffc, 4, PMP_R, PRV_U)
    assert not p.check(0x80001ffc, 4, PMP_W, PRV_U)
    assert not p.check(0x80001ffe, 4, PMP_R, PRV_U)  # partial match fails
    assert p.check(0x80003000, 4, PMP_W, PRV_S)
    assert p.check(0x80004ffe, 2, PMP_X, PRV_U)
    assert not p.check(0x80006000, 4, PMP_R, PRV_U)  # no match: S/U denied
    assert p.check(0x80001000, 4, PMP_W, PRV_M)  # unlocked: M not bound
    assert not p.applies(PRV_M)


def test_pmp_lock_binds_m_and_freezes_entry() -> None:
    p = pmp_with({0: 0x80 | 0x10 | PMP_R}, {0: 0x80001000 >> 2})
    assert p.applies(PRV_M)
    assert not p.check(0x80001000, 4, PMP_W, PRV_M)
    p.write_cfg(0, 0x17)
    p.write_addr(0, 0)
    assert p.cfg(0) == 0x80 | 0x10 | PMP_R
    assert p.csr["pmpaddr0"] == 0x80001000 >> 2


def test_pmp_warl_reserved_bits_and_w_without_r() -> None:
    p = pmp_with({}, {})
    p.write_cfg(0, 0x62 << 8 | 0x61)
    assert p.csr["pmpcfg0"] == 0x01  # bits 6:5 dropped; R=0 W=1 not retained


@pytest.fixture
def machine() -> Board:
    m = Board(BoardConfig(ram_size=1 << 20, bios="none"))
    ram = m.ram
    def put(pa: int, v: int) -> None:
        ram[pa - RAM:pa - RAM + 4] = v.to_bytes(4, "little")
    put(ROOT + (VA >> 22) * 4, (L0 >> 12) << 10 | 1)  # pointer
    put(L0, (PAGE >> 12) << 10 | 0x17)  # V R W U
    put(ROOT + (RAM >> 22) * 4, (RAM >> 12) << 10 | 0xCF)  # kernel megapage, A D set
    put(PAGE, 0x11223344)
    put(OTHER, 0x55667788)
    h = m.hart
    h.csr_poke(0x3B0, 0xFFFFFFFF)
    h.csr_poke(0x3A0, 0x1F)
    h.csr_poke(0x180, 0x80000000 | ROOT >> 12)
    return m


def enter(h: Hart, priv: int) -> None:
    h.priv = priv
    h.update_mode()


def test_m_mode_keeps_the_physical_fast_path(machine: Board) -> None:
    h = machine.hart
    assert h.lw is h.fast["lw"] and h.fetch_limit > 0
    enter(h, PRV_S)
    assert h.lw is not h.fast["lw"] and h.fetch_limit == 0
    enter(h, PRV_M)
    assert h.lw is h.fast["lw"]


def test_translation_ad_bits_and_faults(machine: Board) -> None:
    h = machine.hart
    enter(h, PRV_U)
    assert h.lw(VA) == 0x11223344
    pte = int.from_bytes(machine.ram[L0 - RAM:L0 - RAM + 4], "little")
    assert pte & 0xC0 == 0x40  # A set by the load, D still clear
    h.sw(VA + 4, 7)
    pte = int.from_bytes(machine.ram[L0 - RAM:L0 - RAM + 4], "little")
    assert pte & 0xC0 == 0xC0
    with pytest.raises(Trap) as e:
        h.lw(VA + 0x1000)  # invalid PTE
    assert (e.value.cause, e.value.tval) == (LOAD_PAGE, VA + 0x1000)
    with pytest.raises(Trap) as e:
        h.sw(RAM + 8, 1)  # kernel page from U
    assert (e.value.cause, e.value.tval) == (STORE_PAGE, RAM + 8)


def test_a_loads_walk_of_a_dirty_writable_page_serves_stores_too(machine: Board) -> None:
    """As QEMU 7.2's TLB: a load's entry allows stores when the PTE is writable and D is
    set; while D is clear the first store still walks and sets it."""
    h = machine.hart
    mmu = h.mmu
    enter(h, PRV_U)
    h.lw(VA)  # A set, D clear: the load's walk serves loads only
    assert VA >> 12 in mmu.fast[0] and VA >> 12 not in mmu.fast[1]
    h.sw(VA, 1)  # walks: D set
    assert VA >> 12 in mmu.fast[1]
    mmu.flush()  # (sfence.vma: U-mode may not)
    assert not mmu.fast[1]
    h.lw(VA)  # D set now: the load's walk fills the store path too
    assert mmu.fast[1].get(VA >> 12) == mmu.fast[0][VA >> 12]
    pte = int.from_bytes(machine.ram[L0 - RAM:L0 - RAM + 4], "little")
    h.sw(VA + 8, 5)
    assert int.from_bytes(machine.ram[L0 - RAM:L0 - RAM + 4], "little") == pte
    assert h.lw(VA + 8) == 5
    # a read-only dirty page gives its loads nothing more
    machine.ram[L0 - RAM:L0 - RAM + 4] = ((PAGE >> 12) << 10 | 0xD3).to_bytes(4, "little")
    mmu.flush()  # (sfence.vma: U-mode may not)
    h.lw(VA)
    assert VA >> 12 not in mmu.fast[1]
    with pytest.raises(Trap) as e:
        h.sw(VA, 1)
    assert e.value.cause == STORE_PAGE


def test_sfence_vma_drops_stale_translations(machine: Board) -> None:
    h = machine.hart
    enter(h, PRV_S)
    h.csr["mstatus"] |= 1 << 18  # SUM
    h.update_mode()
    assert h.lw(VA) == 0x11223344
    machine.ram[L0 - RAM:L0 - RAM + 4] = ((OTHER >> 12) << 10 | 0xD7).to_bytes(4, "little")
    h.sfence_vma(0, 0)
    assert h.lw(VA) == 0x55667788


def put(machine: Board, pa: int, v: int) -> None:
    machine.ram[pa - RAM:pa - RAM + 4] = v.to_bytes(4, "little")


def test_sfence_vma_of_one_page_keeps_the_others(machine: Board) -> None:
    """rs1 != x0: only that page's leaf goes (QEMU's tlb_flush_page); a stale entry of
    another page stays until its own fence, as the spec allows and QEMU does."""
    h = machine.hart
    enter(h, PRV_S)
    h.csr["mstatus"] |= 1 << 18  # SUM
    h.update_mode()
    put(machine, L0 + 4, (OTHER >> 12) << 10 | 0xD7)  # VA + 0x1000 -> OTHER
    assert h.lw(VA) == 0x11223344 and h.lw(VA + 0x1000) == 0x55667788
    put(machine, L0, (OTHER >> 12) << 10 | 0xD7)  # both PTEs now swapped
    put(machine, L0 + 4, (PAGE >> 12) << 10 | 0xD7)
    h.sfence_vma(VA, 0, rs1=10)
    assert h.lw(VA) == 0x55667788  # fenced: the new mapping
    assert h.lw(VA + 0x1000) == 0x55667788  # not fenced: its cached translation
    h.sfence_vma(VA + 0x1000, 0, rs1=10)
    assert h.lw(VA + 0x1000) == 0x11223344


def test_sfence_vma_of_an_address_in_a_megapage_drops_all_its_pages(machine: Board) -> None:
    """Every cached page of a megapage holds the same leaf PTE (spec 4.2.1)."""
    h = machine.hart
    enter(h, PRV_S)
    assert h.lw(RAM + 0x20000) == 0x11223344 and h.lw(RAM + 0x21000) == 0x55667788
    # the kernel megapage now read-only: a store anywhere in it must fault after the
    # fence of one address in it
    h.sw(RAM + 0x22000, 1)
    put(machine, ROOT + (RAM >> 22) * 4, (RAM >> 12) << 10 | 0xC3)  # V R, A D
    h.sfence_vma(RAM + 0x30000, 0, rs1=10)
    with pytest.raises(Trap) as e:
        h.sw(RAM + 0x22000, 1)
    assert (e.value.cause, e.value.tval) == (STORE_PAGE, RAM + 0x22000)


def test_a_visit_to_m_mode_keeps_the_tlb_and_a_satp_write_or_reset_does_not(
        machine: Board) -> None:
    """A trap into M-mode translates nothing: the S-mode entries are there again after
    the return (an SBI call does not cost the kernel its TLB); satp writes, a change of
    context (SUM) and reset flush."""
    h = machine.hart
    enter(h, PRV_S)
    assert h.lw(RAM + 0x20000) == 0x11223344
    tlb = h.mmu.tlb[0]
    assert (RAM + 0x20000) >> 12 in tlb
    enter(h, PRV_M)
    enter(h, PRV_S)
    assert (RAM + 0x20000) >> 12 in tlb
    h.csr["mstatus"] |= 1 << 18  # SUM: another context
    h.update_mode()
    assert not tlb
    h.lw(RAM + 0x20000)
    h.write_satp(h.csr["satp"])
    assert not tlb
    h.lw(RAM + 0x20000)
    h.reset()
    assert not tlb


def test_each_context_gets_its_entries_back_until_an_sfence_vma(machine: Board) -> None:
    """A system call's round trip (U -> S -> U) walks no page again: the entries of the
    context left are kept aside and come back with it, as QEMU keeps a TLB per
    privilege level; the spec lets them be used until an sfence.vma, which drops the
    kept ones too.  At most CONTEXTS contexts are kept."""
    from rvirt.cpu.mmu import CONTEXTS

    h = machine.hart
    mmu = h.mmu
    vpn = VA >> 12
    enter(h, PRV_U)
    assert h.lw(VA) == 0x11223344 and vpn in mmu.tlb[0]
    enter(h, PRV_S)  # another context: not U's entries
    assert not mmu.tlb[0]
    put(machine, L0, (OTHER >> 12) << 10 | 0xD7)  # VA -> OTHER, not fenced yet
    enter(h, PRV_U)
    assert vpn in mmu.tlb[0] and vpn in mmu.fast[0]  # back, with no walk
    assert h.lw(VA) == 0x11223344  # the kept translation, as the spec allows
    enter(h, PRV_S)
    h.sfence_vma(0, 0)
    enter(h, PRV_U)
    assert not mmu.tlb[0]
    assert h.lw(VA) == 0x55667788  # fenced: walked again
    for _ in range(CONTEXTS + 3):  # PMP rewritten: each time a new context
        h.csr_poke(0x3B0, 0xFFFFFFFF)
        h.lw(VA)
    assert len(mmu.saved) == CONTEXTS  # the oldest were let go


def test_debugger_memory_goes_through_the_mmu(machine: Board) -> None:
    h = machine.hart
    assert machine.read_memory(VA, 4) is None  # M-mode: physical, nothing there
    assert machine.read_memory(PAGE, 4) == bytes.fromhex("44332211")
    enter(h, PRV_U)
    assert machine.read_memory(VA, 4) == bytes.fromhex("44332211")
    assert machine.read_memory(VA + 0x1000, 4) is None
    pte = int.from_bytes(machine.ram[L0 - RAM:L0 - RAM + 4], "little")
    assert pte & 0x40 == 0  # a debugger access sets no A bit
    assert machine.write_memory(VA + 8, b"\x01\x02\x03\x04")
    assert machine.ram[PAGE - RAM + 8:PAGE - RAM + 12] == b"\x01\x02\x03\x04"
    # MPRV makes M-mode data accesses, the debugger's included, use MPP's privilege
    enter(h, PRV_M)
    h.csr["mstatus"] |= 1 << 17  # MPRV, MPP = U
    h.update_mode()
    assert machine.read_memory(VA, 4) == bytes.fromhex("44332211")


def test_watchpoints_see_virtual_addresses(machine: Board) -> None:
    h = machine.hart
    enter(h, PRV_U)
    h.set_watchpoints([("watch", VA + 4, 4)])
    with pytest.raises(WatchHit) as e:
        h.sw(VA + 4, 1)
    assert e.value.addr == VA + 4
    h.sw(VA + 8, 1)  # unwatched
    enter(h, PRV_M)  # back to the fast path, still watched (physically now)
    with pytest.raises(WatchHit):
        h.sw(VA + 4, 1)
    h.set_watchpoints([])
    assert h.lw is h.fast["lw"]


def test_pmp_denial_is_an_access_fault_with_the_virtual_address(machine: Board) -> None:
    h = machine.hart
    h.csr_poke(0x3B0, PAGE >> 2)  # NA4 at the page, no permissions, before the catch-all
    h.csr_poke(0x3B1, 0xFFFFFFFF)
    h.csr_poke(0x3A0, 0x1F10)
    enter(h, PRV_U)
    with pytest.raises(Trap) as e:
        h.lw(VA)
    assert (e.value.cause, e.value.tval) == (LOAD_ACCESS, VA)
    assert h.lw(VA + 4) == 0


def test_pmp_that_opens_everything_needs_no_checks() -> None:
    assert pmp_with({0: 0x18 | 7}, {0: 0xFFFFFFFF}).open  # NAPOT over everything, RWX
    assert pmp_with({0: 0x08 | 7}, {0: 0xFFFFFFFF}).open  # TOR up to the top, RWX
    assert not pmp_with({0: 0x18 | 3}, {0: 0xFFFFFFFF}).applies(PRV_M)
    assert pmp_with({0: 0x18 | 3}, {0: 0xFFFFFFFF}).applies(PRV_U)  # no X: checked
    p = pmp_with({0: 0x10 | 7, 1: 0x18 | 7}, {0: 0x80000000 >> 2, 1: 0xFFFFFFFF})
    assert not p.open and p.applies(PRV_S)  # an earlier, narrower entry decides first


def test_u_mode_with_bare_satp_and_open_pmp_runs_on_the_fast_path(machine: Board) -> None:
    h = machine.hart
    h.csr_poke(0x180, 0)
    enter(h, PRV_U)
    assert h.lw is h.fast["lw"] and h.fetch_limit > 0
    h.csr_poke(0x3A0, 0x1B)  # same entry without X: fetches and accesses are checked
    assert h.lw is not h.fast["lw"] and h.fetch_limit == 0
