"""The virt board's device tree, built from the memory-map table (no dtc at run time).

Reproduces what QEMU 7.2 `hw/riscv/virt.c` (`create_fdt*`) generates for
`-machine virt[,aclint=on] -cpu rv32 [-smp N]`, node for node and property for property,
in the same order and with the same phandles (rvirt.board.slots.Phandles), for the
devices rvirt models; `OMITTED_NODES` and `DIFFERENCES` list where it departs.  Each
device module owns its own node (`fdt_node`); this module owns the root, /chosen,
/memory, /cpus and /soc and puts them together.
"""

from __future__ import annotations

import os
import struct

from rvirt.board import memmap
from rvirt.board.slots import ACLINT_SLOTS, SLOTS, Phandles
from rvirt.devices import sifive_test
from rvirt.errors import RvirtError
from rvirt.fdt import Node, build_dtb, encode_value, parse_dtb, u64

DEFAULT_ISA = "rv32imac_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc"

# Where rvirt's tree knowingly differs from QEMU 7.2's (`-cpu rv32 -m 150M`):
# nodes QEMU emits for devices rvirt does not model, and values that differ by design.
OMITTED_NODES: tuple[str, ...] = (
    "/pmu",  # riscv,pmu: no SBI PMU event mapping
    "/fw-cfg@10100000",  # qemu,fw-cfg-mmio: no fw_cfg
    "/flash@20000000",  # cfi-flash: no pflash
    "/platform-bus@4000000",  # qemu,platform: no dynamic sysbus devices
    "/soc/pci@30000000",  # pci-host-ecam-generic: no PCIe
)
DIFFERENCES: tuple[str, ...] = (
    "/cpus/cpu@0 riscv,isa: the ISA rvirt implements (QEMU -cpu rv32 says "
    "rv32imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc)",
    "/chosen rng-seed: 32 fresh random bytes per tree, as QEMU does at every reset",
    *(f"{path}: omitted (device not modelled)" for path in OMITTED_NODES),
)

RNG_SEED_SIZE = 32


def _cpus_node(isa: str, ph: Phandles) -> Node:
    def cpu(i: int) -> Node:
        return Node(f"cpu@{i}", [
            ("phandle", ph.cpu(i)),
            ("device_type", "cpu"),
            ("reg", i),
            ("status", "okay"),
            ("compatible", "riscv"),
            ("riscv,isa", isa),
            ("mmu-type", "riscv,sv32"),
        ], [
            Node("interrupt-controller", [
                ("#interrupt-cells", 1),
                ("interrupt-controller", True),
                ("compatible", "riscv,cpu-intc"),
                ("phandle", ph.intc(i)),
            ]),
        ])
    harts = range(ph.harts)
    cpu_map = Node("cpu-map", children=[
        Node("cluster0", children=[Node(f"core{i}", [("cpu", ph.cpu(i))]) for i in harts]),
    ])
    return Node("cpus", [
        ("#address-cells", 1),
        ("#size-cells", 0),
        ("timebase-frequency", memmap.TIMEBASE_FREQ),
    ], [*(cpu(i) for i in harts), cpu_map])


def _soc_node(ph: Phandles, aclint: bool) -> Node:
    soc = Node("soc", [
        ("#address-cells", 2),
        ("#size-cells", 2),
        ("compatible", "simple-bus"),
        ("ranges", True),
    ])
    # The board's slots in QEMU's creation order; libfdt puts each new node first.
    made: list[Node] = []
    for slot in ACLINT_SLOTS if aclint else SLOTS:
        nodes = slot.node(slot.region, ph)
        made += [nodes] if isinstance(nodes, Node) else nodes
    soc.add(*reversed(made))
    return soc


