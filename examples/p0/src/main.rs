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
#[unsafe(naked)] #[cfg(not(mistake))] // the mistake features have their own (at the end)
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

// --- The classic mistakes, one cargo feature each (see Cargo.toml); rvirt explains each
// with a hint where QEMU just hangs.  Kept at the end so that the lines above, which the
// tutorial's gdb session shows, stay where they are.

/// `_start` for the mistake features: `no-stack` forgets `la sp`; the others set up gp
/// and sp as above, then make their mistake in `mistake()` before `entry`.
#[cfg(mistake)]
#[unsafe(naked)]
#[unsafe(no_mangle)]
#[unsafe(link_section = ".text.init")]
pub unsafe extern "C" fn _start() -> ! {
    #[cfg(feature = "no-stack")]
    core::arch::naked_asm!(
        ".option push",
        ".option norelax",
        "la gp, __global_pointer$",
        ".option pop",
        "tail {entry}",
        entry = sym entry,
    );
    #[cfg(not(feature = "no-stack"))]
    core::arch::naked_asm!(
        ".option push",
        ".option norelax",
        "la gp, __global_pointer$",
        ".option pop",
        "la sp, _stack_top",
        "call {mistake}",
        "tail {entry}",
        mistake = sym mistake,
        entry = sym entry,
    );
}

/// The mistake itself, made before `entry` runs.
#[cfg(mistake)]
#[unsafe(no_mangle)]
pub extern "C" fn mistake() {
    // An `ecall` while no trap handler is installed: mtvec is still 0.
    #[cfg(feature = "no-trap-handler")]
    unsafe {
        core::arch::asm!("ecall")
    };
    // A store to the boot ROM at 0x1000, which drops it.
    #[cfg(feature = "rom-store")]
    unsafe {
        core::ptr::write_volatile(0x1000 as *mut u32, 0x1234_5678)
    };
    // A typo for the UART at 0x1000_0000: nothing is at 0x1001_0000.
    #[cfg(feature = "no-device")]
    unsafe {
        core::ptr::write_volatile(0x1001_0000 as *mut u8, b'h')
    };
}
