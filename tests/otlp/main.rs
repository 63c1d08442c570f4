//! The OTLP connection against a real receiver on 127.0.0.1 (the official protobuf, decoded by
//! `opentelemetry-proto`), over both transports: one connection delivers spans, metric points
//! and log records with one resource; headers arrive; `close` flushes; connections coexist;
//! health; the derive and the dynamic registry.

#[path = "../support/certificates.rs"]
mod certificates;
#[path = "../../examples/support/otlp_receiver.rs"]
mod otlp_receiver;
#[path = "../support/ports.rs"]
mod ports;
#[path = "../support/services.rs"]
mod services;
#[path = "../support/tls_server.rs"]
mod tls_server;

mod config;
#[cfg(feature = "prometheus")]
mod prometheus;
mod secrets;
mod semconv;
mod shutdown;
mod telemetry;
mod tls;

use std::time::{Duration, Instant};

use connfx::opentelemetry::KeyValue;
use connfx::opentelemetry::trace::{Tracer as _, TracerProvider as _};
use connfx::prelude::*;
use connfx::protocol::otlp::resource::DEPLOYMENT_ENVIRONMENT;
use connfx::{HealthState, OtlpConfig};
use otlp_receiver::{Received, Receiver};
use tracing_subscriber::layer::SubscriberExt;

/// How long a test waits for anything that should be quick.
const LIMIT: Duration = Duration::from_secs(5);

/// The API key sent as a header in these tests; it must never show anywhere but the wire.
const API_KEY: &str = "k3y-s3cr3t-0tlp";

async fn receiver(transport: &str) -> Receiver {
    match transport {
        "grpc" => Receiver::grpc().await.unwrap(),
        _ => Receiver::http().await.unwrap(),
    }
}

/// A config for `url` over `transport`, with short timeouts and every resource key set. Batches
/// and metric exports wait an hour: what arrives before `close` came from `close`.
fn config(url: &str, transport: &str, service: &str) -> OtlpConfig {
    serde_json::from_value(serde_json::json!({
        "url": url,
        "transport": transport,
        "service_name": service,
        "service_version": "1.2.3",
        "environment": "test",
        "resource": { "team": "payments", "region": "eu-west" },
        "headers": { "x-api-key": API_KEY, "x-tenant": "acme" },
        "timeout": { "total": "2s" },
        "health": { "timeout": "2s" },
        "batch_timeout": "1h",
        "export_interval": "1h",
    }))
    .unwrap()
}

async fn connect(name: &str, config: OtlpConfig) -> OtlpConnection {
    OtlpConnection::connect(name, config).await.unwrap()
}

/// Records one span (with a log event inside) and one metric point through `tracing`, and one
/// counter point through the meter.
fn record_through_tracing(otel: &OtlpConnection, prefix: &str) {
    let subscriber = tracing_subscriber::registry().with(otel.tracing_layer());
    tracing::subscriber::with_default(subscriber, || {
        tracing::info_span!("checkout", order = 7).in_scope(|| {
            tracing::info!(items = 2, "{prefix} order placed");
            tracing::info!(
                monotonic_counter.orders_via_tracing = 1_u64,
                "{prefix} order counted"
            );
        });
    });
    otel.meter("test")
        .u64_counter(format!("{prefix}_orders"))
        .build()
        .add(3, &[KeyValue::new("region", "eu")]);
}

fn assert_resource(got: &Received, service: &str) {
    let resources = got.resources();
    for signal in ["traces", "metrics", "logs"] {
        assert!(
            resources.iter().any(|(s, _)| *s == signal),
            "no {signal} arrived: {resources:?}"
        );
    }
    for (signal, attributes) in resources {
        let attribute = |key: &str| attributes.get(key).map(String::as_str);
        assert_eq!(
            attribute("service.name"),
            Some(service),
            "{signal}: {attributes:?}"
        );
        assert_eq!(attribute("service.version"), Some("1.2.3"), "{signal}");
        assert_eq!(attribute(DEPLOYMENT_ENVIRONMENT), Some("test"), "{signal}");
        assert_eq!(attribute("team"), Some("payments"), "{signal}");
        assert_eq!(attribute("region"), Some("eu-west"), "{signal}");
        assert_eq!(attribute("telemetry.sdk.language"), Some("rust"), "{signal}");
    }
}

