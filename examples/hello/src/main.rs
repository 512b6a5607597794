//! hello: the tutorial's second kernel.
//!
//! Prints a greeting through the NS16550A UART at 0x1000_0000, then panics on purpose.
//! The panic handler prints the panic's location and message and powers the machine off
//! through the SiFive test finisher at 0x10_0000 (exit status 0).

#![no_std]
#![no_main]

use core::fmt::{self, Write};
use core::panic::PanicInfo;

/// UART0 of the virt machine: transmit holding register at offset 0, line status at 5.
const UART0: usize = 0x1000_0000;
const UART_LSR: usize = 5;
const LSR_THR_EMPTY: u8 = 1 << 5;

/// The SiFive test finisher: writing 0x5555 powers off with status 0; 0x3333 with
/// `code << 16` exits with status `code`.
const FINISHER: usize = 0x10_0000;
const FINISHER_PASS: u32 = 0x5555;

/// The console: each byte waits until the UART can take it.
struct Uart;

impl Uart {
    fn putc(&mut self, byte: u8) {
        let base = UART0 as *mut u8;
        unsafe {
            while base.add(UART_LSR).read_volatile() & LSR_THR_EMPTY == 0 {}
            base.write_volatile(byte);
        }
    }
}

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            self.putc(byte);
        }
        Ok(())
    }
}

/// Powers the machine off; the emulator exits with status 0.
fn power_off() -> ! {
    unsafe { (FINISHER as *mut u32).write_volatile(FINISHER_PASS) };
    loop {}
}

/// The first instruction after the boot ROM: set gp and sp, then call `kmain`.
#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.init")]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
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
    let mut console = Uart;
    writeln!(console, "Hello from Rust on the RISC-V virt machine!").ok();
    let hart: u32;
    unsafe { core::arch::asm!("csrr {}, mhartid", out(reg) hart) };
    writeln!(console, "running on hart {hart} in machine mode").ok();
    let answer = 6 * 7;
    panic!("on purpose, the answer is {answer}");
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let mut console = Uart;
    match info.location() {
        Some(at) => write!(console, "panic at {}:{}: ", at.file(), at.line()).ok(),
        None => write!(console, "panic: ").ok(),
    };
    writeln!(console, "{}", info.message()).ok();
    power_off()
}
