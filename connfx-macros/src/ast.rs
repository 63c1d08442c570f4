//! The derive's input in typed form: the struct, its attributes with defaults applied, and each
//! field's connection type, presence and protocol. Syntax nodes are kept for error spans.

use connfx_spec::Protocol;
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::{Attribute, DeriveInput, Expr, ExprLit, GenericArgument, Ident, Lit, Meta, PathArguments, Type};

use crate::attr::value::{Entry, Text};
use crate::attr::{container, field, setting};
use crate::ctxt::Ctxt;
use crate::symbol::{SETTING, VALIDATE};

/// `env_prefix` when the attribute gives none.
pub const DEFAULT_ENV_PREFIX: &str = "CONN";

/// The struct deriving `Connections`.
pub struct Container<'a> {
    pub ident: &'a Ident,
    pub vis: &'a syn::Visibility,
    pub doc_attrs: Vec<&'a Attribute>,
    pub doc: String,
    pub attrs: container::ContainerAttrs,
    pub fields: Vec<Field<'a>>,
    /// The plain `#[setting]` fields, in order.
    pub settings: Vec<Setting<'a>>,
}

/// One `#[setting]` field: any `Deserialize + Serialize + JsonSchema + Clone + Debug` type,
/// loaded beside the connections.
pub struct Setting<'a> {
    pub ident: &'a Ident,
    /// Its key in files (`port`) and, upper-cased under the prefix, its variable (`APP_PORT`).
    pub name: String,
    pub doc_attrs: Vec<&'a Attribute>,
    /// The field's type as written (an `Option<T>` stays one).
    pub ty: &'a Type,
    pub presence: Presence,
    /// The `#[validate(...)]` rules, moved onto the generated settings struct.
    pub rules: Vec<&'a Attribute>,
    pub attrs: setting::SettingAttrs,
}

/// One connection field.
pub struct Field<'a> {
    pub ident: &'a Ident,
    /// The name used in config files, env names and the registry (`r#type` is `type`).
    pub name: String,
    pub doc_attrs: Vec<&'a Attribute>,
    pub doc: String,
    /// The connection type: the field's type, or the `T` of an `Option<T>` field.
    pub ty: &'a Type,
    pub presence: Presence,
    pub protocol: Resolution,
    pub entries: Vec<Entry>,
}

/// Whether the connection must be configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    /// An `Option<T>` field: absent from every source means `None`.
    Optional,
}

/// What the field's protocol is, worked out from its type name and its `protocol = "..."`.
///
/// A type named like a built-in connection type (`HttpConnection`) or a `protocol` naming a
/// built-in protocol selects that protocol's table, and every key is checked. A `protocol` that is
/// not built in is an error on a built-in type, but names a user's adapter on any other type.
pub enum Resolution {
    /// A built-in protocol: the keys are checked against its table.
    Builtin(&'static Protocol),
    /// A user's adapter, with the protocol name the attribute gives, if any: keys pass unchecked
    /// into the defaults and are checked at boot by the adapter's config type.
    Adapter(Option<Text>),
    /// An unknown `protocol` on a built-in type (an error); the keys are checked against the
    /// type's protocol.
    UnknownProtocol { given: Text, of_type: &'static Protocol },
    /// A built-in `protocol` on another built-in protocol's type (an error); keys are not checked.
    Mismatch {
        given: &'static Protocol,
        of_type: &'static Protocol,
    },
}

impl<'a> Container<'a> {
    /// The typed form of `input`, whose named `fields` `check::check_shape` has found.
    pub fn from_ast(
        cx: &Ctxt,
        input: &'a DeriveInput,
        fields: &'a Punctuated<syn::Field, syn::Token![,]>,
    ) -> Self {
        Container {
            ident: &input.ident,
            vis: &input.vis,
            doc_attrs: doc_attrs(&input.attrs),
            doc: doc_text(&input.attrs),
            attrs: container::parse(cx, &input.attrs),
            fields: fields
                .iter()
                .filter(|field| !is_setting(field))
                .filter_map(|field| Field::from_ast(cx, field))
                .collect(),
            settings: fields
                .iter()
                .filter(|field| is_setting(field))
                .filter_map(|field| Setting::from_ast(cx, field))
                .collect(),
        }
    }

    pub fn env_prefix(&self) -> &str {
        self.attrs
            .env_prefix
            .as_ref()
            .map_or(DEFAULT_ENV_PREFIX, |prefix| &prefix.text)
    }

    pub fn deny_unknown_env(&self) -> bool {
        self.attrs.deny_unknown_env.unwrap_or(true)
    }

    /// `ConnsConfig` for `Conns`.
    pub fn config_ident(&self) -> Ident {
        config_ident(self.ident)
    }
}

/// `<Name>Config`, spanned like `Name` so the user can refer to it.
pub fn config_ident(ident: &Ident) -> Ident {
    quote::format_ident!("{}Config", ident)
}

/// Whether a field is a plain setting (carries `#[setting]`).
fn is_setting(field: &syn::Field) -> bool {
    field.attrs.iter().any(|attr| attr.path().is_ident(SETTING))
}

impl<'a> Setting<'a> {
    fn from_ast(cx: &Ctxt, field: &'a syn::Field) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        let attrs = setting::parse(cx, &field.attrs)?;
        setting::reject_connection(cx, &field.attrs);
        let (presence, _) = split_option(&field.ty);
        Some(Setting {
            ident,
            name: ident.unraw().to_string(),
            doc_attrs: doc_attrs(&field.attrs),
            ty: &field.ty,
            presence,
            rules: field
                .attrs
                .iter()
                .filter(|a| a.path().is_ident(VALIDATE))
                .collect(),
            attrs,
        })
    }
}

impl Setting<'_> {
    /// The type's last path segment, `Option` seen through: `u16` for `Option<u16>`.
    pub fn type_name(&self) -> Option<String> {
        type_name(split_option(self.ty).1)
    }

    /// The kind of literal the type takes, for a primitive type the derive can name.
    pub fn literal_kind(&self) -> Option<connfx_spec::Kind> {
        use connfx_spec::Kind;
        Some(match self.type_name()?.as_str() {
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128"
            | "isize" => Kind::Integer,
            "f32" | "f64" => Kind::Number,
            "bool" => Kind::Bool,
            "String" => Kind::Str,
            _ => return None,
        })
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &Ctxt, field: &'a syn::Field) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        setting::reject_validate(cx, &field.attrs);
        let attrs = field::parse(cx, &field.attrs);
        let (presence, ty) = split_option(&field.ty);
        Some(Field {
            ident,
            name: ident.unraw().to_string(),
            doc_attrs: doc_attrs(&field.attrs),
            doc: doc_text(&field.attrs),
            ty,
            presence,
            protocol: Resolution::new(attrs.protocol, type_name(ty).as_deref()),
            entries: attrs.entries,
        })
    }
}

impl Resolution {
    fn new(given: Option<Text>, type_name: Option<&str>) -> Self {
        let of_type = type_name.and_then(connfx_spec::protocol_for_type);
        let Some(given) = given else {
            return of_type.map_or(Resolution::Adapter(None), Resolution::Builtin);
        };
        match (connfx_spec::protocol(&given.text), of_type) {
            (Some(given), Some(of_type)) if given.name != of_type.name => {
                Resolution::Mismatch { given, of_type }
            }
            (Some(builtin), _) => Resolution::Builtin(builtin),
            (None, Some(of_type)) => Resolution::UnknownProtocol { given, of_type },
            (None, None) => Resolution::Adapter(Some(given)),
        }
    }