def virt_tree(ram_size: int, isa: str = DEFAULT_ISA, rng_seed: bytes | None = None,
              bootargs: str | None = None, initrd: tuple[int, int] | None = None,
              harts: int = 1, aclint: bool = False) -> Node:
    """The virt board's tree as `Node`s (see `virt_device_tree` for the blob); `aclint`
    is -machine virt,aclint=on."""
    if ram_size <= 0:
        raise ValueError(f"RAM size must be positive, not {ram_size}")
    if rng_seed is None:
        rng_seed = os.urandom(RNG_SEED_SIZE)
    if len(rng_seed) != RNG_SEED_SIZE:
        raise ValueError(f"rng-seed must be {RNG_SEED_SIZE} bytes, not {len(rng_seed)}")
    uart = memmap.UART0

    # In QEMU 7.2's order (its dumpdtb with -initrd and -append): the initrd range,
    # which virt_machine_done adds last, then rng-seed, bootargs (only for a non-empty
    # -append), stdout-path.
    chosen = Node("chosen")
    if initrd is not None:
        chosen.set("linux,initrd-end", initrd[1])
        chosen.set("linux,initrd-start", initrd[0])
    chosen.set("rng-seed", rng_seed)
    if bootargs:
        chosen.set("bootargs", bootargs)
    chosen.set("stdout-path", f"/soc/serial@{uart.base:x}")

    memory = Node(f"memory@{memmap.DRAM_BASE:x}", [
        ("device_type", "memory"),
        ("reg", [*u64(memmap.DRAM_BASE), *u64(ram_size)]),
    ])

    root = Node("", [
        ("#address-cells", 2),
        ("#size-cells", 2),
        ("compatible", "riscv-virtio"),
        ("model", "riscv-virtio,qemu"),
    ])
    ph = Phandles(harts)
    root.add(chosen, *sifive_test.fdt_syscon_nodes(ph.test), memory, _cpus_node(isa, ph),
             _soc_node(ph, aclint))
    return root


def virt_device_tree(ram_size: int, isa: str = DEFAULT_ISA, rng_seed: bytes | None = None,
                     bootargs: str | None = None,
                     initrd: tuple[int, int] | None = None, harts: int = 1,
                     aclint: bool = False) -> bytes:
    """The DTB the virt board hands the guest in a1 (ref virt-rv32.md section 4).

    `rng_seed` (32 bytes) defaults to fresh random bytes; pass one for reproducible
    output.  `bootargs` becomes /chosen/bootargs when non-empty (-append).
    """
    return build_dtb(virt_tree(ram_size, isa, rng_seed, bootargs, initrd, harts, aclint))


def update_chosen(blob: bytes, path: str, bootargs: str | None,
                  initrd: tuple[int, int] | None, rng_seed: bytes | None = None) -> bytes:
    """A -dtb file with /chosen/bootargs (a non-empty -append) and the initrd range set,
    as QEMU 7.2 sets them on a loaded tree: a property set anew goes first in its node
    (libfdt), one that exists is replaced in place.  Every rng-seed in it gets new
    bytes, as QEMU's qemu_fdt_randomize_seeds does (from `rng_seed` when given)."""
    try:
        root, reserved = parse_dtb(blob)
    except (ValueError, IndexError, UnicodeDecodeError, struct.error) as e:
        raise RvirtError(f"-dtb {path}: not a valid device tree blob ({e})") from None
    for _, node in root.walk():
        old = node.props.get("rng-seed")
        if old is not None:
            fresh = (rng_seed * (len(old) // 32 + 1)) if rng_seed else os.urandom(len(old))
            node.props["rng-seed"] = fresh[:len(old)]
    props: list[tuple[str, bytes]] = []
    if bootargs:
        props.append(("bootargs", encode_value(bootargs)))
    if initrd is not None:
        props += [("linux,initrd-start", encode_value(initrd[0])),
                  ("linux,initrd-end", encode_value(initrd[1]))]
    if props:
        try:
            chosen = root.child("chosen")
        except KeyError:
            raise RvirtError(f"-dtb {path}: Couldn't set /chosen/{props[0][0]}: "
                             f"FDT_ERR_NOTFOUND") from None
        for name, value in props:
            if name in chosen.props:
                chosen.props[name] = value
            else:
                chosen.props = {name: value, **chosen.props}
    return build_dtb(root, reserved=reserved)
