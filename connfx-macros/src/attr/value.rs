//! The body of an attribute: `key = literal`, `group(key = literal, ...)` and
//! `headers("Name" = "value", ...)`. A syntax error is recorded and parsing resumes at the next
//! comma, so one typo does not hide the rest of the attribute.

use connfx_spec::Kind;
use connfx_spec::check::Literal;
use connfx_spec::message;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Ident, Lit, LitStr, Meta, Token};

use crate::ctxt::Ctxt;

/// One `name = literal` or `name(...)`.
pub struct Entry {
    pub name: Name,
    pub value: EntryValue,
}

/// What follows a name.
pub enum EntryValue {
    /// `name = literal`
    Lit(Value),
    /// `name(entries...)`
    Group(Vec<Entry>),
}

/// A key as written: an identifier (raw identifiers lose their `r#`) or a string (header names).
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A literal and the tokens it was written as, for error spans.
pub struct Value {
    pub lit: LitValue,
    pub tokens: TokenStream,
}

/// The literals the grammar accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum LitValue {
    Str(String),
    Int(i128),
    /// `text` is the number as written, for the defaults JSON (`2.0` stays `2.0`).
    Float {
        value: f64,
        text: String,
    },
    Bool(bool),
}

/// A string literal and where it was written.
pub struct Text {
    pub text: String,
    pub tokens: TokenStream,
}

const EXPECTED_LITERAL: &str = "expected a literal: a string, a number, `true` or `false`";

impl LitValue {
    /// The value as `connfx_spec`'s checks take it.
    pub fn as_spec(&self) -> Literal<'_> {
        match self {
            LitValue::Str(s) => Literal::Str(s),
            LitValue::Int(i) => Literal::Int(*i),
            LitValue::Float { value, .. } => Literal::Float(*value),
            LitValue::Bool(b) => Literal::Bool(*b),
        }
    }
}

impl Entry {
    /// The literal of `name = literal`; reports `name(...)`, which takes no group here.
    pub fn literal(&self, cx: &Ctxt) -> Option<&Value> {
        match &self.value {
            EntryValue::Lit(value) => Some(value),
            EntryValue::Group(_) => {
                cx.error_at(self.name.span, message::key_needs_value(&self.name.text));
                None
            }
        }
    }

    /// The string of `name = "..."`, reporting any other value.
    pub fn string(&self, cx: &Ctxt) -> Option<Text> {
        let value = self.literal(cx)?;
        match &value.lit {
            LitValue::Str(text) => Some(Text {
                text: text.clone(),
                tokens: value.tokens.clone(),
            }),
            _ => value.wrong_kind(cx, Kind::Str),
        }
    }

    /// The boolean of `name = true`, reporting any other value.
    pub fn boolean(&self, cx: &Ctxt) -> Option<bool> {
        let value = self.literal(cx)?;
        match value.lit {
            LitValue::Bool(b) => Some(b),
            _ => value.wrong_kind(cx, Kind::Bool),
        }
    }
}

impl Value {
    /// Reports that this value is not of `kind`.
    pub fn wrong_kind<T>(&self, cx: &Ctxt, kind: Kind) -> Option<T> {
        cx.error_spanned_by(
            &self.tokens,
            message::wrong_kind(kind, &self.lit.as_spec().describe(kind)),
        );
        None
    }
}

/// The entries of every attribute called `name` in `attrs`, in order.
pub fn entries_of(cx: &Ctxt, attrs: &[Attribute], name: &str) -> Vec<Entry> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident(name))
        .flat_map(|attr| parse_attr(cx, attr, name))
        .collect()
}

/// Reports every attribute called `name`, which does not belong where it was written.
pub fn reject_misplaced(cx: &Ctxt, attrs: &[Attribute], name: &str, message: &str) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(name)) {
        cx.error_spanned_by(attr, message);
    }
}

fn parse_attr(cx: &Ctxt, attr: &Attribute, name: &str) -> Vec<Entry> {
    match &attr.meta {
        Meta::Path(_) => Vec::new(),
        Meta::List(list) => parse_body(cx, list.tokens.clone()),
        Meta::NameValue(nv) => {
            cx.error_spanned_by(nv, format!("expected `#[{name}(...)]`"));
            Vec::new()
        }
    }
}

/// Parses `tokens` as a comma-separated list of entries.
pub fn parse_body(cx: &Ctxt, tokens: TokenStream) -> Vec<Entry> {
    let parser = |input: ParseStream| Ok(parse_entries(cx, input));
    parser.parse2(tokens).unwrap_or_else(|error| {
        cx.syn_error(error);
        Vec::new()
    })
}

fn parse_entries(cx: &Ctxt, input: ParseStream) -> Vec<Entry> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        match parse_entry(cx, input) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                cx.syn_error(error);
                skip_to_comma(input);
            }
        }
        if !input.is_empty()
            && let Err(error) = input.parse::<Token![,]>()
        {
            cx.syn_error(error);
            skip_to_comma(input);
            let _ = input.parse::<Option<Token![,]>>();
        }
    }
    entries
}

fn parse_entry(cx: &Ctxt, input: ParseStream) -> syn::Result<Entry> {
    let name = parse_name(input)?;
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        return Ok(Entry {
            name,
            value: EntryValue::Lit(parse_value(input)?),
        });
    }
    if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        return Ok(Entry {
            name,
            value: EntryValue::Group(parse_entries(cx, &content)),
        });
    }
    Err(syn::Error::new(
        name.span,
        format!("expected `{0} = ...` or `{0}(...)`", name.text),
    ))
}