    /// The built-in table the keys are checked against, if any.
    pub fn table(&self) -> Option<&'static Protocol> {
        match self {
            Resolution::Builtin(protocol)
            | Resolution::UnknownProtocol {
                of_type: protocol, ..
            } => Some(protocol),
            Resolution::Adapter(_) | Resolution::Mismatch { .. } => None,
        }
    }

    /// The name the field type's `Connection::PROTOCOL` must have, asserted at compile time.
    pub fn asserted_name(&self) -> Option<&str> {
        match self {
            Resolution::Builtin(protocol) => Some(protocol.name),
            Resolution::Adapter(given) => given.as_ref().map(|given| given.text.as_str()),
            Resolution::UnknownProtocol { .. } | Resolution::Mismatch { .. } => None,
        }
    }
}

/// `(Optional, T)` for `Option<T>` (by the last path segment, as most derives do), else
/// `(Required, ty)`.
pub fn split_option(ty: &Type) -> (Presence, &Type) {
    match option_argument(ty) {
        Some(inner) => (Presence::Optional, inner),
        None => (Presence::Required, ty),
    }
}

fn option_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ungroup(ty) else {
        return None;
    };
    let last = path
        .path
        .segments
        .last()
        .filter(|s| path.qself.is_none() && s.ident == "Option")?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// The last path segment's name: `HttpConnection` for `connfx::HttpConnection`.
pub fn type_name(ty: &Type) -> Option<String> {
    match ungroup(ty) {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Sees through the invisible groups and parentheses a `macro_rules!` caller may leave.
fn ungroup(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungroup(&group.elem),
        Type::Paren(paren) => ungroup(&paren.elem),
        _ => ty,
    }
}

fn doc_attrs(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("doc")).collect()
}

/// The doc comment as plain text: each line without the one space `///` leaves, trimmed.
fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs.iter().filter_map(doc_line).collect();
    let lines: Vec<&str> = lines
        .iter()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    lines.join("\n").trim().to_owned()
}

fn doc_line(attr: &Attribute) -> Option<String> {
    match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn text(s: &str) -> Option<Text> {
        Some(Text {
            text: s.to_owned(),
            tokens: proc_macro2::TokenStream::new(),
        })
    }

    #[test]
    fn unwraps_option_by_its_last_segment() {
        let ty: Type = parse_quote!(::core::option::Option<connfx::HttpConnection>);
        let (presence, inner) = split_option(&ty);
        assert_eq!(presence, Presence::Optional);
        assert_eq!(type_name(inner).as_deref(), Some("HttpConnection"));
        let ty: Type = parse_quote!(HttpConnection);
        assert_eq!(split_option(&ty).0, Presence::Required);
    }

    #[test]
    fn resolves_the_protocol_from_the_type_and_the_attribute() {
        let name = |r: Resolution| (r.table().map(|p| p.name), r.asserted_name().map(str::to_owned));
        let resolve = |given: &str, ty: &str| {
            let given = if given.is_empty() { None } else { text(given) };
            name(Resolution::new(given, Some(ty)))
        };
        assert_eq!(resolve("", "HttpConnection"), (Some("http"), Some("http".into())));
        assert_eq!(resolve("sql", "MyAlias"), (Some("sql"), Some("sql".into())));
        assert_eq!(resolve("", "EchoConnection"), (None, None));
        assert_eq!(resolve("echo", "EchoConnection"), (None, Some("echo".into())));
        assert_eq!(resolve("htp", "HttpConnection"), (Some("http"), None));
        assert_eq!(resolve("sql", "HttpConnection"), (None, None));
    }

    #[test]
    fn reads_doc_comments_as_text() {
        let input: DeriveInput = parse_quote! {
            /// First line.
            ///   indented
            struct S { a: A }
        };
        assert_eq!(doc_text(&input.attrs), "First line.\n  indented");
    }
}
