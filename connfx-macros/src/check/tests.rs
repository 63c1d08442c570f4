use syn::parse_quote;

use super::*;

/// Every error the derive reports for `input`, in order.
fn errors(input: DeriveInput) -> Vec<String> {
    let cx = Ctxt::new();
    if let Some(fields) = check_shape(&cx, &input) {
        check(&cx, &Container::from_ast(&cx, &input, fields));
    }
    cx.check()
        .err()
        .into_iter()
        .flatten()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn accepts_the_design_example() {
    let errors = errors(parse_quote! {
        #[connections(env_prefix = "CHECKOUT", file = "a.toml", deny_unknown_env = true)]
        struct Conns {
            #[connection(protocol = "http", url = "https://api.pay.example/v1", timeout = "10s",
                retry(max_attempts = 3, initial_interval = "100ms", multiplier = 2.0, jitter = 0.2),
                circuit_breaker(failure_threshold = 5, reset_timeout = "30s", half_open_success_needed = 2),
                headers("X-Client" = "checkout"), auth(bearer = "t"))]
            payments: HttpConnection,
            #[connection(pool(max_size = 20), url = "sqlite::memory:")]
            orders: SqlConnection,
            audit: Option<connfx::HttpConnection>,
            #[connection(protocol = "echo", greeting = "hi", nested(x = 1))]
            echo: EchoConnection,
            #[connection(protocol = "http", url = "http://alias")]
            alias: Api,
        }
    });
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn reports_protocol_and_type_mistakes() {
    let errors = errors(parse_quote! {
        struct S {
            #[connection(protocol = "htp", retry(max_atempts = 3))]
            a: HttpConnection,
            #[connection(protocol = "sql", anything = 1)]
            b: HttpConnection,
        }
    });
    assert_eq!(
        errors,
        [
            "unknown protocol `htp`; did you mean `http`? known protocols: `http`, `graphql`, `redis`, `sql`, `otlp`, `sse`, `websocket`",
            "unknown `retry` key `max_atempts`; did you mean `max_attempts`?",
            "field type `HttpConnection` is not the `sql` protocol's connection type; expected `SqlConnection`",
        ]
    );
}

#[test]
fn reports_unknown_keys_and_wrong_forms() {
    let errors = errors(parse_quote! {
        struct S {
            #[connection(ur = "x", retry = 3, url(x = 1), retries(max_attempts = 1), headers(Accept = 1))]
            a: HttpConnection,
        }
    });
    assert_eq!(
        errors,
        [
            "unknown `http` key `ur`; did you mean `url`?",
            "`retry` is a group of keys; write `retry(...)`",
            "`url` takes a single value; write `url = ...`",
            "unknown `http` key `retries`; did you mean `retry`?",
            "expected a string, found `1`",
        ]
    );
}

#[test]
fn reports_bad_literals() {
    let errors = errors(parse_quote! {
        struct S {
            #[connection(url = "ftp://x", timeout = "10 parsecs",
                retry(max_attempts = "3", jitter = 1.5, multiplier = 0.5, max_interval = "1s", initial_interval = "10s"),
                auth(bearer = "a", api_key = "b"))]
            a: HttpConnection,
            #[connection(url = "not a url")]
            b: SqlConnection,
        }
    });
    assert_eq!(
        errors,
        [
            "URL scheme `ftp` does not fit protocol `http`; expected `http` or `https`",
            "expected a duration such as `250ms`, `30s` or `1m30s`, found `\"10 parsecs\"`",
            "expected a whole number, found `\"3\"`",
            "`jitter` must be between 0 and 1, found 1.5",
            "`multiplier` must be between 1 and 100, found 0.5",
            "`initial_interval` (10s) must not be above `max_interval` (1s)",
            "set at most one of `bearer`, `username`, `api_key`, `oauth2`",
            "expected an absolute URL, but it does not parse: relative URL without a base",
        ]
    );
}

