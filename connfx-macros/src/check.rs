//! Checks on the typed form: the struct's shape, each field's protocol and keys against
//! `connfx_spec`, and rules across fields. Where the runtime has the same check, the message comes
//! from `connfx_spec`, so a bad attribute reads exactly like a bad file value or env variable.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;

use connfx_spec::env::{CONFIG_FILE_OWNER, config_file_var, env_name};
use connfx_spec::message::Syntax;
use connfx_spec::{Group, Key, Kind, Protocol, Rule, check, message};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Fields, Token};

use crate::ast::{Container, Field, Resolution, Setting};
use crate::attr::value::{Entry, EntryValue, LitValue, Name, Value};
use crate::ctxt::Ctxt;
use crate::symbol::{GENERATED_METHODS, PROTOCOL};

/// Runs every check on a struct that has the right shape.
pub fn check(cx: &Ctxt, cont: &Container) {
    check_env_prefix(cx, cont);
    for field in &cont.fields {
        check_protocol_known(cx, field);
        check_type_matches_protocol(cx, field);
        check_keys(cx, field);
        check_method_clash(cx, cont, &field.name, field.ident);
    }
    for setting in &cont.settings {
        check_method_clash(cx, cont, &setting.name, setting.ident);
        check_setting_default(cx, setting);
    }
    check_some_connection(cx, cont);
    check_env_collisions(cx, cont);
    check_fleet_stores(cx, cont);
}

// Class 9: the derive reads one connection per named field of a plain struct. Enums, unions,
// tuple and unit structs have no such fields, and generic parameters would hide the connection
// types from the checks and from the generated `<Name>Config`. Returns the fields when usable.
pub fn check_shape<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<&'a Punctuated<syn::Field, Token![,]>> {
    check_no_generics(cx, input);
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => return shape_error(cx, data.enum_token, "an enum"),
        Data::Union(data) => return shape_error(cx, data.union_token, "a union"),
    };
    match fields {
        Fields::Named(fields) => {
            check_has_fields(cx, input, &fields.named);
            Some(&fields.named)
        }
        Fields::Unnamed(fields) => shape_error(cx, fields, "a tuple struct"),
        Fields::Unit => shape_error(cx, &input.ident, "a unit struct"),
    }
}

fn check_no_generics(cx: &Ctxt, input: &DeriveInput) {
    if !input.generics.params.is_empty() {
        let message = "`#[derive(Connections)]` does not support generic parameters; \
                       give the struct concrete connection types";
        cx.error_spanned_by(&input.generics, message);
    }
}

fn shape_error<T>(cx: &Ctxt, tokens: impl ToTokens, found: &str) -> Option<T> {
    let message =
        format!("`#[derive(Connections)]` needs a struct with named fields, one per connection, not {found}");
    cx.error_spanned_by(tokens, message);
    None
}

// Class 9 (empty): a set of no connections has nothing to load, connect or check.
fn check_has_fields(cx: &Ctxt, input: &DeriveInput, fields: &Punctuated<syn::Field, Token![,]>) {
    if fields.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            "`#[derive(Connections)]` needs at least one connection field",
        );
    }
}

// Class 1: a protocol name that is not built in, on a built-in connection type, is a typo (the
// type fixes the protocol). On any other type it names the user's adapter: see `ast::Resolution`.
fn check_protocol_known(cx: &Ctxt, field: &Field) {
    if let Resolution::UnknownProtocol { given, .. } = &field.protocol {
        cx.error_spanned_by(&given.tokens, message::unknown_protocol(&given.text));
    }
}

// Class 2: when both the type and `protocol` are built in they must agree; otherwise the keys
// would be checked against one protocol's table and loaded into another's config type.
fn check_type_matches_protocol(cx: &Ctxt, field: &Field) {
    if let Resolution::Mismatch { given, of_type } = &field.protocol {
        let message = format!(
            "field type `{}` is not the `{}` protocol's connection type; expected `{}`",
            of_type.type_name, given.name, given.type_name
        );
        cx.error_spanned_by(field.ty, message);
    }
}

