//! OpenTelemetry (OTLP) connections: traces, metrics and logs of a service to one collector, with
//! one resource, over http/protobuf or gRPC.
//!
//! ```no_run
//! use connfx::prelude::*;
//! use opentelemetry::metrics::MeterProvider as _;
//! use tracing_subscriber::layer::SubscriberExt;
//! use tracing_subscriber::util::SubscriberInitExt;
//!
//! /// Connections of the checkout service.
//! #[derive(Connections)]
//! pub struct Conns {
//!     /// Telemetry collector; left unconfigured, it is simply absent.
//!     #[connection(protocol = "otlp", service_name = "checkout", environment = "prod",
//!                  resource("team" = "payments"), timeout = "5s")]
//!     otel: Option<OtlpConnection>,
//! }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let conns = Conns::connect().await?;
//! if let Some(otel) = conns.otel() {
//!     tracing_subscriber::registry().with(otel.tracing_layer()).init();
//!     otel.meter("checkout").u64_counter("orders").build().add(1, &[]);
//! }
//! tracing::info_span!("charge").in_scope(|| tracing::info!("charged"));
//! conns.close().await; // flushes every signal
//! # Ok(()) }
//! ```
//!
//! # Decisions
//!
//! - **One connection, three signals, one resource.** `connect` builds an
//!   [`SdkTracerProvider`], an [`SdkMeterProvider`] and an [`SdkLoggerProvider`] sharing one
//!   [`Resource`] and one HTTP client (or gRPC channel). A signal switched off (`traces = false`)
//!   keeps its provider, with no exporter.
//! - **Nothing global.** `connect` installs no global provider and no subscriber, so several OTLP
//!   connections (prod, dev, business metrics) live side by side. `tracing` goes out through
//!   [`OtlpConnection::tracing_layer`], added to the application's subscriber;
//!   [`OtlpConnection::install_global`] sets the `opentelemetry::global` providers on request.
//! - **Resource attributes**: `service.name`, `service.version`, `deployment.environment.name`
//!   (the current semantic-conventions name), then the `resource` map, over what the SDK detects
//!   (`telemetry.sdk.*`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`); later ones win.
//! - **http/protobuf runs on reqwest's blocking client** on the SDK's export threads (the async
//!   client panics there with "no reactor running" and spans vanish). `url` is the collector's
//!   base: `/v1/traces`, `/v1/metrics`, `/v1/logs` are appended to its path. **gRPC** uses one
//!   lazily connected tonic channel, spawned on the runtime `connect` runs in, which must be
//!   Tokio's and must outlive the connection.
//! - **Headers are secrets**, every one ([`SecretHeaders`](crate::SecretHeaders)): never in a
//!   `Debug`, an error, a health message, the schema or the environment listing. They travel as
//!   sensitive HTTP headers or gRPC metadata. The exporter still adds `OTEL_EXPORTER_OTLP_HEADERS`
//!   and honours `OTEL_EXPORTER_OTLP_COMPRESSION`; endpoint, timeout and protocol come from the
//!   config only.
//! - **Timeouts**: `timeout.total` (`timeout = "5s"`) bounds one export with the exporter's own
//!   retries (default 10 s), `per_attempt` one request, `connect` one connection. `close` is
//!   bounded by the export timeout.
//! - **`connect` needs no collector**: nothing is sent until there is something to export, and a
//!   failed export is the SDK's to log and drop. The health check is what tells: for `http` an
//!   empty export request (`POST /v1/traces`, or `health.path`): 2xx Ready, 429 Live, 503 and
//!   other 4xx Connected (answering, e.g. rejecting the API key), other 5xx Error; for `grpc` a
//!   fresh HTTP/2 connection and an empty trace export: OK Ready, any other status Connected
//!   (server faults Error); no connection is Error.
//! - **`close` flushes then shuts down** the three providers concurrently, off the runtime's
//!   threads, bounded by the export timeout; after it nothing more is exported (tracers and
//!   meters handed out earlier become no-ops). With no collector listening a flush gives up after
//!   the exporter's retries (about a second). Drop without `close` shuts the providers down
//!   too, but blocking: call `close`.
//! - **TLS**: `https` URLs use `tls(...)` roots and client certificate over aws-lc-rs (the
//!   webpki roots for gRPC, the platform's for HTTP); `accept_invalid_certs` works over `http`
//!   transport only. `http` URLs are plaintext (h2c for gRPC).

mod bridge;
mod config;
mod health;
mod providers;
pub mod resource;
mod tls;
mod transport;

pub use config::{OtlpConfig, OtlpTransport};

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::InstrumentationScope;
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use crate::registry::RegistrySlot;
use crate::{ConnUrl, ConnectError, Connection, Health, HealthState};
use providers::Providers;
use transport::Probe;

