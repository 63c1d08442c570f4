//! `https://` against a TLS server of the test's own on 127.0.0.1 (axum behind tokio-rustls),
//! with a CA and certificates made by the `openssl` command (skipped without it): the `tls`
//! keys do what they say in a real handshake, not only at load.

use axum::serve::Listener;
use connfx::{CallError, HttpConnection};
use serde_json::{Value, json};

use crate::certificates::certificates;
use crate::tls_server::TlsListener;

/// An HTTPS server answering `ok` (see [`TlsListener::bind`]). Its base URL and the directory
/// holding `ca.crt`, `client.crt` and `client.key`; `None` without `openssl`.
async fn https_server(test: &str, mutual: bool) -> Option<(String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Err(why) = certificates(dir.path()) {
        crate::services::skipped(test, &why);
        return None;
    }
    let listener = TlsListener::bind(dir.path(), mutual).await;
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Some((url, dir))
}

async fn connect(url: &str, tls: Value) -> HttpConnection {
    // No retry: a failed handshake is not a passing fault here.
    let config =
        json!({ "url": url, "timeout": { "total": "5s" }, "retry": { "max_attempts": 1 }, "tls": tls });
    super::connect(config).await
}

fn file(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_string_lossy().into_owned()
}

async fn get(api: &HttpConnection) -> Result<String, CallError> {
    let response = api.get("/").send().await?;
    response.text().await
}

/// The failure behind a retry policy's report (with one attempt allowed, it wraps every error).
fn last(err: CallError) -> CallError {
    match err {
        CallError::RetriesExhausted { last, .. } => *last,
        other => other,
    }
}

#[tokio::test]
async fn a_server_signed_by_the_ca_in_ca_file_is_trusted() {
    let test = "a_server_signed_by_the_ca_in_ca_file_is_trusted";
    let Some((url, dir)) = https_server(test, false).await else {
        return;
    };
    let trusted = connect(&url, json!({ "ca_file": file(&dir, "ca.crt") })).await;
    assert_eq!(get(&trusted).await.expect("trusted over TLS"), "ok");

    // The system's roots do not know the test CA: the handshake fails, and says why.
    let untrusted = connect(&url, json!({})).await;
    let err = last(get(&untrusted).await.expect_err("an unknown CA"));
    let text = format!("{err}");
    assert!(matches!(err, CallError::Transport { .. }), "{err:?}");
    assert!(text.to_lowercase().contains("certificate"), "{text}");

    // `accept_invalid_certs` accepts it anyway (for tests only, as its docs say).
    let careless = connect(&url, json!({ "accept_invalid_certs": true })).await;
    assert_eq!(get(&careless).await.expect("any certificate accepted"), "ok");
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_the_server_requires_one() {
    let test = "a_client_certificate_is_presented_when_the_server_requires_one";
    let Some((url, dir)) = https_server(test, true).await else {
        return;
    };
    let ca = file(&dir, "ca.crt");
    let with_cert = json!({
        "ca_file": ca,
        "cert_file": file(&dir, "client.crt"),
        "key_file": file(&dir, "client.key"),
    });
    let api = connect(&url, with_cert).await;
    assert_eq!(get(&api).await.expect("mutual TLS"), "ok");

    // Without one, the server ends the handshake: the call fails and never reaches the app.
    let anonymous = connect(&url, json!({ "ca_file": ca })).await;
    let err = last(get(&anonymous).await.expect_err("no client certificate"));
    assert!(matches!(err, CallError::Transport { .. }), "{err:?}");
}
