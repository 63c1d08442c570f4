//! `OtlpConfig` through the loader: bounds and words checked at boot, header values never shown.

use connfx::config::Kind;
use connfx::prelude::*;
use connfx::{OtlpConfig, Sources};

use super::{API_KEY, Conns};

fn load(env: &[(&str, &str)]) -> Result<connfx::protocol::otlp::OtlpConfig, ConfigError> {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let config = Conns::load_config_from(Sources::new().env_map(env))?;
    Ok(config.otel.expect("configured"))
}

/// A real PEM file: TLS files are read at load.
const CA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http/fixtures/ca-bundle.pem");

#[test]
fn env_sets_every_key_and_keeps_attribute_defaults() {
    let config = load(&[
        ("OBS_OTEL_URL", "https://collector.example:4317"),
        ("OBS_OTEL_TRANSPORT", "grpc"),
        ("OBS_OTEL_SAMPLE_RATIO", "0.25"),
        ("OBS_OTEL_BATCH_SIZE", "100"),
        ("OBS_OTEL_LOGS", "false"),
        ("OBS_OTEL_RESOURCE", r#"{"team": "search"}"#),
        ("OBS_OTEL_TLS_CA_FILE", CA_FILE),
    ])
    .unwrap();
    assert_eq!(config.transport, connfx::protocol::otlp::OtlpTransport::Grpc);
    assert_eq!(config.sample_ratio, 0.25);
    assert_eq!(config.batch_size, 100);
    assert!(!config.logs && config.traces && config.metrics);
    assert_eq!(config.service_name.as_deref(), Some("derived"));
    // A map from the environment replaces the attribute's whole.
    assert_eq!(config.resource.len(), 1);
    assert_eq!(config.resource["team"], "search");
    assert_eq!(config.tls.ca_file.as_deref(), Some(CA_FILE));
}

#[test]
fn bad_values_are_reported_together_in_the_derive_s_words() {
    let err = load(&[
        ("OBS_OTEL_URL", "ftp://collector.example"),
        ("OBS_OTEL_TRANSPORT", "grcp"),
        ("OBS_OTEL_SAMPLE_RATIO", "1.5"),
        ("OBS_OTEL_BATCH_SIZE", "0"),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.issues().len(), 4, "{text}");
    assert!(text.contains("did you mean `grpc`?"), "{text}");
    assert!(
        text.contains("`sample_ratio` must be between 0 and 1, found 1.5"),
        "{text}"
    );
    assert!(
        text.contains("`batch_size` must be between 1 and 1000000, found 0"),
        "{text}"
    );
    assert!(text.contains("expected `http` or `https`"), "{text}");
}

#[test]
fn header_values_never_show() {
    let headers = serde_json::json!({ "x-honeycomb-team": API_KEY }).to_string();
    let config = load(&[
        ("OBS_OTEL_URL", "http://127.0.0.1:4318"),
        ("OBS_OTEL_HEADERS", &headers),
    ])
    .unwrap();
    assert_eq!(config.headers.get("x-honeycomb-team"), Some(API_KEY));
    assert!(!format!("{config:?}").contains(API_KEY));

    let schema = Conns::json_schema().to_string();
    assert!(!schema.contains(API_KEY));
    let var = Conns::env_vars()
        .into_iter()
        .find(|v| v.name == "OBS_OTEL_HEADERS")
        .expect("headers variable");
    assert_eq!(var.kind, Kind::Map);
    assert!(var.secret, "{var:?}");
    let otel_schema = Conns::json_schema()["properties"]["otel"].to_string();
    assert!(otel_schema.contains(r#""writeOnly":true"#), "{otel_schema}");
}

#[test]
fn a_header_value_that_cannot_be_sent_is_named_without_its_value() {
    let bad: OtlpConfig = serde_json::from_value(serde_json::json!({
        "url": "http://127.0.0.1:4318",
        "headers": { "x-api-key": "line\nbreak-s3cr3t" },
    }))
    .unwrap();
    let err = validator::Validate::validate(&bad).unwrap_err().to_string();
    assert!(err.contains("the value of `x-api-key`"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn credentials_in_the_url_are_refused() {
    let err = load(&[("OBS_OTEL_URL", "http://user:pa55@127.0.0.1:4318")]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("put them in `headers`"), "{text}");
    assert!(!text.contains("pa55"), "{text}");
}

/// A header given in the attribute: a default, and still a secret.
#[derive(Connections)]
#[connections(env_prefix = "KEYED")]
pub struct Keyed {
    /// Collector with an API key in the source (a test's shortcut, not a habit to copy).
    #[connection(protocol = "otlp", url = "http://127.0.0.1:4318", headers("x-api-key" = "attr-s3cr3t"))]
    otel: OtlpConnection,
}

#[test]
fn an_attribute_header_is_hidden_in_env_vars_explain_and_schema() {
    let var = Keyed::env_vars()
        .into_iter()
        .find(|v| v.name == "KEYED_OTEL_HEADERS")
        .expect("headers variable");
    assert_eq!(var.default.as_deref(), Some(r#"{"x-api-key":"[redacted]"}"#));
    assert!(!Keyed::json_schema().to_string().contains("attr-s3cr3t"));
    let explained = connfx::config::explain::<Keyed>(Sources::new()).unwrap();
    let headers = explained
        .iter()
        .find(|s| s.path == "otel.headers")
        .expect("explained");
    assert!(!headers.value.contains("attr-s3cr3t"), "{}", headers.value);
    let config = Keyed::load_config_from(Sources::new()).unwrap();
    assert_eq!(config.otel.headers.get("x-api-key"), Some("attr-s3cr3t"));
    assert!(!format!("{config:?}").contains("attr-s3cr3t"));
}

/// Regression (loader fuzz target, session 5): `headers` given a plain string in a file, where
/// a map belongs, echoed the string, which is where a careless deployment puts the API key.
#[test]
fn a_string_given_to_headers_in_a_file_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("otel.yml");
    std::fs::write(&file, format!("otel:\n  headers: {API_KEY}\n")).unwrap();
    let err = Conns::load_config_from(Sources::new().file(&file)).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(API_KEY), "{text}");
    let issue = err.issues().iter().find(|i| i.path() == "otel.headers");
    let issue = issue.unwrap_or_else(|| panic!("headers reported: {text}"));
    assert!(issue.message().contains("found a string"), "{issue}");
}