async fn all_signals_arrive_with_one_resource(transport: &str) {
    let receiver = receiver(transport).await;
    let otel = connect("otel", config(&receiver.url(), transport, "checkout")).await;
    record_through_tracing(&otel, "first");
    otel.close().await;

    // No waiting: close returns once every signal is exported.
    let got = receiver.received();
    assert_eq!(got.span_names(), ["checkout"]);
    assert_eq!(got.log_bodies(), ["first order placed", "first order counted"]);
    assert_eq!(got.last_sum("first_orders"), Some(3.0));
    assert_eq!(got.last_sum("orders_via_tracing"), Some(1.0));
    assert_resource(&got, "checkout");
    receiver.stop().await;
}

#[tokio::test]
async fn http_one_connection_delivers_spans_metrics_and_logs_with_one_resource() {
    all_signals_arrive_with_one_resource("http").await;
}

#[tokio::test]
async fn grpc_one_connection_delivers_spans_metrics_and_logs_with_one_resource() {
    all_signals_arrive_with_one_resource("grpc").await;
}

async fn configured_headers_arrive(transport: &str) {
    let receiver = receiver(transport).await;
    let otel = connect("otel", config(&receiver.url(), transport, "checkout")).await;
    otel.tracer("test").in_span("with-headers", |_| {});
    otel.close().await;
    let got = receiver.received();
    assert!(!got.traces.is_empty(), "nothing arrived");
    for headers in &got.headers {
        assert_eq!(
            headers.get("x-api-key").map(String::as_str),
            Some(API_KEY),
            "{headers:?}"
        );
        assert_eq!(headers.get("x-tenant").map(String::as_str), Some("acme"));
    }
    receiver.stop().await;
}

#[tokio::test]
async fn http_configured_headers_arrive() {
    configured_headers_arrive("http").await;
}

#[tokio::test]
async fn grpc_configured_headers_arrive_as_metadata() {
    configured_headers_arrive("grpc").await;
}

async fn close_flushes_and_nothing_is_exported_after(transport: &str) {
    let receiver = receiver(transport).await;
    let otel = connect("otel", config(&receiver.url(), transport, "checkout")).await;
    let tracer = otel.tracer("test");
    let meter = otel.meter("test");
    for i in 0..20 {
        tracer.in_span(format!("span-{i}"), |_| {});
    }
    meter.u64_counter("before_close").build().add(5, &[]);
    record_through_tracing(&otel, "before");

    otel.close().await;
    let got = receiver.received();
    assert_eq!(got.span_names().len(), 21, "{:?}", got.span_names());
    assert_eq!(got.last_sum("before_close"), Some(5.0));
    assert_eq!(got.log_bodies(), ["before order placed", "before order counted"]);
    assert!(otel.is_closed());

    // After close the tracers, meters and the layer are no-ops; a second close does nothing.
    tracer.in_span("after-close", |_| {});
    otel.tracer("late").in_span("after-close-too", |_| {});
    meter.u64_counter("after_close").build().add(1, &[]);
    record_through_tracing(&otel, "after");
    otel.close().await;
    otel.flush().await;
    let later = receiver
        .wait_until(Duration::from_millis(300), |r| r.traces.len() > got.traces.len())
        .await;
    assert_eq!(
        later.span_names().len(),
        21,
        "exported after close: {:?}",
        later.span_names()
    );
    assert!(!later.metric_names().iter().any(|n| n == "after_close"));
    assert_eq!(
        later.log_bodies(),
        ["before order placed", "before order counted"]
    );
    receiver.stop().await;
}

#[tokio::test]
async fn http_close_flushes_everything_recorded_before_it_and_nothing_after() {
    close_flushes_and_nothing_is_exported_after("http").await;
}

#[tokio::test]
async fn grpc_close_flushes_everything_recorded_before_it_and_nothing_after() {
    close_flushes_and_nothing_is_exported_after("grpc").await;
}

