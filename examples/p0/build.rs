//! Hands the linker our linker script, so `_start` (in `.text.init`) lands at 0x8000_0000.

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let script = manifest.join("src").join("script.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
    // `mistake`: one of the classic-mistake features (Cargo.toml) is on.
    println!("cargo::rustc-check-cfg=cfg(mistake)");
    let mistakes = ["NO_STACK", "NO_TRAP_HANDLER", "ROM_STORE", "NO_DEVICE"];
    if mistakes.iter().any(|m| env::var_os(format!("CARGO_FEATURE_{m}")).is_some()) {
        println!("cargo:rustc-cfg=mistake");
    }

    if env::var_os("CARGO_FEATURE_NO_LINKER_SCRIPT").is_some() {
        // The mistake on purpose: no -T, so the linker's built-in layout decides where the
        // code goes. Only the one symbol our script would define is given here, so that
        // the kernel still links.
        println!("cargo:rustc-link-arg=--defsym=_stack_top=0x80010000");
        return;
    }
    // The tutorial's line is `-Tsrc/script.ld`; an absolute path also works when cargo
    // is run from another directory.
    println!("cargo:rustc-link-arg=-T{}", script.display());
}
