//! p0: the smallest kernel for the RISC-V "virt" machine.
//!
//! The boot ROM at 0x1000 jumps to 0x8000_0000, where the linker script puts `_start`.
//! `_start` sets up the global pointer and the stack, then tail-calls `entry`, which counts
//! forever. Nothing is printed: watch it with gdb (`cargo run -- -S`, then
//! `target remote localhost:1234`).

#![no_std]
#![no_main]

use core::panic::PanicInfo;

/// How many times `entry`'s loop has gone round (look at it with `p TICKS` in gdb).
static mut TICKS: u32 = 0;

/// The first instruction the hart runs after the boot ROM.
///
/// Naked: no prologue, because there is no stack yet (sp is 0 at reset).
#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.init")]
pub unsafe extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        // norelax: the linker must not turn `la gp` into an address relative to gp itself.
        ".option push",
        ".option norelax",
        "la gp, __global_pointer$",
        ".option pop",
        "la sp, _stack_top",
        "tail {entry}",
        entry = sym entry,
    )
}

/// The kernel proper: runs on the stack `_start` set up, and never returns.
#[unsafe(no_mangle)]
pub extern "C" fn entry() -> ! {
    let step: u32 = 1;
    let mut ticks: u32 = 0;
    loop {
        ticks = ticks.wrapping_add(step);
        // Publish the count where a debugger can see it: `p TICKS`.
        unsafe { TICKS = ticks };
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {}
}