fn parse_name(input: ParseStream) -> syn::Result<Name> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Ok(Name {
            text: lit.value(),
            span: lit.span(),
        });
    }
    if input.peek(Ident::peek_any) {
        let ident = Ident::parse_any(input)?;
        return Ok(Name {
            text: ident.unraw().to_string(),
            span: ident.span(),
        });
    }
    Err(input.error("expected a key name"))
}

/// A literal (a minus sign allowed before a number), or the grammar's error.
pub fn parse_value(input: ParseStream) -> syn::Result<Value> {
    let minus: Option<Token![-]> = input.parse()?;
    if !input.peek(Lit) {
        return Err(input.error(EXPECTED_LITERAL));
    }
    let lit: Lit = input.parse()?;
    let tokens = quote!(#minus #lit);
    let lit = lit_value(&lit, minus.is_some())
        .ok_or_else(|| syn::Error::new_spanned(&tokens, EXPECTED_LITERAL))??;
    Ok(Value { lit, tokens })
}

/// The literal's value; `None` for a kind the grammar does not accept.
fn lit_value(lit: &Lit, negative: bool) -> Option<syn::Result<LitValue>> {
    let sign = if negative { "-" } else { "" };
    Some(match lit {
        Lit::Str(s) if !negative => Ok(LitValue::Str(s.value())),
        Lit::Bool(b) if !negative => Ok(LitValue::Bool(b.value)),
        Lit::Int(i) => format!("{sign}{}", i.base10_digits())
            .parse()
            .map(LitValue::Int)
            .map_err(|_| syn::Error::new(i.span(), "this whole number is too large")),
        Lit::Float(f) => {
            let text = json_number(&format!("{sign}{}", f.base10_digits()));
            text.parse()
                .map(|value| LitValue::Float { value, text })
                .map_err(|e| syn::Error::new(f.span(), e))
        }
        _ => return None,
    })
}

/// A float as written, made valid JSON: `2.` becomes `2.0`.
fn json_number(digits: &str) -> String {
    if digits.ends_with('.') {
        format!("{digits}0")
    } else {
        digits.to_owned()
    }
}

/// Moves past every token up to (not including) the next comma at this level.
fn skip_to_comma(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

/// Reports every name given twice at the same level (the second one), except `repeatable` ones.
pub fn reject_duplicates(cx: &Ctxt, entries: &[Entry], repeatable: &[&str]) {
    let mut seen = std::collections::HashSet::new();
    for entry in entries {
        let name = entry.name.text.as_str();
        if !repeatable.contains(&name) && !seen.insert(name) {
            cx.error_at(entry.name.span, format!("duplicate key `{name}`; give it once"));
        }
        if let EntryValue::Group(items) = &entry.value {
            reject_duplicates(cx, items, &[]);
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse(tokens: TokenStream) -> (Vec<Entry>, Vec<String>) {
        let cx = Ctxt::new();
        let entries = parse_body(&cx, tokens);
        reject_duplicates(&cx, &entries, &[]);
        let errors = cx
            .check()
            .err()
            .into_iter()
            .flatten()
            .map(|e| e.to_string())
            .collect();
        (entries, errors)
    }

    fn lit(entry: &Entry) -> &LitValue {
        match &entry.value {
            EntryValue::Lit(v) => &v.lit,
            EntryValue::Group(_) => panic!("not a literal"),
        }
    }

    #[test]
    fn parses_keys_groups_and_maps() {
        let (entries, errors) = parse(quote!(
            url = "https://x",
            timeout = "10s",
            retry(max_attempts = 3, multiplier = 2.0, jitter = -0.5),
            headers("X-Client" = "c"),
            tls(accept_invalid_certs = true),
            r#type = 1,
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<_> = entries.iter().map(|e| e.name.text.as_str()).collect();
        assert_eq!(names, ["url", "timeout", "retry", "headers", "tls", "type"]);
        assert_eq!(lit(&entries[0]), &LitValue::Str("https://x".into()));
        let EntryValue::Group(retry) = &entries[2].value else {
            panic!()
        };
        assert_eq!(lit(&retry[0]), &LitValue::Int(3));
        assert_eq!(
            lit(&retry[1]),
            &LitValue::Float {
                value: 2.0,
                text: "2.0".into()
            }
        );
        assert_eq!(
            lit(&retry[2]),
            &LitValue::Float {
                value: -0.5,
                text: "-0.5".into()
            }
        );
        let EntryValue::Group(headers) = &entries[3].value else {
            panic!()
        };
        assert_eq!(headers[0].name.text, "X-Client");
    }

    #[test]
    fn a_syntax_error_does_not_hide_the_rest() {
        let (entries, errors) =
            parse(quote!(url "x", timeout = SOME_CONST, pool(max_size = 'c'), jitter = 0.5));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[0], "expected `url = ...` or `url(...)`");
        assert_eq!(errors[1], EXPECTED_LITERAL);
        assert_eq!(errors[2], EXPECTED_LITERAL);
        let names: Vec<_> = entries.iter().map(|e| e.name.text.as_str()).collect();
        assert_eq!(names, ["pool", "jitter"]);
    }

    #[test]
    fn reports_the_second_of_two_equal_keys() {
        let (_, errors) = parse(quote!(url = "a", retry(jitter = 0.1, jitter = 0.2), url = "b"));
        assert_eq!(
            errors,
            [
                "duplicate key `jitter`; give it once",
                "duplicate key `url`; give it once"
            ]
        );
    }

    #[test]
    fn a_float_written_with_a_bare_dot_is_valid_json() {
        assert_eq!(json_number("2."), "2.0");
        assert_eq!(json_number("1e3"), "1e3");
    }

    #[test]
    fn a_missing_comma_is_reported_once() {
        let (entries, errors) = parse(quote!(url = "a" "b", jitter = 0.1));
        assert_eq!(errors, ["expected `,`"]);
        assert_eq!(entries.len(), 2);
    }
}
