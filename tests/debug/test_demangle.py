"""Rust demangling (rvirt.debug.demangle): symbols of the example kernels (Debian's Rust
1.96 emits v0 names) and hand-made ones of both manglings, against what gdb 13 prints
for them, and the readable form the hints use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rvirt.debug.demangle import demangle
from tests.debug.oracle import minimal_symbols
from tests.tooling import assemble

KERNELS = ("p0", "hello", "trap", "paging")

# (mangled, as gdb 13 prints it, the readable form).  The gdb column was read from
# gdb-multiarch 13.1 (`maint print msymbols`); test_hand_cases_match_gdb checks it again.
CASES: list[tuple[str, str, str]] = [
    # from the example kernels
    ("_RNvMNtCs5vbsRDZqdei_4core3stre3lenB4_", "<str>::len", "<str>::len"),
    ("_RNvCs1CgzAhFaSzT_2p05TICKS", "p0[12d632176886ed2b]::TICKS", "p0::TICKS"),
    ("_RNvCsfgHYwM92fyn_7___rustc17rust_begin_unwind",
     "__rustc[b1da763420d39311]::rust_begin_unwind", "__rustc::rust_begin_unwind"),
    ("_RNvNvNtCs5vbsRDZqdei_4core9panicking18panic_nounwind_fmt7runtimeB5_",
     "core[4018bd9e5adfe70c]::panicking::panic_nounwind_fmt::runtime",
     "core::panicking::panic_nounwind_fmt::runtime"),
    ("_RNvMs4_NtCs5vbsRDZqdei_4core3fmtNtB5_9Arguments8from_strB7_",
     "<core[4018bd9e5adfe70c]::fmt::Arguments>::from_str", "<core::fmt::Arguments>::from_str"),
    ("_RNvXs_Cs9rGfH55YnLm_5helloNtB4_4UartNtNtCs5vbsRDZqdei_4core3fmt5Write9write_str",
     "<hello[6e07690fbb4dade6]::Uart as core[4018bd9e5adfe70c]::fmt::Write>::write_str",
     "<hello::Uart as core::fmt::Write>::write_str"),
    ("_RNvXs_NvNtNtCs5vbsRDZqdei_4core3fmt5Write9write_fmtQNtCs9rGfH55YnLm_5hello4UartNtB4_"
     "12SpecWriteFmt14spec_write_fmtBQ_",
     "<&mut hello[6e07690fbb4dade6]::Uart as core[4018bd9e5adfe70c]::fmt::Write::write_fmt::"
     "SpecWriteFmt>::spec_write_fmt",
     "<&mut hello::Uart as core::fmt::Write::write_fmt::SpecWriteFmt>::spec_write_fmt"),
    ("_RINvMNtNtCs5vbsRDZqdei_4core3fmt2rtNtB3_8Argument11new_displaylECs9rGfH55YnLm_5hello",
     "<core[4018bd9e5adfe70c]::fmt::rt::Argument>::new_display::<i32>",
     "<core::fmt::rt::Argument>::new_display::<i32>"),
    ("_RNvMNtCs5vbsRDZqdei_4core6resultINtB2_6ResultuNtNtB4_3fmt5ErrorE2okCs9rGfH55YnLm_5hello",
     "<core[4018bd9e5adfe70c]::result::Result<(), core[4018bd9e5adfe70c]::fmt::Error>>::ok",
     "<core::result::Result<(), core::fmt::Error>>::ok"),
    ("_RINvYINtNtNtCs5vbsRDZqdei_4core5slice4iter4IterhENtNtNtNtBa_4iter6traits8iterator8"
     "Iterator6copiedhECs9rGfH55YnLm_5hello",
     "<core[4018bd9e5adfe70c]::slice::iter::Iter<u8> as core[4018bd9e5adfe70c]::iter::traits::"
     "iterator::Iterator>::copied::<u8>",
     "<core::slice::iter::Iter<u8> as core::iter::traits::iterator::Iterator>::copied::<u8>"),
    ("_RNvMs9_NtCs5vbsRDZqdei_4core3numj11checked_mulCs9rGfH55YnLm_5hello",
     "<usize>::checked_mul", "<usize>::checked_mul"),
    ("_RNvMs1_NtCs5vbsRDZqdei_4core6optionINtB5_6OptionRhE6copiedCs9rGfH55YnLm_5hello",
     "<core[4018bd9e5adfe70c]::option::Option<&u8>>::copied",
     "<core::option::Option<&u8>>::copied"),
    # v0 by hand: crate roots and their disambiguators, nested paths, special namespaces
    ("_RNvC7mycrate3foo", "mycrate[0]::foo", "mycrate::foo"),
    ("_RNvCs_7mycrate3foo", "mycrate[1]::foo", "mycrate::foo"),
    ("_RNvCs1234_7mycrate3foo", "mycrate[3c1c0]::foo", "mycrate::foo"),
    ("_RNvNtNtC7mycrate3foo3bar3baz", "mycrate[0]::foo::bar::baz", "mycrate::foo::bar::baz"),
    ("_RNvC7mycrate7___rustc", "mycrate[0]::__rustc", "mycrate::__rustc"),
    ("_RNCNvC7mycrate3foo0", "mycrate[0]::foo::{closure#0}", "mycrate::foo::{closure#0}"),
    ("_RNCNvC7mycrate3foos0_0", "mycrate[0]::foo::{closure#2}", "mycrate::foo::{closure#2}"),
    ("_RNCNvC7mycrate3foo3bar", "mycrate[0]::foo::{closure:bar#0}",
     "mycrate::foo::{closure:bar#0}"),
    ("_RNSNvC7mycrate3foo6vtable", "mycrate[0]::foo::{shim:vtable#0}",
     "mycrate::foo::{shim:vtable#0}"),
    ("_RNXNvC7mycrate3foos_3bar", "mycrate[0]::foo::{X:bar#1}", "mycrate::foo::{X:bar#1}"),
    ("_RNvC7mycrateu8gdel_5qa", "mycrate[0]::gödel", "mycrate::gödel"),
    ("_RNvC7mycrateu10Mnchen_3ya", "mycrate[0]::München", "mycrate::München"),
    # inherent and trait impls, trait definitions
    ("_RNvMC7mycrateNtB2_3Foo3new", "<mycrate[0]::Foo>::new", "<mycrate::Foo>::new"),
    ("_RNvMs_C7mycrateNtB4_3Foo3new", "<mycrate[0]::Foo>::new", "<mycrate::Foo>::new"),
    ("_RNvXC7mycrateNtB2_3FooNtB2_5Trait3foo", "<mycrate[0]::Foo as mycrate[0]::Trait>::foo",
     "<mycrate::Foo as mycrate::Trait>::foo"),
    ("_RNvYhNtC7mycrate5Trait3foo", "<u8 as mycrate[0]::Trait>::foo",
     "<u8 as mycrate::Trait>::foo"),
    ("_RINvYhNtC7mycrate5Trait3foomE", "<u8 as mycrate[0]::Trait>::foo::<u32>",
     "<u8 as mycrate::Trait>::foo::<u32>"),
    ("_RNvXINtC7mycrate3FoomEINtB5_3BarhENtB5_5Trait3baz",
     "<mycrate[0]::Bar<u8> as mycrate[0]::Trait>::baz",
     "<mycrate::Bar<u8> as mycrate::Trait>::baz"),
    # generic arguments: basic types, references, pointers, slices, arrays, tuples
    ("_RINvC7mycrate3fooabcdefhijlmnostuvxyzpE",
     "mycrate[0]::foo::<i8, bool, char, f64, str, f32, u8, isize, usize, i32, u32, i128, u128, "
     "i16, u16, (), ..., i64, u64, !, _>",
     "mycrate::foo::<i8, bool, char, f64, str, f32, u8, isize, usize, i32, u32, i128, u128, "
     "i16, u16, (), ..., i64, u64, !, _>"),
    ("_RINvC7mycrate3fooRhQhPhOhE", "mycrate[0]::foo::<&u8, &mut u8, *const u8, *mut u8>",
     "mycrate::foo::<&u8, &mut u8, *const u8, *mut u8>"),
    ("_RINvNtC7mycrate3foo3barRShE", "mycrate[0]::foo::bar::<&[u8]>", "mycrate::foo::bar::<&[u8]>"),
    ("_RINvC7mycrate3fooAhj4_E", "mycrate[0]::foo::<[u8; 4: usize]>", "mycrate::foo::<[u8; 4]>"),
    ("_RINvC7mycrate3fooTEE", "mycrate[0]::foo::<()>", "mycrate::foo::<()>"),
    ("_RINvC7mycrate3fooThEE", "mycrate[0]::foo::<(u8,)>", "mycrate::foo::<(u8,)>"),
    ("_RINvC7mycrate3fooThmEE", "mycrate[0]::foo::<(u8, u32)>", "mycrate::foo::<(u8, u32)>"),
    ("_RINvC7mycrate3fooINtB2_3BarBa_EE", "mycrate[0]::foo::<mycrate[0]::Bar<str>>",
     "mycrate::foo::<mycrate::Bar<str>>"),
    ("_RINvNvCs5vbsRDZqdei_4core3foo3barB5_E", "core[4018bd9e5adfe70c]::foo::bar::<i16>",
     "core::foo::bar::<i16>"),
    # fn pointers, binders, dyn
    ("_RINvC7mycrate3fooFhEmE", "mycrate[0]::foo::<fn(u8) -> u32>",
     "mycrate::foo::<fn(u8) -> u32>"),
    ("_RINvC7mycrate3fooFUKCEuE", 'mycrate[0]::foo::<unsafe extern "C" fn()>',
     'mycrate::foo::<unsafe extern "C" fn()>'),
    ("_RINvC7mycrate3fooFK6systemEuE", 'mycrate[0]::foo::<extern "system" fn()>',
     'mycrate::foo::<extern "system" fn()>'),
    ("_RINvC7mycrate3fooFG_FG_RL0_hRL1_hEuEuE",
     "mycrate[0]::foo::<for<'a> fn(for<'b> fn(&'b u8, &'a u8))>",
     "mycrate::foo::<for<'a> fn(for<'b> fn(&'b u8, &'a u8))>"),
    ("_RINvC7mycrate3fooDNtC7mycrate5TraitNtC7mycrate4SendEL_E",
     "mycrate[0]::foo::<dyn mycrate[0]::Trait + mycrate[0]::Send>",
     "mycrate::foo::<dyn mycrate::Trait + mycrate::Send>"),
    ("_RINvC7mycrate3fooDINtC7mycrate5TraitmEp4ItemhEL_E",
     "mycrate[0]::foo::<dyn mycrate[0]::Trait<u32, Item = u8>>",
     "mycrate::foo::<dyn mycrate::Trait<u32, Item = u8>>"),
    # const generics
    ("_RINvC7mycrate3fooKj2a_E", "mycrate[0]::foo::<42: usize>", "mycrate::foo::<42>"),
    ("_RINvC7mycrate3fooKanff_E", "mycrate[0]::foo::<-255: i8>", "mycrate::foo::<-255>"),
    ("_RINvC7mycrate3fooKb1_E", "mycrate[0]::foo::<true: bool>", "mycrate::foo::<true>"),
    ("_RINvC7mycrate3fooKc61_E", "mycrate[0]::foo::<'a': char>", "mycrate::foo::<'a'>"),
    ("_RINvC7mycrate3fooKca_E", "mycrate[0]::foo::<'\\n': char>", "mycrate::foo::<'\\n'>"),
    ("_RINvC7mycrate3fooKce9_E", "mycrate[0]::foo::<'\\u{e9}': char>",
     "mycrate::foo::<'\\u{e9}'>"),
    ("_RINvC7mycrate3fooKpE", "mycrate[0]::foo::<_>", "mycrate::foo::<_>"),
    # the instantiating crate and an LTO suffix are not shown
    ("_RINvNtC7mycrate3foo3barNtB2_3BazEC7mycrate", "mycrate[0]::foo::bar::<mycrate[0]::foo::Baz>",
     "mycrate::foo::bar::<mycrate::foo::Baz>"),
    ("_RNvCs5vbsRDZqdei_4core3foo.llvm.12345", "core[4018bd9e5adfe70c]::foo", "core::foo"),
    # not valid v0: the name stays
    ("_RNvC7mycrate3fooXYZ", "_RNvC7mycrate3fooXYZ", "_RNvC7mycrate3fooXYZ"),
    ("_RNvC7mycrate", "_RNvC7mycrate", "_RNvC7mycrate"),
    ("_R0NvC7mycrate3foo", "_R0NvC7mycrate3foo", "_R0NvC7mycrate3foo"),
    ("_RINvC7mycrate3fooKb2_E", "_RINvC7mycrate3fooKb2_E", "_RINvC7mycrate3fooKb2_E"),
    ("_RINvC7mycrate3fooB7_E", "_RINvC7mycrate3fooB7_E", "_RINvC7mycrate3fooB7_E"),
    # legacy: the hash is kept by gdb and dropped in the readable form
    ("_ZN4core3fmt9Arguments8from_str17h0123456789abcdefE",
     "core::fmt::Arguments::from_str::h0123456789abcdef", "core::fmt::Arguments::from_str"),
    ("_ZN2p05entry17h1b2c3d4e5f607182E", "p0::entry::h1b2c3d4e5f607182", "p0::entry"),
    ("_ZN48_$LT$hello..Uart$u20$as$u20$core..fmt..Write$GT$9write_str17h0123456789abcdefE",
     "<hello::Uart as core::fmt::Write>::write_str::h0123456789abcdef",
     "<hello::Uart as core::fmt::Write>::write_str"),
    ("_ZN50_$LT$$RF$mut$u20$W$u20$as$u20$core..fmt..Write$GT$10write_char17h0123456789abcdefE",
     "<&mut W as core::fmt::Write>::write_char::h0123456789abcdef",
     "<&mut W as core::fmt::Write>::write_char"),
    ("_ZN4core3ptr32drop_in_place$LT$hello..Uart$GT$17h0123456789abcdefE",
     "core::ptr::drop_in_place<hello::Uart>::h0123456789abcdef",
     "core::ptr::drop_in_place<hello::Uart>"),
    ("_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h01234"
     "56789abcdefE",
     "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop::h0123456789abcdef",
     "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop"),
    ("_ZN4core9panicking5panic28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE",
     "core::panicking::panic::{{closure}}::h0123456789abcdef",
     "core::panicking::panic::{{closure}}"),
    ("_ZN15$BP$const$u20$T3ptr17h0123456789abcdefE", "*const T::ptr::h0123456789abcdef",
     "*const T::ptr"),
    ("_ZN12$u5b$u8$u5d$3len17h0123456789abcdefE", "[u8]::len::h0123456789abcdef", "[u8]::len"),
    ("_ZN3foo5$SP$x17h0123456789abcdefE", "foo::@x::h0123456789abcdef", "foo::@x"),
    ("_ZN3foo11$C$$LP$$RP$17h0123456789abcdefE", "foo::,()::h0123456789abcdef", "foo::,()"),
    ("_ZN3foo5x...y17h0123456789abcdefE", "foo::x::.y::h0123456789abcdef", "foo::x::.y"),
    ("_ZN5hello4main17h0123456789abcdefE.llvm.1234", "hello::main::h0123456789abcdef",
     "hello::main"),
    ("_ZN3foo5$u0$x17h0123456789abcdefE", "foo::$u0$x::h0123456789abcdef", "foo::$u0$x"),
    ("_ZN3foo3barE", "foo::bar", "foo::bar"),
    # not mangled at all
    ("_start", "_start", "_start"),
    ("entry", "entry", "entry"),
    ("__global_pointer$", "__global_pointer$", "__global_pointer$"),
    ("_R", "_R", "_R"),
    ("_ZN", "_ZN", "_ZN"),
]


@pytest.mark.parametrize(("mangled", "gdb", "readable"), CASES, ids=[c[0][:60] for c in CASES])
def test_demangle(mangled: str, gdb: str, readable: str) -> None:
    assert demangle(mangled, verbose=True) == gdb
    assert demangle(mangled) == readable


@pytest.mark.parametrize("junk", ["_RNvC", "_RB_", "_RNvC7mycrate3foo$x", "_R" + "I" * 500,
                                  "_RNvC" + "9" * 40 + "x", "_ZN9x", "_ZN3fooE$", "_ZN0E"])
def test_junk_stays_as_it_is(junk: str) -> None:
    assert demangle(junk) == junk
    assert demangle(junk, verbose=True) == junk


@pytest.mark.tools
def test_hand_cases_match_gdb() -> None:
    """The table's gdb column, asked of gdb again: every name in one assembled ELF."""
    names = [c[0] for c in CASES if c[0] not in ("_start", "_R", "_ZN")]
    source = "    .text\n" + "".join(f'    .globl "{n}"\n"{n}":\n    nop\n' for n in names)
    elf = assemble(source, "dwarf_demangle_cases")
    printed = minimal_symbols(elf, rust=True)
    for mangled, gdb, _ in CASES:
        if mangled in names:
            assert printed[mangled] == gdb, mangled


@pytest.mark.tools
@pytest.mark.parametrize("kernel", KERNELS)
def test_every_kernel_symbol_as_gdb_prints_it(kernel: str,
                                              example_elf: Callable[[str], Path],
                                              p0_elf: Path) -> None:
    elf = p0_elf if kernel == "p0" else example_elf(kernel)
    printed = minimal_symbols(elf)
    assert len(printed) > 10
    wrong = {raw: (shown, demangle(raw, verbose=True)) for raw, shown in printed.items()
             if demangle(raw, verbose=True) != shown}
    assert not wrong
