//! paging: the tutorial's fourth kernel.
//!
//! M-mode only prepares the ground (a PMP entry opening memory to S and U, exceptions
//! from U-mode delegated to S-mode) and `mret`s into `kmain` in S-mode.  The S-mode kernel
//! builds an Sv32 page table: itself identity-mapped with 4 MiB megapages, the UART and
//! the test finisher likewise, and a user program in its own address space, code at
//! 0x0040_0000 and stack at 0x0040_1000, the only pages with the U bit.  Then it turns
//! translation on and `sret`s to the user program.  The program prints through an
//! `ecall` and then reads an address nobody mapped: the kernel reports the page fault from
//! scause, stval and sepc, and powers off through the SiFive test finisher (status 0).

#![no_std]
#![no_main]

use core::arch::{asm, global_asm, naked_asm};
use core::fmt::{self, Write};
use core::panic::PanicInfo;

const UART0: usize = 0x1000_0000;
const FINISHER: usize = 0x10_0000;
const USER_CODE: usize = 0x0040_0000;
const USER_STACK: usize = 0x0040_1000;
const MEGAPAGE: usize = 4 << 20;

// Sv32 page-table entry bits (privileged spec 4.3.1).  A and D are set up front: a
// hardware that does not update them would otherwise fault on the first access.
const PTE_V: u32 = 1 << 0;
const PTE_R: u32 = 1 << 1;
const PTE_W: u32 = 1 << 2;
const PTE_X: u32 = 1 << 3;
const PTE_U: u32 = 1 << 4;
const PTE_A: u32 = 1 << 6;
const PTE_D: u32 = 1 << 7;
const SATP_SV32: usize = 1 << 31;

// Exception causes (privileged spec 3.1.15).
const EXC_ECALL_FROM_U: usize = 8;
const EXC_INSN_PAGE_FAULT: usize = 12;
const EXC_LOAD_PAGE_FAULT: usize = 13;
const EXC_STORE_PAGE_FAULT: usize = 15;

const MSTATUS_MPP_S: usize = 1 << 11;
const SSTATUS_SPP: usize = 1 << 8;
const SSTATUS_SUM: usize = 1 << 18; // S-mode may read U pages (the write syscall's buffer)

const SYS_WRITE: usize = 64;

// --- console and power -----------------------------------------------------------------
struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let base = UART0 as *mut u8;
        for byte in s.bytes() {
            unsafe {
                while base.add(5).read_volatile() & 0x20 == 0 {} // LSR.THRE
                base.write_volatile(byte);
            }
        }
        Ok(())
    }
}

macro_rules! println {
    ($($arg:tt)*) => {{ writeln!(Uart, $($arg)*).ok(); }};
}

fn power_off(status: u16) -> ! {
    let value = if status == 0 { 0x5555 } else { (status as u32) << 16 | 0x3333 };
    unsafe { (FINISHER as *mut u32).write_volatile(value) };
    loop {}
}

// --- page tables ---------------------------------------------------------------------------
#[repr(C, align(4096))]
struct PageTable([u32; 1024]);

static mut ROOT: PageTable = PageTable([0; 1024]);
static mut USER_TABLE: PageTable = PageTable([0; 1024]); // VA 0x0040_0000..0x007f_ffff
#[repr(C, align(4096))]
struct Page([u8; 4096]);
static mut USER_STACK_PAGE: Page = Page([0; 4096]);

/// A leaf entry for the physical address `pa` (PPN = pa >> 12, stored from bit 10).
fn leaf(pa: usize, flags: u32) -> u32 {
    (pa >> 2) as u32 | flags | PTE_A | PTE_D | PTE_V
}

/// A pointer to the next-level table at `pa`: V alone, no R/W/X.
fn table(pa: usize) -> u32 {
    (pa >> 2) as u32 | PTE_V
}

/// An identity-mapped 4 MiB megapage (root entry = VA bits 31:22).
fn map_megapage(root: &mut PageTable, pa: usize, flags: u32) {
    root.0[pa >> 22] = leaf(pa, flags);
}

unsafe extern "C" {
    static user_program: u8; // global assembly below: one page, position independent
    static _kernel_end: u8;
}

