//! `#[setting]`, `#[setting(default = 8080)]`, `#[setting(secret)]`: a plain setting beside the
//! connections. Its own grammar (a bare `secret` flag), so it is parsed with syn's nested meta.

use syn::Attribute;

use super::value::{Value, parse_value};
use crate::ctxt::Ctxt;
use crate::symbol::{CONNECTION, DEFAULT, SECRET, SETTING, VALIDATE};

/// A field's `#[setting(...)]`, if it has one.
#[derive(Default)]
pub struct SettingAttrs {
    /// `default = <literal>`: the literal, a minus sign kept (`-1`).
    pub default: Option<Value>,
    /// `secret`: never shown by connfx.
    pub secret: bool,
}

/// `Some` when the field carries `#[setting]`; its entries are parsed and every mistake reported.
pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Option<SettingAttrs> {
    let mut found = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(SETTING)) {
        let parsed: &mut SettingAttrs = found.get_or_insert_with(SettingAttrs::default);
        if matches!(attr.meta, syn::Meta::Path(_)) {
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(SECRET) {
                parsed.secret = true;
                return Ok(());
            }
            if meta.path.is_ident(DEFAULT) {
                let value = parse_value(meta.value()?)?;
                if parsed.default.replace(value).is_some() {
                    return Err(meta.error("duplicate key `default`; give it once"));
                }
                return Ok(());
            }
            Err(meta.error("a setting takes `default = <literal>` and `secret`"))
        });
        if let Err(error) = result {
            cx.syn_error(error);
        }
    }
    found
}

/// Reports every `#[validate(...)]` on a field that is not a setting: only settings take rules.
pub fn reject_validate(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(VALIDATE)) {
        cx.error_spanned_by(
            attr,
            "`#[validate(...)]` goes on a `#[setting]` field; a connection's keys are checked by its protocol",
        );
    }
}

/// Reports a `#[connection(...)]` on a setting: a field is one or the other.
pub fn reject_connection(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(CONNECTION)) {
        cx.error_spanned_by(
            attr,
            "a field is a `#[setting]` or a connection, not both; remove `#[connection(...)]`",
        );
    }
}
