//! The `#[derive(Connections)]` macro of [connfx](https://docs.rs/connfx); use it through
//! `connfx::Connections`, whose documentation describes the generated items.
//!
//! The derive is a small compiler: `attr` parses the attributes, `ast` gives the input a typed
//! form, `check` runs every compile-time check, and `expand` writes code that calls into
//! `connfx::__private`. Errors are collected in a `ctxt::Ctxt` and reported together; with
//! errors, `fallback` emits the generated methods with `unreachable!()` bodies so no cascade of
//! follow-on errors hides the real ones.
//!
//! # Which protocol a field has
//!
//! The key checks use `connfx-spec`'s table, the one the runtime checks files and environment
//! variables against at boot, and its messages, so both read the same.
//!
//! - A field whose type is named like a built-in connection type (`HttpConnection`,
//!   `connfx::SqlConnection`, `Option<HttpConnection>`) has that protocol; a `protocol = "..."`
//!   given as well must name it.
//! - A `protocol` naming a built-in protocol on any other type (an alias, say) selects that
//!   protocol's table.
//! - A `protocol` that is not built in is an error on a built-in type, and otherwise names the
//!   user's own adapter: its keys pass unchecked into the defaults and are checked at boot by
//!   the adapter's config type. So is a field of an unknown type with no `protocol`.
//! - Wherever a protocol name is known, a compile-time assertion checks that the field type's
//!   `Connection::PROTOCOL` is that name, so an alias or adapter cannot be declared under the
//!   wrong protocol.
//!
//! # Generated code
//!
//! Every generated item carries `where <FieldType>: ::connfx::Connection` for each field type.
//! For connection types the bounds are trivially true; for a type that is not a connection they
//! turn a cascade of errors (one per use of `<T as Connection>::Config`) into the trait's own
//! message, reported on the field's type.
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod symbol;

use proc_macro::TokenStream;

/// Declares a set of connections; see `connfx::Connections`.
#[proc_macro_derive(Connections, attributes(connections, connection, setting, validate))]
pub fn derive_connections(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
