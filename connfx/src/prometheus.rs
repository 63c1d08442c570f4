//! Prometheus metrics for teams without a collector (feature `prometheus`): the instruments an
//! OTLP connection exports (`connfx.client.requests`, `connfx.client.request.duration`, the
//! breakers' state, the pools' gauges …), read by Prometheus from `/metrics` in its text
//! exposition format. Names follow OpenTelemetry's Prometheus mapping: dots become underscores,
//! a counter ends in `_total`, a unit in seconds in `_seconds` (`connfx_client_requests_total`,
//! `connfx_client_request_duration_seconds_bucket`).
//!
//! ```no_run
//! # async fn demo(registry: connfx::Registry) -> Result<(), Box<dyn std::error::Error>> {
//! let metrics = connfx::prometheus::PrometheusMetrics::new()?;
//! metrics.watch(&registry);
//! let app = connfx::probe::router(&registry).merge(metrics.router());
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8081").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! ## Decisions
//!
//! - **One meter per connection.** A connection exports through one meter: a struct with an
//!   `OtlpConnection` binds its connections to it at connect, and [`PrometheusMetrics::watch`]
//!   then leaves them there. Without an OTLP connection, `watch` binds them all here.
//! - **opentelemetry-prometheus**, the OpenTelemetry project's exporter, so the same instruments
//!   serve both ends and a call pays the same recording cost whichever reads it. Measured
//!   (`cargo bench --bench metrics`, BENCHMARKS.md "Session 14"): the `prometheus` crate written
//!   to directly would cost about 25–35 ns less per call (13 ns against connfx's 44 ns), well
//!   under 0.1 % of an HTTP call; not worth recording every call twice, once per exporter.

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry_sdk::metrics::SdkMeterProvider;

use crate::Registry;

/// The path Prometheus scrapes.
pub const METRICS_PATH: &str = "/metrics";

/// The text exposition format's content type.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The Prometheus exporter could not be built.
#[derive(Debug, thiserror::Error)]
#[error("the Prometheus exporter could not be built: {0}")]
pub struct PrometheusError(String);

/// Connections' metrics in Prometheus's registry; cheap to clone, clones share it.
///
/// ```
/// let metrics = connfx::prometheus::PrometheusMetrics::new().unwrap();
/// metrics.watch(&connfx::Registry::new());
/// assert!(metrics.render().is_empty(), "no connection, no metric");
/// ```
#[derive(Clone)]
pub struct PrometheusMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: prometheus::Registry,
    provider: SdkMeterProvider,
}

impl PrometheusMetrics {
    /// A Prometheus registry with connfx's instruments, none bound yet.
    ///
    /// # Errors
    /// [`PrometheusError`] when the exporter cannot register with its registry.
    pub fn new() -> Result<Self, PrometheusError> {
        let registry = prometheus::Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            // `target_info` would describe an OpenTelemetry resource; there is none here.
            .without_target_info()
            .scope_info_enabled(false)
            .build()
            .map_err(|e| PrometheusError(e.to_string()))?;
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        Ok(PrometheusMetrics {
            inner: Arc::new(Inner { registry, provider }),
        })
    }

    /// Measures every connection of `registry` not exported elsewhere yet; call it again after
    /// adding connections.
    ///
    /// ```
    /// # fn demo(registry: connfx::Registry) {
    /// let metrics = connfx::prometheus::PrometheusMetrics::new().expect("an exporter");
    /// metrics.watch(&registry);
    /// # }
    /// ```
    pub fn watch(&self, registry: &Registry) {
        registry.export_telemetry_to_meter(&self.meter());
    }

    /// The meter whose instruments this registry reads: for measuring connections bound by
    /// hand ([`Telemetry::export_to`](crate::telemetry::Telemetry::export_to)), or instruments
    /// of your own served on the same `/metrics`.
    ///
    /// ```
    /// let metrics = connfx::prometheus::PrometheusMetrics::new().unwrap();
    /// metrics.meter().u64_counter("orders").build().add(1, &[]);
    /// assert!(metrics.render().contains("orders_total 1"));
    /// ```
    pub fn meter(&self) -> Meter {
        self.inner.provider.meter("connfx")
    }

    /// The metrics now, in the text exposition format.
    ///
    /// ```
    /// let metrics = connfx::prometheus::PrometheusMetrics::new().unwrap();
    /// assert_eq!(metrics.render(), "");
    /// ```
    pub fn render(&self) -> String {
        use prometheus::Encoder as _;
        let mut text = Vec::new();
        let families = self.inner.registry.gather();
        if let Err(error) = prometheus::TextEncoder::new().encode(&families, &mut text) {
            tracing::warn!(%error, "the Prometheus metrics could not be encoded");
        }
        String::from_utf8(text).unwrap_or_default()
    }

    /// A router serving [`METRICS_PATH`]; merge it with [`probe::router`](crate::probe::router)
    /// or your own.
    ///
    /// ```
    /// let metrics = connfx::prometheus::PrometheusMetrics::new().unwrap();
    /// let app: axum::Router = connfx::probe::router(connfx::Registry::new()).merge(metrics.router());
    /// ```
    pub fn router(&self) -> Router {
        let metrics = self.clone();
        Router::new().route(
            METRICS_PATH,
            get(move || {
                let text = metrics.render();
                async move { ([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response() }
            }),
        )
    }
}

impl std::fmt::Debug for PrometheusMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusMetrics").finish_non_exhaustive()
    }
}
