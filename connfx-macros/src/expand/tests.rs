use quote::ToTokens;
use syn::{ImplItem, Item, parse_quote};

use super::derive;
use crate::symbol::GENERATED_METHODS;

fn expand(input: syn::DeriveInput) -> syn::File {
    syn::parse2(derive(&input)).expect("the expansion is valid Rust")
}

fn example() -> syn::DeriveInput {
    parse_quote! {
        /// Connections of the checkout service.
        #[connections(env_prefix = "CHECKOUT", file = "config/connections.toml", file = "config/local.yaml")]
        pub struct Conns {
            /// Payment provider API.
            #[connection(protocol = "http", url = "https://api.pay.example/v1", timeout = "10s")]
            payments: HttpConnection,
            /// Optional one.
            audit: Option<HttpConnection>,
            #[connection(greeting = "hi")]
            echo: EchoConnection,
        }
    }
}

/// The method names of every inherent `impl <self_ty>` block (not its trait impls, `Debug`).
fn methods(file: &syn::File, self_ty: &str) -> Vec<String> {
    let impls = file.items.iter().filter_map(|item| match item {
        Item::Impl(imp) if imp.trait_.is_none() && imp.self_ty.to_token_stream().to_string() == self_ty => {
            Some(imp)
        }
        _ => None,
    });
    let items = impls.flat_map(|imp| imp.items.iter());
    items
        .filter_map(|item| {
            if let ImplItem::Fn(f) = item {
                Some(f.sig.ident.to_string())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn generates_the_contracts_items() {
    let file = expand(example());
    let mut names = methods(&file, "Conns");
    names.retain(|name| !["payments", "audit", "echo"].contains(&name.as_str()));
    assert_eq!(
        names, GENERATED_METHODS,
        "symbol::GENERATED_METHODS lists what methods.rs emits"
    );
    assert_eq!(methods(&file, "ConnsConfig"), ["connect"]);
    let text = file.to_token_stream().to_string();
    assert!(text.contains("pub struct ConnsConfig"));
    assert!(
        text.contains(r#""CHECKOUT" , & ["config/connections.toml" , "config/local.yaml"] , true"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"FieldDescriptor :: optional :: < HttpConnection > ("audit" , "Optional one." , "{}")"#
        )
    );
    assert!(text.contains(r#"str_eq (< HttpConnection as :: connfx :: Connection > :: PROTOCOL , "http")"#));
    assert!(text.contains("futures_util :: join !"));
}

#[test]
fn one_field_needs_no_join_nor_tuple() {
    let file = expand(parse_quote!(
        struct One {
            api: HttpConnection,
        }
    ));
    let text = file.to_token_stream().to_string();
    assert!(!text.contains("join !"), "{text}");
    assert!(
        !text.contains("(api ,)") && text.contains("match api {"),
        "{text}"
    );
    assert!(text.contains("let api = :: connfx :: __private :: connect_required :: < HttpConnection > (\"api\" , self . api) . await ;"));
}

#[test]
fn errors_come_with_the_fallback_and_no_generated_config() {
    let tokens = derive(&parse_quote! {
        struct Conns {
            #[connection(retry(jitter = 1.5))]
            payments: HttpConnection,
            connect: HttpConnection,
        }
    });
    let file: syn::File = syn::parse2(tokens).unwrap();
    let text = file.to_token_stream().to_string();
    assert_eq!(text.matches("compile_error !").count(), 2, "{text}");
    assert!(!text.contains("ConnectionSet") && !text.contains("todo !") && !text.contains("unimplemented !"));
    let mut expected: Vec<String> = GENERATED_METHODS.iter().map(|m| m.to_string()).collect();
    expected.insert(3, "payments".into());
    assert_eq!(methods(&file, "Conns"), expected);
}

#[test]
fn the_fallback_keeps_the_generics_of_an_unsupported_struct() {
    let file = expand(parse_quote!(
        struct Conns<T> {
            api: T,
        }
    ));
    assert!(methods(&file, "Conns < T >").contains(&"api".to_owned()));
    assert!(methods(&file, "ConnsConfig").is_empty());
}
