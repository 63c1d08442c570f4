//! OTLP http/protobuf to a collector behind TLS (the receiver on a tokio-rustls listener), with
//! a CA and certificates made by the `openssl` command (skipped without it): the `tls` keys
//! reach the exporter's own client, not only the health probe.

use connfx::opentelemetry::trace::Tracer as _;
use connfx::{Connection, HealthState};
use serde_json::json;

use super::otlp_receiver::Receiver;
use super::{config, connect};
use crate::certificates::certificates;
use crate::tls_server::TlsListener;

/// A config for the receiver at `url` with `tls` merged in.
fn with_tls(url: &str, tls: serde_json::Value) -> connfx::OtlpConfig {
    let mut value = serde_json::to_value(config(url, "http", "secure")).unwrap();
    value["tls"] = tls;
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn spans_reach_a_collector_behind_tls_with_a_private_ca_and_a_client_certificate() {
    let test = "spans_reach_a_collector_behind_tls_with_a_private_ca_and_a_client_certificate";
    let dir = tempfile::tempdir().unwrap();
    if let Err(why) = certificates(dir.path()) {
        return crate::services::skipped(test, &why);
    }
    let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let listener = TlsListener::bind(dir.path(), true).await;
    let receiver = Receiver::http_on(listener, "https").unwrap();
    assert!(receiver.url().starts_with("https://127.0.0.1:"));

    let tls =
        json!({ "ca_file": file("ca.crt"), "cert_file": file("client.crt"), "key_file": file("client.key") });
    let otel = connect("otel", with_tls(&receiver.url(), tls)).await;
    assert_eq!(otel.health().await.state, HealthState::Ready);
    otel.tracer("test").in_span("over-tls", |_| {});
    otel.close().await;
    assert!(receiver.received().span_names().contains(&"over-tls".to_owned()));

    // Without the client certificate the collector ends every handshake: health says so, and
    // nothing more arrives.
    let anonymous = connect(
        "anonymous",
        with_tls(&receiver.url(), json!({ "ca_file": file("ca.crt") })),
    )
    .await;
    let health = anonymous.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    anonymous.tracer("test").in_span("never-arrives", |_| {});
    anonymous.close().await;
    assert!(
        !receiver
            .received()
            .span_names()
            .contains(&"never-arrives".to_owned())
    );
    receiver.stop().await;
}