fn build_page_tables() -> usize {
    let root = unsafe { &mut *(&raw mut ROOT) };
    let user = unsafe { &mut *(&raw mut USER_TABLE) };
    // The kernel: from 0x8000_0000 to the end of its stack, read/write/execute, no U.
    let end = unsafe { &_kernel_end as *const u8 as usize };
    let mut pa = 0x8000_0000;
    while pa < end {
        map_megapage(root, pa, PTE_R | PTE_W | PTE_X);
        pa += MEGAPAGE;
    }
    map_megapage(root, UART0, PTE_R | PTE_W);
    map_megapage(root, FINISHER & !(MEGAPAGE - 1), PTE_R | PTE_W);
    // The user's address space: two 4 KiB pages through a second-level table.
    root.0[USER_CODE >> 22] = table(&raw const USER_TABLE as usize);
    let code = unsafe { &user_program as *const u8 as usize };
    let stack = &raw const USER_STACK_PAGE as usize;
    user.0[(USER_CODE >> 12) & 0x3ff] = leaf(code, PTE_R | PTE_X | PTE_U);
    user.0[(USER_STACK >> 12) & 0x3ff] = leaf(stack, PTE_R | PTE_W | PTE_U);
    &raw const ROOT as usize
}

// --- the user program: runs at 0x0040_0000 in U-mode ------------------------------------
// Position independent (only pc-relative addresses), so it runs wherever it is mapped.
global_asm!(
    ".section .text.user, \"ax\"",
    ".balign 4096",
    ".globl user_program",
    "user_program:",
    "lla a0, 1f",              // write(message, length)
    "lla a1, 2f",
    "sub a1, a1, a0",
    "li a7, {write}",
    "ecall",
    "li t0, 0x00800000",       // nobody mapped this: a load page fault
    "lw t1, 0(t0)",
    "3: j 3b",
    "1: .ascii \"hello from U-mode at 0x00400000\\n\"",
    "2:",
    ".balign 4096",
    write = const SYS_WRITE,
);

// --- S-mode traps -----------------------------------------------------------------------
#[repr(C)]
struct TrapFrame {
    x: [usize; 32],
}

// stvec (direct mode, 4-byte aligned).  sscratch holds the top of the kernel's trap stack
// while the user program runs.
global_asm!(
    ".section .text",
    ".balign 4",
    ".globl supervisor_trap",
    "supervisor_trap:",
    "csrrw sp, sscratch, sp",
    "addi sp, sp, -128",
    ".irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "sw x\\n, 4*\\n(sp)",
    ".endr",
    "csrr t0, sscratch",
    "sw t0, 8(sp)",
    "addi t0, sp, 128",
    "csrw sscratch, t0",
    "mv a0, sp",
    "call {handle}",
    ".irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "lw x\\n, 4*\\n(sp)",
    ".endr",
    "lw sp, 8(sp)",
    "sret",
    handle = sym handle_supervisor_trap,
);

// mtvec: nothing should reach M-mode once the kernel runs; report it and stop.
global_asm!(
    ".section .text",
    ".balign 4",
    ".globl machine_trap",
    "machine_trap:",
    "j {report}",
    report = sym machine_trap_report,
);

unsafe extern "C" {
    fn supervisor_trap();
    fn machine_trap();
}

