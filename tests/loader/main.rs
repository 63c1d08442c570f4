//! The loader through the derive: sources and their order, formats, env names, every problem of
//! a load reported with path and source, optional connections, secrets, schema, round trip.

mod early;
mod hosts;
mod oauth2;
mod sandbox;
mod shorthand;
mod spec;
mod switch;

use connfx::prelude::*;
use connfx::{Secret, ValueSource};
use sandbox::Sandbox;

/// Connections of a shop.
#[derive(Connections)]
#[connections(env_prefix = "SHOP")]
pub struct Shop {
    /// Payment provider API.
    #[connection(
        protocol = "http",
        url = "https://api.pay.example/v1",
        timeout = "10s",
        retry(max_attempts = 3, initial_interval = "100ms", multiplier = 2.0, jitter = 0.2),
        circuit_breaker(failure_threshold = 5, reset_timeout = "30s")
    )]
    payments: HttpConnection,

    /// Orders database; no default URL.
    #[connection(protocol = "sql", pool(max_size = 20))]
    orders: SqlConnection,

    /// Optional audit API.
    #[connection(protocol = "http")]
    audit: Option<HttpConnection>,
}

fn orders_url() -> (&'static str, &'static str) {
    ("SHOP_ORDERS_URL", "sqlite::memory:")
}

#[test]
fn env_beats_file_beats_default() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("shop.toml", "[payments.retry]\nmax_attempts = 5\njitter = 0.1\n");
    let sources = Sources::new()
        .file(&file)
        .env_map([orders_url(), ("SHOP_PAYMENTS_RETRY_JITTER", "0.3")]);
    let config = Shop::load_config_from(sources).unwrap();
    let retry = config.payments.retry.unwrap();
    assert_eq!(retry.max_attempts, 5, "file beats default");
    assert_eq!(retry.jitter, 0.3, "env beats file");
    assert_eq!(retry.multiplier, 2.0, "attribute default kept");
    assert_eq!(
        retry.max_interval,
        std::time::Duration::from_secs(10),
        "type default kept"
    );
    assert_eq!(
        config.payments.timeout.total,
        std::time::Duration::from_secs(10),
        "timeout shorthand is the total"
    );
    assert_eq!(config.orders.pool.max_size, 20);
}

#[test]
fn explain_names_the_source_of_every_value() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("shop.toml", "[payments.retry]\nmax_attempts = 5\n");
    let sources = Sources::new().file(&file).env_map([orders_url()]);
    let settings = connfx::config::explain::<Shop>(sources).unwrap();
    let source_of = |path: &str| settings.iter().find(|s| s.path == path).map(|s| s.source.clone());
    assert_eq!(
        source_of("payments.retry.max_attempts"),
        Some(ValueSource::File(file.clone()))
    );
    assert_eq!(
        source_of("orders.url"),
        Some(ValueSource::Env("SHOP_ORDERS_URL".into()))
    );
    assert_eq!(
        source_of("payments.url"),
        Some(ValueSource::Attribute("Shop".into()))
    );
    assert_eq!(
        source_of("payments.pool.idle_timeout"),
        Some(ValueSource::Default)
    );
}

#[test]
fn yaml_and_json_files_load_in_order() {
    let sandbox = Sandbox::new();
    let yaml = sandbox.file(
        "a.yaml",
        "payments:\n  retry:\n    max_attempts: 7\norders:\n  url: \"sqlite::memory:\"\n",
    );
    let json = sandbox.file(
        "b.json",
        r#"{"payments": {"retry": {"jitter": 0.5}}, "orders": {"pool": {"max_size": 3}}}"#,
    );
    let config = Shop::load_config_from(Sources::new().file(&yaml).file(&json)).unwrap();
    let retry = config.payments.retry.unwrap();
    assert_eq!((retry.max_attempts, retry.jitter), (7, 0.5));
    assert_eq!(config.orders.pool.max_size, 3);
}

