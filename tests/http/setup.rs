//! Connecting: URL checks, header and auth mistakes, TLS files, and redaction in `Debug`.

use connfx::{ConnectError, Connection, HttpConnection};
use serde_json::{Value, json};

use crate::config;

fn fixture(name: &str) -> String {
    format!("{}/tests/http/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The message of the connect error `value` gives.
async fn connect_error(value: Value) -> String {
    let err: ConnectError = HttpConnection::connect("api", config(value))
        .await
        .expect_err("fails to connect");
    assert_eq!(err.failures()[0].connection, "api");
    err.failures()[0].message.clone()
}

#[tokio::test]
async fn the_protocol_is_http_with_http_and_https_urls() {
    assert_eq!(HttpConnection::PROTOCOL, "http");
    assert_eq!(HttpConnection::URL_SCHEMES, ["http", "https"]);
    let api = HttpConnection::connect("api", config(json!({ "url": "https://example.invalid/v1" }))).await;
    let api = api.expect("connects without network I/O");
    assert_eq!(
        (api.name(), api.base_url().to_string().as_str()),
        ("api", "https://example.invalid/v1")
    );
}

#[tokio::test]
async fn a_url_of_another_scheme_is_refused() {
    let message = connect_error(json!({ "url": "ftp://files.example/x" })).await;
    assert_eq!(
        message,
        "URL scheme `ftp` does not fit protocol `http`; expected `http` or `https`"
    );
}

#[tokio::test]
async fn an_invalid_default_header_names_the_header_but_not_its_value() {
    let message = connect_error(json!({ "url": "http://h", "headers": { "X-Secret": "line\nbreak" } })).await;
    assert!(
        message.contains("X-Secret") && !message.contains("line"),
        "{message}"
    );
    let message = connect_error(json!({ "url": "http://h", "headers": { "bad name": "v" } })).await;
    assert!(message.contains("`\"bad name\"`"), "{message}");
}

#[tokio::test]
async fn two_credentials_are_refused_without_showing_them() {
    let message =
        connect_error(json!({ "url": "http://h", "auth": { "bearer": "t0ken", "api_key": "k3y" } })).await;
    assert!(
        message.contains("at most one") && !message.contains("t0ken") && !message.contains("k3y"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_ca_file_is_named() {
    let message =
        connect_error(json!({ "url": "https://h", "tls": { "ca_file": "/nonexistent/ca.pem" } })).await;
    assert!(
        message.starts_with("`tls.ca_file` /nonexistent/ca.pem: cannot read it"),
        "{message}"
    );
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_named() {
    let message =
        connect_error(json!({ "url": "https://h", "tls": { "ca_file": fixture("README.md") } })).await;
    assert!(
        message.contains("README.md") && message.contains("no PEM certificate"),
        "{message}"
    );
}

#[tokio::test]
async fn a_ca_bundle_and_a_client_certificate_are_accepted() {
    let tls = json!({
        "ca_file": fixture("ca-bundle.pem"),
        "cert_file": fixture("client-cert.pem"),
        "key_file": fixture("client-key.pem"),
    });
    HttpConnection::connect("api", config(json!({ "url": "https://h", "tls": tls })))
        .await
        .expect("connects");
}

#[tokio::test]
async fn a_client_certificate_needs_its_key() {
    let message =
        connect_error(json!({ "url": "https://h", "tls": { "cert_file": fixture("client-cert.pem") } }))
            .await;
    assert!(message.contains("`tls.key_file`"), "{message}");
    let swapped = json!({ "cert_file": fixture("README.md"), "key_file": fixture("client-key.pem") });
    let message = connect_error(json!({ "url": "https://h", "tls": swapped })).await;
    assert!(
        message.contains("README.md")
            && message.contains("`tls.cert_file`")
            && message.contains("PEM certificates"),
        "{message}"
    );
}

#[tokio::test]
async fn invalid_certificates_can_be_accepted_for_tests() {
    let value = json!({ "url": "https://h", "tls": { "accept_invalid_certs": true } });
    HttpConnection::connect("api", config(value))
        .await
        .expect("connects");
}

#[tokio::test]
async fn debug_shows_no_secret() {
    let value = json!({
        "url": "https://app:hunter2@api.example/v1",
        "auth": { "bearer": "t0ken" },
        "headers": { "X-Api-Key": "k3y", "X-Client": "checkout" },
    });
    let api = HttpConnection::connect("api", config(value.clone()))
        .await
        .expect("connects");
    let shown = [
        format!("{api:?}"),
        format!("{:?}", api.config()),
        format!("{:?}", config(value)),
    ];
    for text in &shown {
        for secret in ["hunter2", "t0ken", "k3y"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert_eq!(
        shown[0],
        r#"HttpConnection { name: "api", url: ConnUrl("https://app:[redacted]@api.example/v1"), .. }"#
    );
    let request = api.get("/x").header("authorization", "Bearer other");
    assert!(!format!("{request:?}").contains("other"));
}