// Classes 3 to 6: each key of a built-in protocol must be one of its keys or groups, in the
// group's form, with a literal of the key's kind, form and range. `check::literal` is the check
// the loader runs at boot on files and env values.
fn check_keys(cx: &Ctxt, field: &Field) {
    let Some(protocol) = field.protocol.table() else {
        return;
    };
    for entry in &field.entries {
        check_entry(cx, protocol, entry);
    }
}

fn check_entry(cx: &Ctxt, protocol: &Protocol, entry: &Entry) {
    let name = entry.name.text.as_str();
    if let Some(key) = protocol.key(name) {
        return check_key(cx, protocol, key, entry);
    }
    match (protocol.group(name), &entry.value) {
        (Some(group), EntryValue::Group(items)) => check_group(cx, protocol, group, items),
        (Some(group), EntryValue::Lit(value)) => check_shorthand(cx, protocol, group, &entry.name, value),
        (None, _) => {
            let valid = protocol.names().chain([PROTOCOL]);
            cx.error_at(entry.name.span, message::unknown_key(protocol.name, name, valid));
        }
    }
}

fn check_key(cx: &Ctxt, protocol: &Protocol, key: &Key, entry: &Entry) {
    // A map key of a protocol (`hosts`) holds a table per name, each with groups of its own:
    // files and the environment (one JSON object) give it; the attribute grammar cannot.
    if key.kind == Kind::Map {
        return cx.error_at(entry.name.span, message::table_not_in_attribute(key.name));
    }
    if let Some(value) = entry.literal(cx) {
        check_literal(cx, protocol, key, value);
    }
}

/// `timeout = "10s"` stands for `timeout(total = "10s")`; other groups take no bare value.
fn check_shorthand(cx: &Ctxt, protocol: &Protocol, group: &Group, name: &Name, value: &Value) {
    match group.shorthand.and_then(|key| group.key(key)) {
        Some(key) => check_literal(cx, protocol, key, value),
        None => {
            let first = group.keys.iter().find(|key| Some(key.name) != group.switch);
            let first = first.map_or("", |key| key.name);
            cx.error_at(
                name.span,
                message::group_needs_keys(group.name, first, Syntax::Attribute),
            );
        }
    }
}

fn check_group(cx: &Ctxt, protocol: &Protocol, group: &Group, items: &[Entry]) {
    if group.is_map {
        return items.iter().for_each(|item| check_map_item(cx, item));
    }
    for item in items {
        match group.key(&item.name.text) {
            Some(key) => check_key(cx, protocol, key, item),
            // A nested group (`auth.oauth2`) is read from files and the environment only: its
            // own table and env names, which the attribute grammar has no place for.
            None if group.nested.iter().any(|nested| nested.name == item.name.text) => {
                let message = message::nested_not_in_attribute(group.name, &item.name.text);
                cx.error_at(item.name.span, message);
            }
            None => {
                let valid = group.keys.iter().map(|key| key.name);
                cx.error_at(
                    item.name.span,
                    message::unknown_key(group.name, &item.name.text, valid),
                );
            }
        }
    }
    check_rules(cx, group, items);
}

/// A map's names are free; its values are strings.
fn check_map_item(cx: &Ctxt, item: &Entry) {
    if let Some(value) = item.literal(cx)
        && !matches!(value.lit, LitValue::Str(_))
    {
        value.wrong_kind::<()>(cx, Kind::Str);
    }
}

fn check_literal(cx: &Ctxt, protocol: &Protocol, key: &Key, value: &Value) {
    if let Err(message) = check::literal(protocol, key, value.lit.as_spec()) {
        cx.error_spanned_by(&value.tokens, message);
    }
}

