//! trap: the tutorial's third kernel.
//!
//! 1. Installs a machine-mode trap handler (`trap_vector`, assembly) that saves every
//!    register in a frame on its own stack and calls `handle_trap` in Rust.
//! 2. Programs the CLINT so the machine timer interrupts three times, counting the ticks.
//! 3. Opens all memory to U-mode with one PMP entry, drops to U-mode with `mret`, and
//!    serves the user program's `ecall`s: `write` prints, `exit` powers the machine off
//!    through the SiFive test finisher (exit status 0).

#![no_std]
#![no_main]

use core::arch::{asm, naked_asm};
use core::fmt::{self, Write};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicU32, Ordering};

const UART0: usize = 0x1000_0000;
const FINISHER: usize = 0x10_0000;
const CLINT_MTIMECMP: usize = 0x0200_4000; // hart 0
const CLINT_MTIME: usize = 0x0200_bff8;
const TICK: u64 = 100_000; // mtime runs at 10 MHz: a tick every 10 ms

const MCAUSE_INTERRUPT: usize = 1 << 31;
const IRQ_M_TIMER: usize = 7;
const EXC_ECALL_FROM_U: usize = 8;
const MIE_MTIE: usize = 1 << 7;
const MSTATUS_MIE: usize = 1 << 3;
const MSTATUS_MPP: usize = 3 << 11;

const SYS_WRITE: usize = 64;
const SYS_EXIT: usize = 93;

const TICKS_WANTED: u32 = 3;
static TICKS: AtomicU32 = AtomicU32::new(0);

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

// --- the CLINT timer ---------------------------------------------------------------------
fn mtime() -> u64 {
    let lo = CLINT_MTIME as *const u32;
    let hi = (CLINT_MTIME + 4) as *const u32;
    loop {
        unsafe {
            let h = hi.read_volatile();
            let l = lo.read_volatile();
            if h == hi.read_volatile() {
                return (h as u64) << 32 | l as u64;
            }
        }
    }
}

/// Sets mtimecmp without passing through a value that would fire early: the high word
/// goes to all-ones first.
fn set_timer(at: u64) {
    let lo = CLINT_MTIMECMP as *mut u32;
    let hi = (CLINT_MTIMECMP + 4) as *mut u32;
    unsafe {
        hi.write_volatile(u32::MAX);
        lo.write_volatile(at as u32);
        hi.write_volatile((at >> 32) as u32);
    }
}

// --- traps -------------------------------------------------------------------------------
/// The registers of the interrupted code; `x[2]` is its sp.
#[repr(C)]
struct TrapFrame {
    x: [usize; 32],
}

// mtvec points at trap_vector (direct mode: the address must be 4-byte aligned, hence
// global assembly with .balign rather than a naked function).  mscratch holds the top of
// the trap stack while no trap is being handled, so traps from U-mode, whose sp cannot
// be trusted, and from M-mode are handled alike.
core::arch::global_asm!(
    ".section .text",
    ".balign 4",
    ".globl trap_vector",
    "trap_vector:",
    "csrrw sp, mscratch, sp",  // sp = trap stack, mscratch = interrupted sp
    "addi sp, sp, -128",
    ".irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "sw x\\n, 4*\\n(sp)",
    ".endr",
    "csrr t0, mscratch",       // the interrupted sp goes into the frame as x2
    "sw t0, 8(sp)",
    "addi t0, sp, 128",        // and mscratch is the trap stack's top again
    "csrw mscratch, t0",
    "mv a0, sp",
    "call {handle}",
    ".irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31",
    "lw x\\n, 4*\\n(sp)",
    ".endr",
    "lw sp, 8(sp)",
    "mret",
    handle = sym handle_trap,
);

unsafe extern "C" {
    fn trap_vector();
}

extern "C" fn handle_trap(frame: &mut TrapFrame) {
    let mcause: usize;
    unsafe { asm!("csrr {}, mcause", out(reg) mcause) };
    let code = mcause & !MCAUSE_INTERRUPT;
    if mcause & MCAUSE_INTERRUPT != 0 {
        match code {
            IRQ_M_TIMER => timer_tick(),
            _ => unexpected(mcause),
        }
    } else {
        match code {
            EXC_ECALL_FROM_U => {
                syscall(frame);
                // Return past the ecall (4 bytes; there is no compressed ecall).
                unsafe { asm!("csrr t0, mepc", "addi t0, t0, 4", "csrw mepc, t0", out("t0") _) };
            }
            _ => unexpected(mcause),
        }
    }
}