#[tokio::test]
async fn batches_go_out_on_their_own_before_close() {
    let receiver = receiver("http").await;
    let mut config = config(&receiver.url(), "http", "checkout");
    config.batch_timeout = Duration::from_millis(50);
    let otel = connect("otel", config).await;
    otel.tracer("test").in_span("scheduled", |_| {});
    let got = receiver
        .wait_until(LIMIT, |r| r.span_names().contains(&"scheduled".to_owned()))
        .await;
    assert_eq!(got.span_names(), ["scheduled"]);
    otel.close().await;
    receiver.stop().await;
}

#[tokio::test]
async fn two_connections_side_by_side_each_deliver_to_their_own_collector() {
    let prod = receiver("http").await;
    let business = receiver("grpc").await;
    let a = connect("prod", config(&prod.url(), "http", "shop-prod")).await;
    let b = connect("business", config(&business.url(), "grpc", "shop-business")).await;

    a.tracer("t").in_span("prod-span", |_| {});
    b.tracer("t").in_span("business-span", |_| {});
    a.meter("m").u64_counter("prod_requests").build().add(1, &[]);
    b.meter("m").u64_counter("revenue_cents").build().add(1999, &[]);
    record_through_tracing(&a, "prod");
    record_through_tracing(&b, "business");
    tokio::join!(a.close(), b.close());

    let (got_a, got_b) = (prod.received(), business.received());
    assert_eq!(got_a.span_names(), ["prod-span", "checkout"]);
    assert_eq!(got_b.span_names(), ["business-span", "checkout"]);
    assert_eq!(got_a.log_bodies(), ["prod order placed", "prod order counted"]);
    assert_eq!(
        got_b.log_bodies(),
        ["business order placed", "business order counted"]
    );
    assert_eq!(got_a.last_sum("prod_requests"), Some(1.0));
    assert_eq!(got_a.last_sum("revenue_cents"), None);
    assert_eq!(got_b.last_sum("revenue_cents"), Some(1999.0));
    assert_resource(&got_a, "shop-prod");
    assert_resource(&got_b, "shop-business");
    prod.stop().await;
    business.stop().await;
}

/// A URL on a port nothing listens on.
async fn closed_port() -> String {
    format!("http://127.0.0.1:{}", ports::closed_port())
}

async fn health_ready_then_error(transport: &str) {
    let receiver = receiver(transport).await;
    let otel = connect("otel", config(&receiver.url(), transport, "checkout")).await;
    let health = otel.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert!(!health.message.contains(API_KEY), "{}", health.message);

    let down = connect("down", config(&closed_port().await, transport, "checkout")).await;
    let health = down.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(!health.message.contains(API_KEY), "{}", health.message);
    assert!(
        health.message.to_lowercase().contains("connect"),
        "{}",
        health.message
    );

    otel.close().await;
    assert_eq!(otel.health().await.state, HealthState::Unknown);
    down.close().await;
    receiver.stop().await;
}

#[tokio::test]
async fn http_health_is_ready_against_the_receiver_and_error_against_a_closed_port() {
    health_ready_then_error("http").await;
}

#[tokio::test]
async fn grpc_health_is_ready_against_the_receiver_and_error_against_a_closed_port() {
    health_ready_then_error("grpc").await;
}

#[tokio::test]
async fn http_health_reports_a_collector_that_rejects_the_request_as_connected() {
    use axum::http::StatusCode;
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(|| async { StatusCode::UNAUTHORIZED }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let otel = connect("otel", config(&url, "http", "checkout")).await;
    let health = otel.health().await;
    assert_eq!(health.state, HealthState::Connected, "{health:?}");
    assert_eq!(health.message, "POST /v1/traces 401 Unauthorized");
    otel.close().await;
}

async fn collector_down(transport: &str) {
    let url = closed_port().await;
    let otel = connect("otel", config(&url, transport, "checkout")).await;
    record_through_tracing(&otel, "lost");
    let started = Instant::now();
    otel.close().await;
    // Bounded by the export timeout (2s here), not by the exporter's whole retry schedule.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "close took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn http_connect_and_close_work_with_the_collector_down() {
    collector_down("http").await;
}

#[tokio::test]
async fn grpc_connect_and_close_work_with_the_collector_down() {
    collector_down("grpc").await;
}

/// Connections of the derive test.
#[derive(Connections)]
#[connections(env_prefix = "OBS")]
pub struct Conns {
    /// Telemetry collector; absent unless configured.
    #[connection(protocol = "otlp", service_name = "derived", service_version = "1.2.3",
                 environment = "test", resource("team" = "payments", "region" = "eu-west"),
                 timeout = "2s", batch_timeout = "1h", export_interval = "1h", health(timeout = "2s"))]
    otel: Option<OtlpConnection>,
}