// Class 7: literals that are each fine may contradict each other (`initial_interval` above
// `max_interval`, two auth schemes at once). The later-written key of the rule is reported, as
// it is the one that made the set contradictory.
fn check_rules(cx: &Ctxt, group: &Group, items: &[Entry]) {
    for rule in group.rules {
        let duration_of = |key: &str| match &literal_of(items, key)?.lit {
            LitValue::Str(text) => check::duration(text).ok(),
            _ => None,
        };
        let is_set = |key: &str| literal_of(items, key).is_some();
        if let Err(message) = check::rule(rule, duration_of, is_set)
            && let Some(later) = second_of(rule, items)
        {
            cx.error_spanned_by(&later.tokens, message);
        }
    }
}

fn literal_of<'e>(items: &'e [Entry], key: &str) -> Option<&'e Value> {
    items
        .iter()
        .filter(|item| item.name.text == key)
        .find_map(as_literal)
}

fn as_literal(entry: &Entry) -> Option<&Value> {
    match &entry.value {
        EntryValue::Lit(value) => Some(value),
        EntryValue::Group(_) => None,
    }
}

/// The second of the rule's keys in the order written.
fn second_of<'e>(rule: &Rule, items: &'e [Entry]) -> Option<&'e Value> {
    let pair;
    let keys: &[&str] = match *rule {
        Rule::NotAbove { lower, upper } => {
            pair = [lower, upper];
            &pair
        }
        Rule::AtMostOne(keys) => keys,
    };
    items
        .iter()
        .filter(|item| keys.contains(&item.name.text.as_str()))
        .filter_map(as_literal)
        .nth(1)
}

// Class 10: a fleet policy (`rate_limit(scope = "fleet", store = "cache")`, `retry(budget_scope =
// "fleet", budget_store = "cache")`) is kept in the Redis connection its store key names; written
// in the attribute, that is a field of this struct. (Whether the scope and the store come
// together is checked at boot, as a file may give either.)
fn check_fleet_stores(cx: &Ctxt, cont: &Container) {
    for field in &cont.fields {
        for (group, key) in [
            ("rate_limit", "store"),
            ("retry", "budget_store"),
            ("circuit_breaker", "store"),
        ] {
            let items = field.entries.iter().find_map(|entry| match &entry.value {
                EntryValue::Group(items) if entry.name.text == group => Some(items),
                _ => None,
            });
            let Some(store) = items.and_then(|items| literal_of(items, key)) else {
                continue;
            };
            let LitValue::Str(name) = &store.lit else {
                continue;
            };
            let target = cont.fields.iter().find(|other| other.name == *name);
            let protocol = target.map(|t| t.protocol.table().map_or("adapter", |p| p.name));
            if protocol != Some("redis") {
                cx.error_spanned_by(&store.tokens, message::store_not_redis(key, name, protocol));
            }
        }
    }
}

// Class 8 (prefix): the prefix starts every environment name the loader reads, and those are
// upper case (`[A-Z][A-Z0-9_]*`); any other prefix would make names the loader cannot match.
fn check_env_prefix(cx: &Ctxt, cont: &Container) {
    if let Some(prefix) = &cont.attrs.env_prefix
        && !is_env_prefix(&prefix.text)
    {
        let message = format!(
            "expected an environment variable prefix of upper-case letters, digits and `_`, \
             starting with a letter, such as `CHECKOUT`; found `{:?}`",
            prefix.text
        );
        cx.error_spanned_by(&prefix.tokens, message);
    }
}

