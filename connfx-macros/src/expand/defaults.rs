//! The attribute's keys as the JSON object the loader takes as its lowest layer:
//! `retry(max_attempts = 3)` → `{"retry":{"max_attempts":3}}`, `timeout = "10s"` →
//! `{"timeout":{"total":"10s"}}`. Keys keep the order written; `protocol` is not a key.

use std::fmt::{self, Display, Write};

use connfx_spec::Protocol;

use crate::ast::{Field, Setting};
use crate::attr::value::{Entry, EntryValue, LitValue};

/// A JSON value built from attribute literals.
enum Json<'a> {
    Lit(&'a LitValue),
    Object(Vec<(&'a str, Json<'a>)>),
}

/// The field's defaults as compact JSON text.
pub fn json(field: &Field) -> String {
    object(&field.entries, field.protocol.table()).to_string()
}

/// The settings' `default = …` values as one compact JSON object: `{"port":8080}`.
pub fn settings_json(settings: &[Setting]) -> String {
    let members = settings.iter().filter_map(|setting| {
        let default = setting.attrs.default.as_ref()?;
        Some((setting.name.as_str(), Json::Lit(&default.lit)))
    });
    Json::Object(members.collect()).to_string()
}

fn object<'a>(entries: &'a [Entry], table: Option<&Protocol>) -> Json<'a> {
    Json::Object(
        entries
            .iter()
            .map(|entry| (entry.name.text.as_str(), value(entry, table)))
            .collect(),
    )
}

/// An entry's value; a bare value on a group with a shorthand key sets that key.
fn value<'a>(entry: &'a Entry, table: Option<&Protocol>) -> Json<'a> {
    let shorthand = table
        .and_then(|protocol| protocol.group(&entry.name.text))
        .and_then(|group| group.shorthand);
    match (&entry.value, shorthand) {
        (EntryValue::Lit(lit), Some(key)) => Json::Object(vec![(key, Json::Lit(&lit.lit))]),
        (EntryValue::Lit(lit), None) => Json::Lit(&lit.lit),
        (EntryValue::Group(items), _) => object(items, None),
    }
}

impl Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Lit(LitValue::Str(text)) => string(f, text),
            Json::Lit(LitValue::Int(int)) => write!(f, "{int}"),
            Json::Lit(LitValue::Float { text, .. }) => f.write_str(text),
            Json::Lit(LitValue::Bool(b)) => write!(f, "{b}"),
            Json::Object(members) => {
                f.write_char('{')?;
                for (i, (name, value)) in members.iter().enumerate() {
                    f.write_str(if i == 0 { "" } else { "," })?;
                    string(f, name)?;
                    write!(f, ":{value}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// A JSON string with `"`, `\` and control characters escaped.
fn string(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use crate::ast::Container;
    use crate::ctxt::Ctxt;

    fn defaults(input: syn::DeriveInput) -> Vec<String> {
        let cx = Ctxt::new();
        let fields = crate::check::check_shape(&cx, &input).unwrap();
        let json = Container::from_ast(&cx, &input, fields)
            .fields
            .iter()
            .map(super::json)
            .collect();
        cx.check().unwrap();
        json
    }

    #[test]
    fn builds_the_design_example() {
        let json = defaults(parse_quote! {
            struct Conns {
                #[connection(protocol = "http", url = "https://api.pay.example/v1", timeout = "10s",
                    retry(max_attempts = 3, initial_interval = "100ms", multiplier = 2.0, jitter = 0.2),
                    headers("X-Client" = "checkout"))]
                payments: HttpConnection,
                #[connection(pool(max_size = 20))]
                orders: SqlConnection,
                #[connection(protocol = "http")]
                audit: Option<HttpConnection>,
                #[connection(greeting = "hi", timeout = "1s", tls(on = true))]
                echo: EchoConnection,
            }
        });
        assert_eq!(
            json,
            [
                r#"{"url":"https://api.pay.example/v1","timeout":{"total":"10s"},"retry":{"max_attempts":3,"initial_interval":"100ms","multiplier":2.0,"jitter":0.2},"headers":{"X-Client":"checkout"}}"#,
                r#"{"pool":{"max_size":20}}"#,
                "{}",
                r#"{"greeting":"hi","timeout":"1s","tls":{"on":true}}"#,
            ]
        );
    }

    #[test]
    fn escapes_strings_and_parses_as_json() {
        let json = defaults(parse_quote! {
            struct S {
                #[connection(greeting = "say \"hi\"\\\n\t\u{1}é", r#type = -3, f = 2., g = 1e3)]
                echo: EchoConnection,
            }
        });
        assert_eq!(
            json[0],
            r#"{"greeting":"say \"hi\"\\\n\t\u0001é","type":-3,"f":2.0,"g":1e3}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
        assert_eq!(parsed["greeting"], "say \"hi\"\\\n\t\u{1}é");
    }
}
