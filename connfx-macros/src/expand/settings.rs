//! The plain `#[setting]` fields: the hidden struct that gathers them for the loader (its JSON
//! Schema gives their keys, kinds, bounds and docs; its `validator` rules run at every load),
//! its descriptor, and the compile-time check of each `default` literal against its type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::{allow_lints, defaults};
use connfx_spec::Kind;

use crate::ast::{Container, Presence, Setting, split_option};
use crate::attr::value::LitValue;

/// `__<Name>Settings`: the settings as one config type. Hidden: the user sees `<Name>Config`.
pub fn settings_ident(cont: &Container) -> Ident {
    format_ident!("__{}Settings", cont.ident)
}

/// The hidden struct, with the fields' docs and rules, a secret marked `writeOnly`; nothing when
/// the struct has no settings.
pub fn settings_struct(cont: &Container) -> TokenStream {
    if cont.settings.is_empty() {
        return TokenStream::new();
    }
    let ident = settings_ident(cont);
    let fields = cont.settings.iter().map(|setting| {
        let (name, ty, docs, rules) = (setting.ident, setting.ty, &setting.doc_attrs, &setting.rules);
        let secret = setting
            .attrs
            .secret
            .then(|| quote!(#[schemars(extend("writeOnly" = true))]));
        let optional = (setting.presence == Presence::Optional).then(|| quote!(#[serde(default)]));
        quote!(#(#docs)* #(#rules)* #secret #optional #name: #ty)
    });
    let allow = allow_lints();
    quote! {
        // validator's `nested` rule calls `.validate()` by name, so the trait must be in scope.
        #[allow(unused_imports)]
        use ::connfx::__private::validator::Validate as _;

        #[doc(hidden)]
        #allow
        #[derive(
            ::connfx::__private::serde::Deserialize,
            ::connfx::__private::schemars::JsonSchema,
            ::connfx::__private::validator::Validate,
        )]
        #[serde(crate = "::connfx::__private::serde")]
        #[schemars(crate = "::connfx::__private::schemars")]
        #[validate(crate = "::connfx::__private::validator")]
        struct #ident {
            #(#fields,)*
        }
    }
}

/// `FieldDescriptor::settings::<__NameSettings>("{...}")`, the set's last field; nothing when the
/// struct has no settings.
pub fn descriptor(cont: &Container) -> Option<TokenStream> {
    if cont.settings.is_empty() {
        return None;
    }
    let (ident, defaults) = (settings_ident(cont), defaults::settings_json(&cont.settings));
    Some(quote!(::connfx::__private::FieldDescriptor::settings::<#ident>(#defaults)))
}

/// `let _: u16 = 8080;` for each default of a primitive type (see `check::check_setting_default`),
/// so rustc itself refuses a literal out of the type's range; spanned on the literal.
pub fn default_checks(cont: &Container) -> TokenStream {
    let checks = cont.settings.iter().filter_map(default_check);
    let allow = allow_lints();
    quote! {
        #allow
        const _: fn() = || {
            #(#checks)*
        };
    }
}

fn default_check(setting: &Setting) -> Option<TokenStream> {
    let default = setting.attrs.default.as_ref()?;
    setting.literal_kind()?;
    let ty = split_option(setting.ty).1;
    let tokens = &default.tokens;
    let value = match (&default.lit, setting.literal_kind()) {
        (LitValue::Str(_), _) => quote!(::std::string::String::from(#tokens)),
        // A whole number for a float type: a float default written `1`.
        (LitValue::Int(_), Some(Kind::Number)) => quote!((#tokens) as #ty),
        _ => quote!(#tokens),
    };
    Some(quote_spanned!(tokens.span()=> let _: #ty = #value;))
}