#[test]
fn misspelled_env_var_is_an_error_with_the_suggestion() {
    let sources = Sources::new().env_map([orders_url(), ("SHOP_PAYMENTS_RETRY_MAX_ATEMPTS", "5")]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let [issue] = err.issues() else {
        panic!("one issue expected: {err}")
    };
    assert_eq!(
        issue.source(),
        &ValueSource::Env("SHOP_PAYMENTS_RETRY_MAX_ATEMPTS".into())
    );
    assert_eq!(
        issue.message(),
        "`SHOP_PAYMENTS_RETRY_MAX_ATEMPTS` is not a setting; did you mean `SHOP_PAYMENTS_RETRY_MAX_ATTEMPTS`?"
    );
    assert_eq!(issue.path(), "payments.retry.max_attempts");
}

/// A variable that is no typo of one name gets at most the three nearest, those that extend it
/// first, and where the rest is listed.
#[test]
fn an_unknown_env_var_lists_at_most_three_near_names() {
    let sources = Sources::new().env_map([orders_url(), ("SHOP_PAYMENTS_HEALTH", "1s")]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let [issue] = err.issues() else {
        panic!("one issue expected: {err}")
    };
    assert_eq!(
        issue.message(),
        "`SHOP_PAYMENTS_HEALTH` is not a setting; did you mean one of `SHOP_PAYMENTS_HEALTH_PATH`, \
         `SHOP_PAYMENTS_HEALTH_TIMEOUT`, `SHOP_PAYMENTS_HEALTH_CRITICAL`? (`env` lists every variable)"
    );
}

#[test]
fn every_bad_value_of_a_load_is_reported_with_path_and_source() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "bad.toml",
        "[payments.retry]\nmultiplier = 0.5\nmax_atempts = 2\n[payments.circuit_breaker]\nreset_timeout = \"soon\"\n",
    );
    let sources = Sources::new().file(&file).env_map([
        ("SHOP_PAYMENTS_RETRY_JITTER", "1.5"),
        ("SHOP_PAYMENTS_TIMEOUT_CONNECT", "fast"),
        ("SHOP_ORDERS_POOL_MAX_SIZE", "many"),
    ]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let got: Vec<(String, String)> = err
        .issues()
        .iter()
        .map(|i| (i.path().to_owned(), i.source().to_string()))
        .collect();
    let file_src = format!("file {}", file.display());
    for expected in [
        ("payments.retry.multiplier", file_src.as_str()),
        ("payments.retry.max_atempts", file_src.as_str()),
        ("payments.circuit_breaker.reset_timeout", file_src.as_str()),
        ("payments.retry.jitter", "env SHOP_PAYMENTS_RETRY_JITTER"),
        ("payments.timeout.connect", "env SHOP_PAYMENTS_TIMEOUT_CONNECT"),
        ("orders.pool.max_size", "env SHOP_ORDERS_POOL_MAX_SIZE"),
        ("orders.url", "default"),
    ] {
        assert!(
            got.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "missing {expected:?} in\n{err}"
        );
    }
    assert_eq!(err.issues().len(), 7, "{err}");
    let text = err.to_string();
    assert!(text.starts_with("configuration has 7 problems:"), "{text}");
    assert!(
        text.contains("`jitter` must be between 0 and 1, found 1.5"),
        "{text}"
    );
    assert!(
        text.contains("unknown `retry` key `max_atempts`; did you mean `max_attempts`?"),
        "{text}"
    );
    assert!(
        text.contains("`url` has no value; give it in the attribute, a config file, or `SHOP_ORDERS_URL`"),
        "{text}"
    );
}

#[test]
fn contradictory_values_from_sources_read_like_the_compile_error() {
    let sources = Sources::new().env_map([orders_url(), ("SHOP_PAYMENTS_RETRY_INITIAL_INTERVAL", "20s")]);
    let err = Shop::load_config_from(sources).unwrap_err();
    let [issue] = err.issues() else { panic!("{err}") };
    assert_eq!(issue.path(), "payments.retry");
    assert_eq!(
        issue.message(),
        "`initial_interval` (20s) must not be above `max_interval` (10s)"
    );
    assert_eq!(
        issue.source(),
        &ValueSource::Env("SHOP_PAYMENTS_RETRY_INITIAL_INTERVAL".into())
    );
}

#[test]
fn optional_connection_is_none_when_unconfigured_and_an_error_when_half_configured() {
    let config = Shop::load_config_from(Sources::new().env_map([orders_url()])).unwrap();
    assert!(config.audit.is_none());

    let half = Sources::new().env_map([orders_url(), ("SHOP_AUDIT_RETRY_MAX_ATTEMPTS", "2")]);
    let err = Shop::load_config_from(half).unwrap_err();
    let [issue] = err.issues() else { panic!("{err}") };
    assert_eq!(issue.path(), "audit.url");

    let full = Sources::new().env_map([orders_url(), ("SHOP_AUDIT_URL", "http://127.0.0.1:9")]);
    assert!(Shop::load_config_from(full).unwrap().audit.is_some());
}

#[test]
fn maps_take_a_json_object_and_secrets_a_file_indirection() {
    let sandbox = Sandbox::new();
    let token = sandbox.file("token", "t0k3n-from-file\n");
    let sources = Sources::new().env_map([
        orders_url(),
        ("SHOP_PAYMENTS_HEADERS", r#"{"X-Tenant": "eu"}"#),
        ("SHOP_PAYMENTS_AUTH_BEARER", &format!("file:{}", token.display())),
    ]);
    let config = Shop::load_config_from(sources).unwrap();
    assert_eq!(config.payments.headers.0["X-Tenant"], "eu");
    assert_eq!(config.payments.auth.bearer, Some(Secret::new("t0k3n-from-file")));

    let bad = Sources::new().env_map([orders_url(), ("SHOP_PAYMENTS_HEADERS", "X-Tenant=eu")]);
    let err = Shop::load_config_from(bad).unwrap_err();
    assert_eq!(err.issues()[0].path(), "payments.headers");
}

#[test]
fn config_file_named_by_env_must_exist_and_is_read() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path("nope.toml");
    let err = Shop::load_config_from(
        Sources::new().env_map([orders_url(), ("SHOP_CONFIG_FILE", missing.to_str().unwrap())]),
    )
    .unwrap_err();
    assert_eq!(err.issues()[0].source(), &ValueSource::File(missing));
    assert_eq!(err.issues()[0].message(), "file not found");

    let file = sandbox.file("prod.toml", "[orders]\nurl = \"sqlite::memory:\"\n");
    let config =
        Shop::load_config_from(Sources::new().env_map([("SHOP_CONFIG_FILE", file.to_str().unwrap())]))
            .unwrap();
    assert_eq!(config.orders.url.to_string(), "sqlite::memory:");
}

#[test]
fn broken_files_are_issues_not_panics() {
    let sandbox = Sandbox::new();
    for (name, text) in [
        ("a.toml", "[payments\nurl ="),
        ("b.yaml", "payments: [\n"),
        ("c.json", "{"),
        ("d.ini", "x=1"),
    ] {
        let file = sandbox.file(name, text);
        let err = Shop::load_config_from(Sources::new().file(&file).env_map([orders_url()])).unwrap_err();
        assert_eq!(
            err.issues()[0].source(),
            &ValueSource::File(file.clone()),
            "{err}"
        );
    }
}

#[test]
fn secrets_never_show_in_debug_errors_or_schema() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "s.toml",
        "[payments]\nurl = \"https://svc:hunter2pw@api.pay.example/v1\"\n[payments.auth]\nbearer = \"sk_live_bearer\"\n",
    );
    let sources = Sources::new().file(&file).env_map([orders_url()]);
    let config = Shop::load_config_from(sources).unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("hunter2pw") && !debug.contains("sk_live_bearer"),
        "{debug}"
    );

    // The same secrets next to a bad value: the error names neither.
    let bad = Sources::new()
        .file(&file)
        .env_map([orders_url(), ("SHOP_PAYMENTS_URL", "ftp://u:hunter2pw@x")]);
    let err = Shop::load_config_from(bad).unwrap_err().to_string();
    assert!(
        !err.contains("hunter2pw") && err.contains("URL scheme `ftp`"),
        "{err}"
    );
    let schema = Shop::json_schema().to_string();
    assert!(!schema.contains("hunter2pw") && !schema.contains("sk_live_bearer"));
    let settings = format!(
        "{:?}",
        connfx::config::explain::<Shop>(Sources::new().file(&file).env_map([orders_url()]))
    );
    assert!(
        !settings.contains("hunter2pw") && !settings.contains("sk_live_bearer"),
        "{settings}"
    );
}

