//! Code generation. It runs only on input that passed every check, so it assumes valid input;
//! with errors, `fallback` runs instead.

mod config;
mod defaults;
mod methods;
mod settings;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast::Container;
use crate::ctxt::Ctxt;
use crate::{check, fallback};

/// `#[derive(Connections)]` on `input`: the generated items, or every error plus the fallback.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let container = check::check_shape(&cx, input).map(|fields| Container::from_ast(&cx, input, fields));
    if let Some(container) = &container {
        check::check(&cx, container);
    }
    match (cx.check(), container) {
        (Ok(()), Some(container)) => expand(&container),
        (result, _) => {
            let errors = result.err().map(|error| error.to_compile_error());
            let fallback = fallback::expand(input);
            quote!(#errors #fallback)
        }
    }
}

fn expand(cont: &Container) -> TokenStream {
    let config_struct = config::config_struct(cont);
    let connection_set = config::connection_set_impl(cont);
    let assertions = cont.fields.iter().filter_map(config::protocol_assertion);
    let methods = methods::set_impl(cont);
    let connect = methods::config_impl(cont);
    let settings_struct = settings::settings_struct(cont);
    let default_checks = settings::default_checks(cont);
    quote! {
        #config_struct
        const _: () = {
            #(#assertions)*
            #settings_struct
            #connection_set
        };
        #default_checks
        #methods
        #connect
    }
}

/// Lints generated code must not trip in a user crate built with `-D warnings` or clippy's
/// pedantic groups (the list clap uses, plus the lints our items could raise).
pub fn allow_lints() -> TokenStream {
    quote! {
        #[allow(
            unknown_lints,
            dead_code,
            deprecated,
            missing_docs,
            private_bounds,
            private_interfaces,
            unreachable_code,
            unreachable_pub,
            unused_qualifications,
            unused_results,
            unused_variables,
            clippy::all,
            clippy::cargo,
            clippy::nursery,
            clippy::pedantic,
            clippy::restriction,
        )]
    }
}

/// `where HttpConnection: ::connfx::Connection, ...`: one bound per field type, spanned on it.
///
/// For real connection types the bounds are trivially true. For a type that is not a connection,
/// the one unmet bound is reported on the field's type, and the item's body is checked as if it
/// held, instead of every use of `<T as Connection>::Config` being reported again.
pub fn where_connections(cont: &Container) -> TokenStream {
    let bounds = cont.fields.iter().map(|field| {
        let ty = field.ty;
        quote_spanned!(ty.span()=> #ty: ::connfx::Connection)
    });
    quote!(where #(#bounds,)*)
}

#[cfg(test)]
mod tests;