extern "C" fn handle_supervisor_trap(frame: &mut TrapFrame) {
    let (scause, stval, sepc): (usize, usize, usize);
    unsafe { asm!("csrr {}, scause", "csrr {}, stval", "csrr {}, sepc",
                  out(reg) scause, out(reg) stval, out(reg) sepc) };
    match scause {
        EXC_ECALL_FROM_U => {
            let (a0, a1, a7) = (frame.x[10], frame.x[11], frame.x[17]);
            if a7 == SYS_WRITE {
                println!("ecall from U-mode: write({a0:#010x}, {a1})");
                // a0 is a user virtual address: with SUM set the kernel reads it through
                // the same page table.
                let bytes = unsafe { core::slice::from_raw_parts(a0 as *const u8, a1) };
                Uart.write_str(core::str::from_utf8(bytes).unwrap_or("?\n")).ok();
                frame.x[10] = a1;
            }
            unsafe { asm!("csrw sepc, {}", in(reg) sepc + 4) };
        }
        EXC_INSN_PAGE_FAULT | EXC_LOAD_PAGE_FAULT | EXC_STORE_PAGE_FAULT => {
            let kind = match scause {
                EXC_INSN_PAGE_FAULT => "instruction",
                EXC_LOAD_PAGE_FAULT => "load",
                _ => "store",
            };
            println!("{kind} page fault: scause = {scause}, stval = {stval:#010x}, \
                      sepc = {sepc:#010x}");
            println!("the user program touched unmapped memory; stopping the machine");
            power_off(0);
        }
        _ => {
            println!("unexpected trap: scause = {scause:#x}, stval = {stval:#010x}, sepc = {sepc:#010x}");
            power_off(1);
        }
    }
}

extern "C" fn machine_trap_report() -> ! {
    let (mcause, mtval, mepc): (usize, usize, usize);
    unsafe { asm!("csrr {}, mcause", "csrr {}, mtval", "csrr {}, mepc",
                  out(reg) mcause, out(reg) mtval, out(reg) mepc) };
    println!("unexpected M-mode trap: mcause = {mcause:#x}, mtval = {mtval:#010x}, mepc = {mepc:#010x}");
    power_off(1)
}

// --- boot: M-mode, then the S-mode kernel --------------------------------------------------
#[repr(C, align(16))]
struct Stack([u8; 4096]);
static mut TRAP_STACK: Stack = Stack([0; 4096]);

#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.init")]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        ".option push",
        ".option norelax",
        "la gp, __global_pointer$",
        ".option pop",
        "la sp, _stack_top",
        "tail {mstart}",
        mstart = sym mstart,
    )
}

extern "C" fn mstart() -> ! {
    let delegated = 1 << EXC_ECALL_FROM_U | 1 << EXC_INSN_PAGE_FAULT
        | 1 << EXC_LOAD_PAGE_FAULT | 1 << EXC_STORE_PAGE_FAULT;
    unsafe {
        asm!("csrw mtvec, {}", in(reg) machine_trap as *const () as usize);
        // S and U may touch nothing until a PMP entry allows it: entry 0 covers all of
        // the address space (NAPOT, all-ones address), read/write/execute.
        asm!("csrw pmpaddr0, {}", in(reg) usize::MAX);
        asm!("csrw pmpcfg0, {}", in(reg) 0x1f);
        asm!("csrw medeleg, {}", in(reg) delegated);
        asm!(
            "csrs mstatus, {mpp}", // MPP = S (it was 0)
            "csrw mepc, {entry}",
            "mret",
            mpp = in(reg) MSTATUS_MPP_S,
            entry = in(reg) kmain as *const () as usize,
            options(noreturn),
        )
    }
}

extern "C" fn kmain() -> ! {
    println!("paging: kernel running in S-mode");
    let root = build_page_tables();
    let satp = SATP_SV32 | root >> 12;
    unsafe {
        asm!("csrw stvec, {}", in(reg) supervisor_trap as *const () as usize);
        asm!("csrw sscratch, {}", in(reg) &raw mut TRAP_STACK as usize + 4096);
        asm!("csrw satp, {}", "sfence.vma", in(reg) satp);
    }
    // Still running: the kernel's own addresses map to themselves.
    println!("Sv32 on: kernel identity-mapped with 4 MiB megapages");
    println!("entering the user program at {USER_CODE:#010x}");
    unsafe {
        asm!(
            "csrs sstatus, {sum}",
            "csrc sstatus, {spp}", // SPP = 0: sret goes to U-mode
            "csrw sepc, {entry}",
            "mv sp, {stack}",
            "sret",
            sum = in(reg) SSTATUS_SUM,
            spp = in(reg) SSTATUS_SPP,
            entry = in(reg) USER_CODE,
            stack = in(reg) USER_STACK + 4096,
            options(noreturn),
        )
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    println!("panic: {}", info.message());
    power_off(1)
}