async fn through_the_derive(transport: &str) {
    let receiver = receiver(transport).await;
    let headers = serde_json::json!({ "x-api-key": API_KEY }).to_string();
    let env = [
        ("OBS_OTEL_URL", receiver.url()),
        ("OBS_OTEL_TRANSPORT", transport.to_owned()),
        ("OBS_OTEL_HEADERS", headers),
    ];
    let config = Conns::load_config_from(connfx::Sources::new().env_map(env)).unwrap();
    assert!(!format!("{config:?}").contains(API_KEY));
    let conns = config.connect().await.unwrap();
    let otel = conns.otel().expect("configured");
    assert_eq!(conns.health().await.worst(), HealthState::Ready);
    record_through_tracing(otel, "derived");
    conns.close().await;

    let got = receiver.received();
    assert_eq!(got.span_names(), ["checkout"]);
    assert_eq!(
        got.log_bodies(),
        ["derived order placed", "derived order counted"]
    );
    assert_resource(&got, "derived");
    assert!(
        got.headers
            .iter()
            .all(|h| h.get("x-api-key").map(String::as_str) == Some(API_KEY))
    );
    receiver.stop().await;
}

#[tokio::test]
async fn http_through_the_derive() {
    through_the_derive("http").await;
}

#[tokio::test]
async fn grpc_through_the_derive() {
    through_the_derive("grpc").await;
}

#[tokio::test]
async fn an_unconfigured_optional_otlp_connection_is_absent() {
    let conns = Conns::load_config_from(connfx::Sources::new())
        .unwrap()
        .connect()
        .await
        .unwrap();
    assert!(conns.otel().is_none());
}

async fn through_the_registry(transport: &str) {
    let receiver = receiver(transport).await;
    let env = [
        ("CONN_TARGETS_TELEMETRY_PROTOCOL", "otlp".to_owned()),
        ("CONN_TARGETS_TELEMETRY_URL", receiver.url()),
        ("CONN_TARGETS_TELEMETRY_TIMEOUT", "2s".to_owned()),
        (
            "CONN_TARGETS_TELEMETRY_PROPERTIES_TRANSPORT",
            transport.to_owned(),
        ),
        (
            "CONN_TARGETS_TELEMETRY_PROPERTIES_SERVICE_NAME",
            "registered".to_owned(),
        ),
        ("CONN_TARGETS_TELEMETRY_PROPERTIES_BATCH_TIMEOUT", "1h".to_owned()),
        (
            "CONN_TARGETS_TELEMETRY_PROPERTIES_HEALTH_TIMEOUT",
            "2s".to_owned(),
        ),
    ];
    let registry = connfx::registry::RegistryConfig::load(connfx::Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let otel: OtlpConnection = registry.get("telemetry").unwrap();
    assert_eq!(otel.config().timeout.total, Some(Duration::from_secs(2)));
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
    otel.tracer_provider()
        .tracer("t")
        .in_span("registered-span", |_| {});
    registry.close().await;

    let got = receiver.received();
    assert_eq!(got.span_names(), ["registered-span"]);
    assert_eq!(got.resource_attributes()["service.name"], "registered");
    receiver.stop().await;
}

#[tokio::test]
async fn http_through_the_registry_from_env() {
    through_the_registry("http").await;
}

#[tokio::test]
async fn grpc_through_the_registry_from_env() {
    through_the_registry("grpc").await;
}