#[test]
fn reports_env_and_method_clashes() {
    let errors = errors(parse_quote! {
        #[connections(env_prefix = "checkout")]
        struct S {
            api: HttpConnection,
            #[allow(non_snake_case)]
            API: HttpConnection,
            health: HttpConnection,
            echo: EchoConnection,
        }
    });
    assert_eq!(
        errors,
        [
            "expected an environment variable prefix of upper-case letters, digits and `_`, starting with a \
             letter, such as `CHECKOUT`; found `\"checkout\"`",
            "field `health` clashes with the generated method `S::health`; rename the field",
            "environment variable `CHECKOUT_API_URL` would set both `api.url` and `API.url`; rename one of the fields",
        ]
    );
}

#[test]
fn reports_the_config_file_variable() {
    let mut owners = HashMap::from([("P_CONFIG_FILE".to_owned(), CONFIG_FILE_OWNER.to_owned())]);
    let message = claim(&mut owners, vec![("P_CONFIG_FILE".into(), "config.file".into())]);
    assert_eq!(
        message.as_deref(),
        Some(
            "environment variable `P_CONFIG_FILE` would set both `the config file variable` and \
             `config.file`; rename one of the fields"
        )
    );
}

#[test]
fn names_every_environment_variable() {
    let names = env_names("CHECKOUT", "payments", connfx_spec::protocol("http").unwrap());
    let find = |n: &str| {
        names
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, path)| path.as_str())
    };
    assert_eq!(find("CHECKOUT_PAYMENTS_URL"), Some("payments.url"));
    assert_eq!(
        find("CHECKOUT_PAYMENTS_RETRY_MAX_ATTEMPTS"),
        Some("payments.retry.max_attempts")
    );
    assert_eq!(find("CHECKOUT_PAYMENTS_HEADERS"), Some("payments.headers"));
    assert_eq!(find("CHECKOUT_PAYMENTS_TIMEOUT"), None);
}

#[test]
fn reports_every_unsupported_shape() {
    assert_eq!(
        errors(parse_quote!(
            enum E {
                A,
            }
        )),
        ["`#[derive(Connections)]` needs a struct with named fields, one per connection, not an enum"]
    );
    assert_eq!(
        errors(parse_quote!(
            struct S(HttpConnection);
        )),
        ["`#[derive(Connections)]` needs a struct with named fields, one per connection, not a tuple struct"]
    );
    assert_eq!(
        errors(parse_quote!(
            struct S;
        )),
        ["`#[derive(Connections)]` needs a struct with named fields, one per connection, not a unit struct"]
    );
    assert_eq!(
        errors(parse_quote!(
            struct S {}
        )),
        ["`#[derive(Connections)]` needs at least one connection field"]
    );
    assert_eq!(
        errors(parse_quote!(
            struct S<'a, T> {
                a: &'a T,
            }
        )),
        [
            "`#[derive(Connections)]` does not support generic parameters; give the struct concrete connection types"
        ]
    );
}

#[test]
fn a_nested_group_in_the_attribute_says_where_it_is_set() {
    let errors = errors(parse_quote! {
        struct Conns {
            #[connection(url = "https://api.example", auth(oauth2(client_id = "svc")))]
            api: HttpConnection,
        }
    });
    assert_eq!(
        errors,
        [
            "the `auth.oauth2` group is set in a file (`[<field>.auth.oauth2]`) or the environment \
          (`<PREFIX>_<FIELD>_AUTH_OAUTH2_*`), not in the attribute"
        ]
    );
}

#[test]
fn the_hosts_table_in_the_attribute_says_where_it_is_set() {
    let errors = errors(parse_quote! {
        struct Conns {
            #[connection(url = "https://api.example", per_host = true, hosts = "api.example")]
            api: HttpConnection,
            #[connection(url = "https://api.example", per_host = true, hosts("api.example" = "x"))]
            other: HttpConnection,
        }
    });
    let expected = "the `hosts` table is set in a file (`[<field>.hosts.\"<name>\"]`) or the environment \
                    (`<PREFIX>_<FIELD>_HOSTS`, one JSON object), not in the attribute";
    assert_eq!(errors, [expected, expected]);
}
