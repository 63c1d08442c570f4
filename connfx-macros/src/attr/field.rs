//! `#[connection(protocol = "http", url = "...", retry(...), headers("Name" = "value"))]`.

use super::value::{Entry, Text, entries_of, reject_duplicates, reject_misplaced};
use crate::ctxt::Ctxt;
use crate::symbol::{CONNECTION, CONNECTIONS, PROTOCOL};

/// A field's attribute: the protocol it names, and every other entry, checked later against the
/// protocol's table.
#[derive(Default)]
pub struct FieldAttrs {
    pub protocol: Option<Text>,
    pub entries: Vec<Entry>,
}

/// Parses every `#[connection(...)]` of a field; no attribute at all means no defaults.
pub fn parse(cx: &Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    reject_misplaced(
        cx,
        attrs,
        CONNECTIONS,
        "`#[connections(...)]` goes on the struct; a field takes `#[connection(...)]`",
    );
    let entries = entries_of(cx, attrs, CONNECTION);
    reject_duplicates(cx, &entries, &[]);
    let mut parsed = FieldAttrs::default();
    for entry in entries {
        if entry.name.text == PROTOCOL {
            parsed.protocol = parsed.protocol.or_else(|| entry.string(cx));
        } else {
            parsed.entries.push(entry);
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn parse_field(field: syn::Field) -> (FieldAttrs, Vec<String>) {
        let cx = Ctxt::new();
        let attrs = parse(&cx, &field.attrs);
        (
            attrs,
            cx.check()
                .err()
                .into_iter()
                .flatten()
                .map(|e| e.to_string())
                .collect(),
        )
    }

    #[test]
    fn separates_the_protocol_from_the_keys() {
        let (attrs, errors) = parse_field(parse_quote! {
            #[connection(protocol = "http", url = "https://x")]
            #[connection(retry(max_attempts = 3))]
            a: HttpConnection
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(attrs.protocol.unwrap().text, "http");
        let names: Vec<_> = attrs.entries.iter().map(|e| e.name.text.as_str()).collect();
        assert_eq!(names, ["url", "retry"]);
    }

    #[test]
    fn no_attribute_means_no_defaults() {
        let (attrs, errors) = parse_field(parse_quote!(a: HttpConnection));
        assert!(errors.is_empty() && attrs.protocol.is_none() && attrs.entries.is_empty());
    }

    #[test]
    fn reports_a_mistyped_or_repeated_protocol() {
        let (_, errors) = parse_field(parse_quote! {
            #[connection(protocol = 1, protocol(x = 1))]
            #[connections(env_prefix = "A")]
            a: HttpConnection
        });
        assert_eq!(
            errors,
            [
                "`#[connections(...)]` goes on the struct; a field takes `#[connection(...)]`",
                "duplicate key `protocol`; give it once",
                "expected a string, found `1`",
                "`protocol` takes a single value; write `protocol = ...`",
            ]
        );
    }
}
