//! What the attribute accepts, files and the environment accept: `timeout = "1s"` stands for
//! `timeout.total` everywhere (TOML, YAML, JSON, `<PREFIX>_<CONNECTION>_TIMEOUT`, a registry
//! target's properties), a message speaks the syntax of the source it is about, and `explain`
//! tells a value of the attribute from a type's default.

use std::time::Duration;

use connfx::ValueSource;
use connfx::prelude::*;
use connfx::registry::RegistryConfig;

use crate::sandbox::Sandbox;

/// A checkout service: the attribute sets the payments timeout with the shorthand.
#[derive(Connections)]
#[connections(env_prefix = "CHECKOUT")]
pub struct Checkout {
    #[connection(protocol = "http", url = "http://127.0.0.1:9", timeout = "10s")]
    payments: HttpConnection,
    #[connection(protocol = "sql", url = "sqlite::memory:")]
    ledger: SqlConnection,
}

#[test]
fn the_shorthand_from_the_environment_sets_the_total() {
    let sources = Sources::new().env_map([
        ("CHECKOUT_PAYMENTS_TIMEOUT", "1s"),
        ("CHECKOUT_LEDGER_TIMEOUT", "2s"),
    ]);
    let config = Checkout::load_config_from(sources).unwrap();
    assert_eq!(config.payments.timeout.total, Duration::from_secs(1));
    assert_eq!(config.ledger.timeout.total, Duration::from_secs(2));
}

#[test]
fn the_shorthand_from_each_file_format_sets_the_total() {
    let sandbox = Sandbox::new();
    for (name, text) in [
        ("a.toml", "[payments]\ntimeout = \"1s\"\n"),
        ("a.yaml", "payments:\n  timeout: 1s\n"),
        ("a.json", r#"{"payments": {"timeout": "1s"}}"#),
    ] {
        let file = sandbox.file(name, text);
        let config = Checkout::load_config_from(Sources::new().file(&file)).unwrap();
        assert_eq!(config.payments.timeout.total, Duration::from_secs(1), "{name}");
    }
}

#[test]
fn the_shorthand_and_the_key_it_stands_for_cannot_both_be_set() {
    let sources = Sources::new().env_map([
        ("CHECKOUT_PAYMENTS_TIMEOUT_TOTAL", "2s"),
        ("CHECKOUT_PAYMENTS_TIMEOUT", "1s"),
    ]);
    let err = Checkout::load_config_from(sources).unwrap_err();
    let [issue] = err.issues() else {
        panic!("one issue expected: {err}")
    };
    assert_eq!(issue.path(), "payments.timeout.total");
    assert_eq!(
        issue.message(),
        "`CHECKOUT_PAYMENTS_TIMEOUT` and `CHECKOUT_PAYMENTS_TIMEOUT_TOTAL` both set \
         `payments.timeout.total`; set one of them"
    );
}

#[test]
fn a_bad_shorthand_is_named_as_written() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("bad.toml", "[payments]\ntimeout = \"soon\"\n");
    let err = Checkout::load_config_from(Sources::new().file(&file)).unwrap_err();
    let [issue] = err.issues() else {
        panic!("one issue expected: {err}")
    };
    assert_eq!(issue.path(), "payments.timeout");
    assert_eq!(issue.source(), &ValueSource::File(file));
    assert!(issue.message().starts_with("expected a duration"), "{issue}");
}

/// A single value where a group of keys belongs: each file format is answered in its own syntax,
/// never with the attribute's `retry(...)`.
#[test]
fn a_group_given_one_value_is_answered_in_the_files_syntax() {
    let sandbox = Sandbox::new();
    for (name, text, expected) in [
        (
            "a.toml",
            "[payments]\nretry = 3\n",
            "`retry` is a table of keys, not a single value; write `retry = { max_attempts = ... }` or a `[...retry]` table",
        ),
        (
            "a.yaml",
            "payments:\n  retry: 3\n",
            "`retry` is a mapping of keys, not a single value; write `retry:` with `max_attempts: ...` indented below it",
        ),
        (
            "a.json",
            r#"{"payments": {"retry": 3}}"#,
            r#"`retry` is an object of keys, not a single value; write `"retry": { "max_attempts": ... }`"#,
        ),
    ] {
        let file = sandbox.file(name, text);
        let err = Checkout::load_config_from(Sources::new().file(&file)).unwrap_err();
        let [issue] = err.issues() else {
            panic!("one issue expected: {err}")
        };
        assert_eq!(
            (issue.path(), issue.message()),
            ("payments.retry", expected),
            "{name}"
        );
    }
}

#[test]
fn the_schema_takes_the_shorthand_as_the_loader_does() {
    let schema = Checkout::json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (file, valid) in [
        (serde_json::json!({"payments": {"timeout": "1s"}}), true),
        (
            serde_json::json!({"payments": {"timeout": {"total": "1s"}}}),
            true,
        ),
        (serde_json::json!({"payments": {"timeout": 3}}), false),
        (serde_json::json!({"payments": {"retry": 3}}), false),
    ] {
        assert_eq!(validator.is_valid(&file), valid, "{file}");
    }
}

#[tokio::test]
async fn a_registry_target_takes_the_shorthand_in_its_properties() {
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "targets.toml",
        "[targets.api]\nprotocol = \"http\"\nurl = \"http://127.0.0.1:9\"\n[targets.api.properties]\ntimeout = \"3s\"\n",
    );
    let env = [
        ("CONN_TARGETS_DB_PROTOCOL", "sql"),
        ("CONN_TARGETS_DB_DSN", "sqlite::memory:"),
        ("CONN_TARGETS_DB_PROPERTIES_TIMEOUT", "4s"),
    ];
    let config = RegistryConfig::load(Sources::new().file(&file).env_map(env)).unwrap();
    let registry = config.connect().await.unwrap();
    let api: HttpConnection = registry.get("api").unwrap();
    let db: SqlConnection = registry.get("db").unwrap();
    assert_eq!(api.config().timeout.total, Duration::from_secs(3));
    assert_eq!(db.config().timeout.total, Duration::from_secs(4));
    registry.close().await;
}

#[test]
fn explain_tells_the_attribute_from_a_types_default() {
    let settings = connfx::config::explain::<Checkout>(Sources::new()).unwrap();
    let source_of = |path: &str| settings.iter().find(|s| s.path == path).map(|s| s.source.clone());
    let attribute = Some(ValueSource::Attribute("Checkout".into()));
    assert_eq!(source_of("payments.timeout.total"), attribute);
    assert_eq!(source_of("payments.url"), attribute);
    assert_eq!(source_of("ledger.timeout.total"), Some(ValueSource::Default));
    assert_eq!(
        ValueSource::Attribute("Checkout".into()).to_string(),
        "attribute Checkout"
    );
}