fn timer_tick() {
    let n = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    println!("timer interrupt {n} (mcause = 0x{:08x})", MCAUSE_INTERRUPT | IRQ_M_TIMER);
    if n < TICKS_WANTED {
        set_timer(mtime() + TICK);
    } else {
        // Enough: stop the timer interrupt at its source enable, mie.MTIE.
        unsafe { asm!("csrc mie, {}", in(reg) MIE_MTIE) };
    }
}

/// a7 = number, a0.. = arguments, a0 = result (the Linux convention).
fn syscall(frame: &mut TrapFrame) {
    let (a0, a1, a7) = (frame.x[10], frame.x[11], frame.x[17]);
    match a7 {
        SYS_WRITE => {
            println!("ecall from U-mode (mcause = {EXC_ECALL_FROM_U}): write, {a1} bytes");
            let bytes = unsafe { core::slice::from_raw_parts(a0 as *const u8, a1) };
            Uart.write_str(core::str::from_utf8(bytes).unwrap_or("?\n")).ok();
            frame.x[10] = a1;
        }
        SYS_EXIT => {
            println!("ecall from U-mode (mcause = {EXC_ECALL_FROM_U}): exit({a0})");
            power_off(a0 as u16);
        }
        _ => frame.x[10] = usize::MAX,
    }
}

fn unexpected(mcause: usize) -> ! {
    let (mepc, mtval): (usize, usize);
    unsafe { asm!("csrr {}, mepc", "csrr {}, mtval", out(reg) mepc, out(reg) mtval) };
    println!("unexpected trap: mcause = 0x{mcause:08x}, mepc = 0x{mepc:08x}, mtval = 0x{mtval:08x}");
    power_off(1)
}

// --- the user program (runs in U-mode) -------------------------------------------------
fn ecall(number: usize, a0: usize, a1: usize) -> usize {
    let ret;
    unsafe { asm!("ecall", inlateout("a0") a0 => ret, in("a1") a1, in("a7") number) };
    ret
}

extern "C" fn user_main() -> ! {
    let message = "hello from U-mode\n";
    let written = ecall(SYS_WRITE, message.as_ptr() as usize, message.len());
    ecall(SYS_EXIT, if written == message.len() { 0 } else { 2 }, 0);
    loop {}
}

// --- boot ----------------------------------------------------------------------------
#[repr(C, align(16))]
struct Stack([u8; 4096]);
static mut TRAP_STACK: Stack = Stack([0; 4096]);
static mut USER_STACK: Stack = Stack([0; 4096]);

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
        "tail {kmain}",
        kmain = sym kmain,
    )
}

extern "C" fn kmain() -> ! {
    let trap_stack_top = &raw mut TRAP_STACK as usize + 4096;
    unsafe {
        asm!("csrw mtvec, {}", in(reg) trap_vector as *const () as usize);
        asm!("csrw mscratch, {}", in(reg) trap_stack_top);
    }
    println!("trap: M-mode handler installed, waiting for {TICKS_WANTED} timer interrupts");

    set_timer(mtime() + TICK);
    unsafe {
        asm!("csrs mie, {}", in(reg) MIE_MTIE);
        asm!("csrs mstatus, {}", in(reg) MSTATUS_MIE);
    }
    while TICKS.load(Ordering::Relaxed) < TICKS_WANTED {
        unsafe { asm!("wfi") };
    }
    unsafe { asm!("csrc mstatus, {}", in(reg) MSTATUS_MIE) };

    // U-mode may touch nothing until a PMP entry allows it: entry 0 covers all of the
    // address space (NAPOT with all-ones address), read/write/execute.
    unsafe {
        asm!("csrw pmpaddr0, {}", in(reg) usize::MAX);
        asm!("csrw pmpcfg0, {}", in(reg) 0x1f);
    }
    println!("dropping to U-mode");
    let user_stack_top = &raw mut USER_STACK as usize + 4096;
    unsafe {
        asm!(
            "csrc mstatus, {mpp}", // MPP = 0: mret goes to U-mode
            "csrw mepc, {entry}",
            "mv sp, {stack}",
            "mret",
            mpp = in(reg) MSTATUS_MPP,
            entry = in(reg) user_main as *const () as usize,
            stack = in(reg) user_stack_top,
            options(noreturn),
        )
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    println!("panic: {}", info.message());
    power_off(1)
}
