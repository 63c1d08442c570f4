//! `#[connections(env_prefix = "APP", file = "a.toml", file = "b.yaml", deny_unknown_env = true)]`.

use connfx_spec::message;

use super::value::{Entry, Text, entries_of, reject_duplicates, reject_misplaced};
use crate::ctxt::Ctxt;
use crate::symbol::{CONNECTION, CONNECTIONS, CONTAINER_KEYS, DENY_UNKNOWN_ENV, ENV_PREFIX, FILE};

/// The struct's attribute, as written (defaults are applied by `ast`).
#[derive(Default)]
pub struct ContainerAttrs {
    pub env_prefix: Option<Text>,
    pub files: Vec<String>,
    pub deny_unknown_env: Option<bool>,
}

/// Parses every `#[connections(...)]` of the struct.
pub fn parse(cx: &Ctxt, attrs: &[syn::Attribute]) -> ContainerAttrs {
    reject_misplaced(
        cx,
        attrs,
        CONNECTION,
        "`#[connection(...)]` goes on a field; the struct takes `#[connections(...)]`",
    );
    let entries = entries_of(cx, attrs, CONNECTIONS);
    reject_duplicates(cx, &entries, &[FILE]);
    let mut parsed = ContainerAttrs::default();
    for entry in &entries {
        parsed.apply(cx, entry);
    }
    parsed
}

impl ContainerAttrs {
    fn apply(&mut self, cx: &Ctxt, entry: &Entry) {
        match entry.name.text.as_str() {
            ENV_PREFIX => self.env_prefix = self.env_prefix.take().or_else(|| entry.string(cx)),
            FILE => self.files.extend(entry.string(cx).map(|file| file.text)),
            DENY_UNKNOWN_ENV => self.deny_unknown_env = self.deny_unknown_env.or_else(|| entry.boolean(cx)),
            other => cx.error_at(
                entry.name.span,
                message::unknown_key(CONNECTIONS, other, CONTAINER_KEYS),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn parse_struct(input: syn::DeriveInput) -> (ContainerAttrs, Vec<String>) {
        let cx = Ctxt::new();
        let attrs = parse(&cx, &input.attrs);
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
    fn reads_every_key_and_repeats_files() {
        let (attrs, errors) = parse_struct(parse_quote! {
            #[connections(env_prefix = "APP", file = "a.toml")]
            #[connections(file = "b.yaml", deny_unknown_env = false)]
            struct S { a: A }
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(attrs.env_prefix.unwrap().text, "APP");
        assert_eq!(attrs.files, ["a.toml", "b.yaml"]);
        assert_eq!(attrs.deny_unknown_env, Some(false));
    }

    #[test]
    fn reports_unknown_duplicate_and_mistyped_keys() {
        let (_, errors) = parse_struct(parse_quote! {
            #[connections(env_prefx = "APP", env_prefix = "A", env_prefix = "B", deny_unknown_env = "no")]
            #[connection(url = "x")]
            struct S { a: A }
        });
        assert_eq!(
            errors,
            [
                "`#[connection(...)]` goes on a field; the struct takes `#[connections(...)]`",
                "duplicate key `env_prefix`; give it once",
                "unknown `connections` key `env_prefx`; did you mean `env_prefix`?",
                "expected `true` or `false`, found `\"no\"`",
            ]
        );
    }
}