#[test]
fn a_serialized_config_loads_back_unchanged() {
    let sandbox = Sandbox::new();
    let sources = Sources::new().env_map([orders_url(), ("SHOP_AUDIT_URL", "http://127.0.0.1:9/a")]);
    let config = Shop::load_config_from(sources).unwrap();
    let saved = serde_json::to_string_pretty(&config).unwrap();
    let file = sandbox.file("saved.json", &saved);
    let again = Shop::load_config_from(Sources::new().file(&file)).unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&config).unwrap()
    );
}

#[test]
fn schema_validates_loaded_config_and_rejects_typos_and_out_of_range_values() {
    let schema = Shop::json_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(
        schema["properties"]["payments"]["description"],
        "Payment provider API."
    );
    assert_eq!(
        schema["properties"]["payments"]["properties"]["url"]["default"],
        "https://api.pay.example/v1"
    );
    let validator = jsonschema::validator_for(&schema).unwrap();

    let config = Shop::load_config_from(Sources::new().env_map([orders_url()])).unwrap();
    let loaded = serde_json::to_value(&config).unwrap();
    assert!(
        validator.is_valid(&loaded),
        "{:?}",
        validator
            .iter_errors(&loaded)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );

    let typo = serde_json::json!({ "payments": { "retry": { "max_atempts": 3 } } });
    assert!(!validator.is_valid(&typo));
    let out_of_range = serde_json::json!({ "payments": { "retry": { "jitter": 1.5 } } });
    assert!(!validator.is_valid(&out_of_range));
    let bad_duration = serde_json::json!({ "payments": { "timeout": { "total": "10 parsecs" } } });
    assert!(!validator.is_valid(&bad_duration));
}

#[test]
fn env_vars_lists_every_variable_with_kind_default_and_secret_flag() {
    let vars = Shop::env_vars();
    let var = |name: &str| {
        vars.iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let attempts = var("SHOP_PAYMENTS_RETRY_MAX_ATTEMPTS");
    assert_eq!(
        (attempts.path.as_str(), attempts.default.as_deref()),
        ("payments.retry.max_attempts", Some("3"))
    );
    assert_eq!(attempts.kind, connfx::config::Kind::Integer);
    assert!(var("SHOP_PAYMENTS_AUTH_BEARER").secret);
    assert_eq!(
        var("SHOP_PAYMENTS_CIRCUIT_BREAKER_RESET_TIMEOUT")
            .default
            .as_deref(),
        Some("30s")
    );
    assert!(vars.iter().any(|v| v.name == "SHOP_AUDIT_URL"));
    assert!(!var("SHOP_PAYMENTS_URL").description.is_empty());
}

#[test]
fn load_config_reads_the_process_environment() {
    // A prefix no test sets: the process environment has nothing for it, so `orders.url` is missing.
    let err = Shop::load_config().unwrap_err();
    assert!(err.issues().iter().any(|i| i.path() == "orders.url"), "{err}");
}
