//! What is emitted next to the errors: the generated items' signatures with `unreachable!()`
//! bodies, so the user's calls to `Conns::connect()` or `conns.payments()` still type-check and the
//! build shows only the real mistakes, not a cascade of "no function named `connect`".

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields};

use crate::ast::{Presence, config_ident, split_option};
use crate::expand::allow_lints;
use crate::symbol::GENERATED_METHODS;

pub fn expand(input: &DeriveInput) -> TokenStream {
    let (ident, vis, config) = (&input.ident, &input.vis, config_ident(&input.ident));
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let accessors = named_fields(input).map(accessor);
    let config_connect = input.generics.params.is_empty().then(|| config_connect(input));
    let allow = allow_lints();
    quote! {
        #allow
        #vis struct #config {}

        #config_connect

        #allow
        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            pub fn load_config() -> ::core::result::Result<#config, ::connfx::ConfigError> {
                ::core::unreachable!()
            }
            pub fn load_config_from(
                sources: ::connfx::Sources,
            ) -> ::core::result::Result<#config, ::connfx::ConfigError> {
                ::core::unreachable!()
            }
            pub async fn connect() -> ::core::result::Result<Self, ::connfx::Error> {
                ::core::unreachable!()
            }
            #(#accessors)*
            pub fn registry(&self) -> ::connfx::Registry {
                ::core::unreachable!()
            }
            pub async fn reload(
                &self,
                sources: ::connfx::Sources,
            ) -> ::core::result::Result<::connfx::ReloadReport, ::connfx::ConfigError> {
                ::core::unreachable!()
            }
            pub fn watch(
                &self,
                watch: ::connfx::reload::Watch,
            ) -> ::core::result::Result<::connfx::reload::Watcher, ::connfx::reload::WatchError> {
                ::core::unreachable!()
            }
            pub async fn health(&self) -> ::connfx::HealthReport {
                ::core::unreachable!()
            }
            pub async fn close(&self) {
                ::core::unreachable!()
            }
            pub fn json_schema() -> ::connfx::__private::serde_json::Value {
                ::core::unreachable!()
            }
            pub fn env_vars() -> ::std::vec::Vec<::connfx::EnvVar> {
                ::core::unreachable!()
            }
        }
    }
}

/// `ConnsConfig::connect`, for a struct without generics (whose name alone is its type).
fn config_connect(input: &DeriveInput) -> TokenStream {
    let (ident, config) = (&input.ident, config_ident(&input.ident));
    let allow = allow_lints();
    quote! {
        #allow
        #[automatically_derived]
        impl #config {
            pub async fn connect(self) -> ::core::result::Result<#ident, ::connfx::ConnectError> {
                ::core::unreachable!()
            }
        }
    }
}

/// The named fields, less any whose name is a generated method's (already an error).
fn named_fields(input: &DeriveInput) -> impl Iterator<Item = &syn::Field> {
    let fields = match &input.data {
        Data::Struct(data) if matches!(data.fields, Fields::Named(_)) => Some(data.fields.iter()),
        _ => None,
    };
    fields.into_iter().flatten().filter(|field| {
        field
            .ident
            .as_ref()
            .is_some_and(|ident| !GENERATED_METHODS.contains(&ident.unraw().to_string().as_str()))
    })
}

fn accessor(field: &syn::Field) -> TokenStream {
    let ident = &field.ident;
    match split_option(&field.ty) {
        (Presence::Required, ty) => quote! {
            pub fn #ident(&self) -> &#ty {
                ::core::unreachable!()
            }
        },
        (Presence::Optional, ty) => quote! {
            pub fn #ident(&self) -> ::core::option::Option<&#ty> {
                ::core::unreachable!()
            }
        },
    }
}
