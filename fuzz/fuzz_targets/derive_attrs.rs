//! Fuzzes the `#[derive(Connections)]` front end (attribute parsing, checks, expansion) with
//! arbitrary attribute token streams.
//!
//! A proc-macro crate cannot be linked into another program, but everything past its tiny entry
//! point works on `proc_macro2`/`syn` values. So this target compiles the derive's own source
//! files as ordinary modules (`#[path]` below; they refer to each other through `crate::`, which
//! here is this file) and calls `expand::derive` exactly as `connfx-macros/src/lib.rs` does. The
//! derive itself is unchanged; only its `lib.rs` entry point is left out.
//!
//! Properties: the derive never panics (its `Ctxt` also panics if an error could be dropped
//! unreported), and its output, generated items or `compile_error!`s plus the fallback, parses as
//! Rust items. Outside a compiler `proc_macro2` spans carry no position (its `span-locations`
//! feature would keep every input's text for the whole run), so where errors point is left to
//! the trybuild UI tests.
#![no_main]
#![allow(dead_code)]

#[path = "../../connfx-macros/src/ast.rs"]
mod ast;
#[path = "../../connfx-macros/src/attr/mod.rs"]
mod attr;
#[path = "../../connfx-macros/src/check.rs"]
mod check;
#[path = "../../connfx-macros/src/ctxt.rs"]
mod ctxt;
#[path = "../../connfx-macros/src/expand/mod.rs"]
mod expand;
#[path = "../../connfx-macros/src/fallback.rs"]
mod fallback;
#[path = "../../connfx-macros/src/symbol.rs"]
mod symbol;

use std::sync::OnceLock;

use connfx_fuzz::derive_input::{DeriveInputGen, known_keys};
use libfuzzer_sys::fuzz_target;

fn keys() -> &'static [&'static str] {
    static KEYS: OnceLock<Vec<&'static str>> = OnceLock::new();
    KEYS.get_or_init(known_keys)
}

fuzz_target!(|input: DeriveInputGen| {
    let source = input.source(keys());
    // What rustc would refuse before the derive runs is out of scope.
    let Ok(item) = syn::parse_str::<syn::DeriveInput>(&source) else {
        return;
    };
    let output = expand::derive(&item);
    if let Err(e) = syn::parse2::<syn::File>(output.clone()) {
        panic!("the derive's output is not Rust items: {e}\ninput:\n{source}\noutput:\n{output}");
    }
});