/// A connection to an OpenTelemetry collector: the tracer, meter and logger providers of one
/// service, exporting with one resource through one transport. A cheap handle: clones share it.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use connfx::{Connection, OtlpConfig, OtlpConnection};
/// use opentelemetry::trace::Tracer as _;
/// let mut config = OtlpConfig::new("http://127.0.0.1:4318".parse()?);
/// config.service_name = Some("checkout".into());
/// let otel = OtlpConnection::connect("otel", config).await?;
/// otel.tracer("checkout").in_span("charge", |_cx| { /* … */ });
/// println!("{}", otel.health().await.state);
/// otel.close().await; // flushed
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OtlpConnection {
    inner: Arc<Inner>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

struct Inner {
    name: String,
    config: OtlpConfig,
    resource: Resource,
    providers: Providers,
    probe: Probe,
    closed: AtomicBool,
}

impl OtlpConnection {
    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The collector endpoint.
    pub fn url(&self) -> &ConnUrl {
        &self.inner.config.url
    }

    /// The settings it was built from.
    pub fn config(&self) -> &OtlpConfig {
        &self.inner.config
    }

    /// The resource every signal carries.
    pub fn resource(&self) -> &Resource {
        &self.inner.resource
    }

    /// The tracer provider (batch span processor, sampler, resource).
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.inner.providers.tracer
    }

    /// The meter provider (periodic reader every `export_interval`).
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.inner.providers.meter
    }

    /// The logger provider (batch log processor).
    pub fn logger_provider(&self) -> &SdkLoggerProvider {
        &self.inner.providers.logger
    }

    /// A tracer whose instrumentation scope is `name`.
    pub fn tracer(&self, name: impl Into<Cow<'static, str>>) -> SdkTracer {
        self.inner.providers.tracer.tracer(name)
    }

    /// A meter whose instrumentation scope is `name`.
    ///
    /// ```no_run
    /// # fn demo(otel: &connfx::OtlpConnection) {
    /// let orders = otel.meter("checkout").u64_counter("orders_placed").build();
    /// orders.add(1, &[opentelemetry::KeyValue::new("region", "eu")]);
    /// # }
    /// ```
    pub fn meter(&self, name: impl Into<Cow<'static, str>>) -> Meter {
        let scope = InstrumentationScope::builder(name).build();
        self.inner.providers.meter.meter_with_scope(scope)
    }

    /// Makes this connection's tracer and meter providers the `opentelemetry::global` ones, for
    /// libraries that instrument through `opentelemetry::global`. Only one connection can be
    /// global; the last call wins. (The logs API has no global provider: use
    /// [`OtlpConnection::tracing_layer`].)
    pub fn install_global(&self) {
        opentelemetry::global::set_tracer_provider(self.inner.providers.tracer.clone());
        opentelemetry::global::set_meter_provider(self.inner.providers.meter.clone());
    }

    /// Exports what is buffered now, every signal, without closing; bounded by the export
    /// timeout.
    pub async fn flush(&self) {
        let providers = self.inner.providers.clone();
        let flush = tokio::task::spawn_blocking(move || {
            let results = [
                providers.tracer.force_flush(),
                providers.meter.force_flush(),
                providers.logger.force_flush(),
            ];
            results
                .into_iter()
                .filter_map(Result::err)
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        });
        match tokio::time::timeout(self.inner.config.export_timeout(), flush).await {
            Ok(Ok(failures)) if failures.is_empty() => {}
            Ok(Ok(failures)) => tracing::debug!(connection = self.name(), ?failures, "otlp flush failed"),
            _ => tracing::debug!(connection = self.name(), "otlp flush did not finish in time"),
        }
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }
}

impl Connection for OtlpConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::OTLP.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::OTLP.schemes;
    type Config = OtlpConfig;

    async fn connect(name: &str, config: OtlpConfig) -> Result<Self, ConnectError> {
        // The protocol's declared check, as the loader ran it, for a config built in code.
        let problems = config::check_otlp(&config);
        if !problems.is_empty() {
            return Err(ConnectError::new(
                name,
                crate::config::group::connect_message(&problems),
            ));
        }
        let exporters = transport::build(&config)
            .await
            .map_err(|message| ConnectError::new(name, message))?;
        let probe = exporters.probe.clone();
        let resource = resource::build(&config);
        let providers = providers::build(&config, exporters, &resource);
        tracing::debug!(connection = name, url = %config.url, transport = ?config.transport, "otlp exporters ready");
        Ok(OtlpConnection {
            slot: RegistrySlot::new(),
            inner: Arc::new(Inner {
                name: name.to_owned(),
                config,
                resource,
                providers,
                probe,
                closed: AtomicBool::new(false),
            }),
        })
    }

    async fn health(&self) -> Health {
        if self.is_closed() {
            return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
        }
        health::check(&self.inner.probe, self.inner.config.health.timeout).await
    }

    async fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let limit = self.inner.config.export_timeout();
        self.inner.providers.close(&self.inner.name, limit).await;
    }

    super::handle::handle_methods!();
}

impl std::fmt::Debug for OtlpConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        super::handle::debug_handle(f, "OtlpConnection", &self.inner.name, &self.inner.config.url)
            .field("transport", &self.inner.config.transport)
            .finish()
    }
}