fn is_env_prefix(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

// Class 8: the loader maps each `<PREFIX>_<FIELD>_<KEY...>` back to one setting, so no two
// settings (nor `<PREFIX>_CONFIG_FILE`) may share a name. As in the loader, the first owner keeps
// the name and the later field is reported. Adapter fields are skipped: their keys are known only
// at boot, where the loader runs the same check.
fn check_env_collisions(cx: &Ctxt, cont: &Container) {
    let prefix = cont.env_prefix();
    let mut owners = HashMap::from([(config_file_var(prefix), CONFIG_FILE_OWNER.to_owned())]);
    for field in &cont.fields {
        let Some(protocol) = field.protocol.table() else {
            continue;
        };
        if let Some(message) = claim(&mut owners, env_names(prefix, &field.name, protocol)) {
            cx.error_at(field.ident.span(), message);
        }
    }
    // A setting of a primitive type is one variable; a setting of another type has its keys
    // checked at boot.
    for setting in cont.settings.iter().filter(|s| s.literal_kind().is_some()) {
        let name = vec![(env_name(prefix, "", &setting.name), setting.name.clone())];
        if let Some(message) = claim(&mut owners, name) {
            cx.error_at(setting.ident.span(), message);
        }
    }
}

/// Records each name's owner; the message for the first name already owned, if any.
fn claim(owners: &mut HashMap<String, String>, names: Vec<(String, String)>) -> Option<String> {
    for (name, path) in names {
        match owners.entry(name) {
            Slot::Occupied(first) => return Some(message::env_collision(first.key(), first.get(), &path)),
            Slot::Vacant(slot) => {
                slot.insert(path);
            }
        }
    }
    None
}

/// Every environment variable of a built-in protocol's field, with the config path it sets.
/// A map group (`headers`) is one variable holding a JSON object.
pub fn env_names(prefix: &str, field: &str, protocol: &Protocol) -> Vec<(String, String)> {
    let keys = protocol.keys.iter().map(|key| key.name.to_owned());
    let groups = protocol.groups.iter().flat_map(|group| group_paths(group));
    keys.chain(groups)
        .map(|path| (env_name(prefix, field, &path), format!("{field}.{path}")))
        .collect()
}

fn group_paths(group: &Group) -> Vec<String> {
    if group.is_map {
        return vec![group.name.to_owned()];
    }
    group
        .keys
        .iter()
        .map(|key| format!("{}.{}", group.name, key.name))
        .collect()
}

// A field's accessor is a method named after the field, so a field cannot take the name of
// another generated method.
fn check_method_clash(cx: &Ctxt, cont: &Container, name: &str, ident: &syn::Ident) {
    if GENERATED_METHODS.contains(&name) {
        let message = format!(
            "field `{name}` clashes with the generated method `{0}::{name}`; rename the field",
            cont.ident
        );
        cx.error_at(ident.span(), message);
    }
}

// Class 9 (settings only): the struct connects its connections; a struct of plain settings
// alone has nothing to connect.
fn check_some_connection(cx: &Ctxt, cont: &Container) {
    if cont.fields.is_empty() && !cont.settings.is_empty() {
        cx.error_spanned_by(
            cont.ident,
            "`#[derive(Connections)]` needs at least one connection field beside its `#[setting]` fields",
        );
    }
}

// Class 10: a setting's `default` literal against its type, where the type is a primitive the
// derive can name (`u16`, `f64`, `bool`, `String`): a string for a number, or a number for a
// string, is an error here. A number of the right kind is then typed by rustc itself (see
// `expand::settings`), so `70000` for a `u16` fails as an out-of-range literal. Any other type
// takes its default at boot, through its own `Deserialize`, with the loader's message.
fn check_setting_default(cx: &Ctxt, setting: &Setting) {
    let (Some(default), Some(expected)) = (&setting.attrs.default, setting.literal_kind()) else {
        return;
    };
    let found = match default.lit {
        LitValue::Str(_) => Kind::Str,
        LitValue::Bool(_) => Kind::Bool,
        LitValue::Float { .. } => Kind::Number,
        LitValue::Int(_) => Kind::Integer,
    };
    let fits = found == expected || (expected == Kind::Number && found == Kind::Integer);
    if !fits {
        let message = format!(
            "the default of setting `{}` must be {} (its type is `{}`), found {}",
            setting.name,
            expected.expected(),
            setting.type_name().unwrap_or_default(),
            default.tokens
        );
        cx.error_spanned_by(&default.tokens, message);
    }
}

#[cfg(test)]
mod tests;
