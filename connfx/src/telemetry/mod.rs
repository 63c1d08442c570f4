//! Telemetry of every connection: metrics through OpenTelemetry, a `tracing` span per call, and
//! W3C `traceparent` on outgoing requests.
//!
//! # Where it goes
//!
//! Each connection owns a [`Telemetry`] handle. Until it is bound to a meter it records nothing
//! (one atomic load per call). [`Registry::export_telemetry`](crate::Registry::export_telemetry)
//! binds every connection of a registry to the first OTLP connection among them (feature
//! `otlp`); a derived struct's `connect` calls it once, so a struct with an `OtlpConnection`
//! field exports the metrics of all its connections through it, with no code;
//! [`Telemetry::export_to`] binds one by hand. Without an OTLP connection nothing is recorded
//! and nothing global is touched.
//!
//! Spans are plain `tracing` spans (target `connfx`, level INFO): they go wherever the
//! application's subscriber sends them (through [`OtlpConnection::tracing_layer`] to the
//! collector). When a span has an OpenTelemetry context (the OTLP layer is installed), its
//! `traceparent` is injected into the outgoing HTTP, GraphQL, SSE and WebSocket-handshake
//! requests, so the upstream's spans join the caller's trace.
//!
//! # Metrics
//!
//! ## Semantic conventions
//!
//! The OpenTelemetry client metrics, as semconv 1.42.0 names them (the constants of
//! `opentelemetry-semantic-conventions` 0.33.1), for dashboards built on the conventions:
//!
//! | name | instrument, unit | attributes |
//! |---|---|---|
//! | `http.client.request.duration` | histogram, `s` | `http.request.method`, `server.address`, `server.port`, `url.scheme`, `http.response.status_code` (when a response came), `error.type` (on failure: the status as text, `"503"`, or [`CallError::kind`](crate::CallError::kind)) |
//! | `http.client.active_requests` | updowncounter, `{request}` | `http.request.method`, `server.address`, `server.port`, `url.scheme` |
//! | `db.client.operation.duration` | histogram, `s` | `db.system.name` (`postgresql`, `mysql`, `mariadb`, `sqlite`, `redis`), `db.operation.name` (a Redis command; none for SQL, whose closure connfx does not see), `server.address`, `server.port` (not SQLite), `error.type` (on failure) |
//! | `db.client.connection.count` | updowncounter, `{connection}` | `db.client.connection.state` (`idle`, `used`), `db.client.connection.pool.name` (the connection's name); SQL pools |
//!
//! HTTP (and GraphQL, on HTTP) is measured per request sent: each retry is a request, as the
//! conventions count them. A database operation is one call. The two updowncounters are read at
//! export, from atomics and the pool.
//!
//! ## `connfx.*`
//!
//! connfx's own, with the attributes `connfx.connection` (the connection's name) and
//! `connfx.protocol`: whole calls of every protocol (WebSocket, SSE and OTLP too), retries and
//! waits included, and the resilience policies.
//!
//! | name | instrument | more attributes |
//! |---|---|---|
//! | `connfx.client.requests` | counter, `{request}` | `connfx.operation` (HTTP method, Redis command, `query`), `connfx.outcome` (`ok` or the error kind) |
//! | `connfx.client.request.duration` | histogram, `s` | as above |
//! | `connfx.client.errors` | counter, `{error}` | `error.type` ([`CallError::kind`](crate::CallError::kind)) |
//! | `connfx.client.retries` | counter, `{retry}` | |
//! | `connfx.circuit_breaker.state` | gauge: 0 closed, 1 half-open, 2 open (the worst host's for `per_host`) | |
//! | `connfx.circuit_breaker.transitions` | counter | `connfx.from`, `connfx.to` |
//! | `connfx.rate_limit.rejections`, `connfx.bulkhead.rejections` | counter | |
//! | `connfx.pool.size`, `connfx.pool.in_use`, `connfx.pool.waiters` | gauges (SQL and Redis) | |
//! | `connfx.health.state` | gauge: the [`HealthState`](crate::HealthState) as 0 ready … 4 unknown (health monitor) | |
//! | `connfx.health.transitions` | counter (health monitor) | `connfx.from`, `connfx.to` |
//!
//! Attribute values are static strings: the connection's name is interned once when it is
//! bound, and each series is bound once, the first time a call needs it (in small fixed tables
//! per connection), so a call allocates nothing to record itself.
//!
//! ```
//! use std::time::Duration;
//! let telemetry = connfx::telemetry::Telemetry::new("ledger", "tcp");
//! // A custom adapter records each call; unbound, this does nothing.
//! telemetry.record("append", Duration::from_millis(3), None);
//! assert!(!telemetry.is_exported());
//! ```
//!
//! [`OtlpConnection::tracing_layer`]: crate::OtlpConnection::tracing_layer

#[cfg(feature = "otlp")]
mod bound;
#[cfg(feature = "otlp")]
mod db_client;
#[cfg(feature = "otlp")]
mod http_client;
#[cfg(feature = "otlp")]
mod instruments;
#[cfg(feature = "otlp")]
mod intern;
mod local;
mod measure;
#[cfg(feature = "otlp")]
mod origins;
mod peer;
pub(crate) mod policies;
#[cfg(feature = "otlp")]
mod slots;
#[cfg(any(feature = "http", feature = "websocket"))]
pub(crate) mod trace_context;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::CallError;
pub use local::{CallMetrics, CallStats, Started};
#[cfg(feature = "http")]
pub(crate) use measure::HttpMeasure;
pub(crate) use measure::Measure;
pub(crate) use peer::Peer;

/// A number a gauge reads from a live connection at each export (`None` once it is gone).
pub(crate) type GaugeRead = Arc<dyn Fn() -> Option<i64> + Send + Sync>;

/// A pool's connections by state, read at each export (`None` once the pool is gone).
pub(crate) type ConnectionsRead = Arc<dyn Fn() -> Option<Connections> + Send + Sync>;

/// A pool's connections: `db.client.connection.count` by `db.client.connection.state`.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Connections {
    /// Open and waiting to be used.
    pub(crate) idle: i64,
    /// Open and lent out.
    pub(crate) used: i64,
}

/// A database operation, as `db.client.operation.duration` describes it.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct DbCall<'a> {
    /// `db.system.name`: `postgresql`, `mysql`, `mariadb`, `sqlite`, `redis`.
    pub(crate) system: &'static str,
    /// `db.operation.name`, when the call has one (a Redis command); SQL calls run a closure,
    /// whose statements connfx does not see.
    pub(crate) operation: Option<&'static str>,
    /// `server.address` and `server.port`; `None` for SQLite.
    pub(crate) peer: Option<Peer<'a>>,
}

/// What a connection offers to be read at export; made real when the handle is bound.
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
enum Offer {
    /// A gauge: name, description, and how to read it.
    Gauge(&'static str, &'static str, GaugeRead),
    /// Its pool's `db.client.connection.count`.
    Connections(ConnectionsRead),
}

/// One connection's telemetry: a cheap handle, shared by the connection's clones.
#[derive(Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

struct Inner {
    connection: String,
    protocol: &'static str,
    /// Gauges the connection offers (pool, breaker state), made real when bound.
    offers: Mutex<Vec<Offer>>,
    /// What `metrics()` reads: always kept, exported or not.
    calls: CallMetrics,
    /// Boxed: its tables of bound series take about 12 KiB, which a connection whose telemetry
    /// is never exported should not carry (a registry of 1,000 HTTP targets held 17.4 KiB a
    /// connection with them inline, 4.9 KiB without).
    #[cfg(feature = "otlp")]
    bound: std::sync::OnceLock<Box<instruments::Instruments>>,
}

impl Telemetry {
    /// An unbound handle for connection `connection` of protocol `protocol`.
    pub fn new(connection: &str, protocol: &'static str) -> Self {
        Telemetry {
            inner: Arc::new(Inner {
                connection: connection.to_owned(),
                protocol,
                offers: Mutex::default(),
                calls: CallMetrics::new(),
                #[cfg(feature = "otlp")]
                bound: std::sync::OnceLock::new(),
            }),
        }
    }

    /// What the connection's calls did since it was made (kept in process, always on): see
    /// [`CallStats`].
    ///
    /// ```
    /// let telemetry = connfx::telemetry::Telemetry::new("api", "http");
    /// assert_eq!(telemetry.metrics().requests, 0);
    /// ```
    pub fn metrics(&self) -> CallStats {
        self.inner.calls.stats()
    }

    /// The counters behind [`metrics`](Telemetry::metrics).
    pub fn calls(&self) -> &CallMetrics {
        &self.inner.calls
    }

    /// The connection's name.
    pub fn connection(&self) -> &str {
        &self.inner.connection
    }

    /// Whether metrics are being recorded (the handle is bound to a meter).
    pub fn is_exported(&self) -> bool {
        #[cfg(feature = "otlp")]
        return self.inner.bound.get().is_some();
        #[cfg(not(feature = "otlp"))]
        false
    }

    /// Records one finished call: `operation` (an HTTP method, a command), how long it took, and
    /// its error if it failed.
    pub fn record(&self, operation: &'static str, elapsed: Duration, error: Option<&CallError>) {
        #[cfg(feature = "otlp")]
        if let Some(bound) = self.inner.bound.get() {
            bound.call(operation, elapsed, error);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = (operation, elapsed, error);
    }

    /// Records one finished database operation (`db.client.operation.duration`).
    #[cfg_attr(not(any(feature = "sql", feature = "redis")), allow(dead_code))]
    pub(crate) fn record_db(&self, call: &DbCall<'_>, elapsed: Duration, error: Option<&CallError>) {
        #[cfg(feature = "otlp")]
        if let Some(bound) = self.inner.bound.get() {
            bound.db(call, elapsed, error);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = (call, elapsed, error);
    }

    /// An HTTP request of `method` to `peer` starts: measured for `http.client.*` until its
    /// [`HttpMeasure::end`]. Unbound, this is one atomic load.
    #[cfg(feature = "http")]
    pub(crate) fn http_request<'a>(
        &'a self,
        method: &'static str,
        peer: Option<Peer<'a>>,
    ) -> HttpMeasure<'a> {
        #[cfg(feature = "otlp")]
        {
            let started = self
                .inner
                .bound
                .get()
                .and_then(|bound| Some(bound.http()?.start(method, peer?)));
            HttpMeasure::new(started)
        }
        #[cfg(not(feature = "otlp"))]
        {
            let _ = (method, peer);
            HttpMeasure::new()
        }
    }

    /// Counts one retry.
    pub(crate) fn retried(&self) {
        #[cfg(feature = "otlp")]
        if let Some(bound) = self.inner.bound.get() {
            bound.retried();
        }
    }

    /// Counts a state change of a circuit breaker or of the connection's health.
    pub(crate) fn transition(&self, metric: Transition, from: &'static str, to: &'static str) {
        #[cfg(feature = "otlp")]
        if let Some(bound) = self.inner.bound.get() {
            bound.transition(metric, from, to);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = (metric, from, to);
    }

    /// Records the connection's health state (the health monitor's gauge).
    pub(crate) fn health_state(&self, state: crate::HealthState) {
        #[cfg(feature = "otlp")]
        if let Some(bound) = self.inner.bound.get() {
            bound.health_state(state as i64);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = state;
    }

    /// Offers a gauge (`name`, `description`) read from the connection at each export; it is
    /// registered when the handle is bound.
    pub(crate) fn gauge(&self, name: &'static str, description: &'static str, read: GaugeRead) {
        self.offer(Offer::Gauge(name, description, read));
    }

    /// Offers `db.client.connection.count` of the pool `owner` holds, read while it lives (the
    /// gauge holds it weakly, as [`gauge_of`](Telemetry::gauge_of)).
    #[cfg_attr(not(feature = "sql"), allow(dead_code))]
    pub(crate) fn connections_of<T: Send + Sync + 'static>(
        &self,
        owner: &Arc<T>,
        read: impl Fn(&T) -> Connections + Send + Sync + 'static,
    ) {
        let owner = Arc::downgrade(owner);
        self.offer(Offer::Connections(Arc::new(move || {
            owner.upgrade().map(|o| read(&o))
        })));
    }

    /// Registers `offer` now if the handle is bound, and keeps it for a later binding.
    fn offer(&self, offer: Offer) {
        #[cfg(feature = "otlp")]
        if let Some(bound) = self.inner.bound.get() {
            bound.offer(&offer);
        }
        let mut offers = self.inner.offers.lock().unwrap_or_else(PoisonError::into_inner);
        offers.push(offer);
    }

    /// Offers a gauge read from `owner` (a connection's shared state) while it lives: the gauge
    /// holds it weakly, so a dropped connection stops reporting and is not kept alive.
    #[cfg_attr(not(any(feature = "sql", feature = "redis")), allow(dead_code))]
    pub(crate) fn gauge_of<T: Send + Sync + 'static>(
        &self,
        name: &'static str,
        description: &'static str,
        owner: &Arc<T>,
        read: impl Fn(&T) -> i64 + Send + Sync + 'static,
    ) {
        let owner = Arc::downgrade(owner);
        self.gauge(
            name,
            description,
            Arc::new(move || owner.upgrade().map(|o| read(&o))),
        );
    }

    /// Binds the handle to `meter`: from now on every call, retry and state change is recorded
    /// there. Returns `false` (and changes nothing) if it was bound already.
    #[cfg(feature = "otlp")]
    pub fn export_to(&self, meter: &opentelemetry::metrics::Meter) -> bool {
        let inner = &self.inner;
        let mut fresh = false;
        let bound = inner.bound.get_or_init(|| {
            fresh = true;
            Box::new(instruments::Instruments::new(
                meter,
                &inner.connection,
                inner.protocol,
            ))
        });
        if fresh {
            let offers = inner.offers.lock().unwrap_or_else(PoisonError::into_inner);
            for offer in offers.iter() {
                bound.offer(offer);
            }
        }
        fresh
    }
}

/// Which transition counter a state change goes to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Transition {
    /// `connfx.circuit_breaker.transitions`.
    CircuitBreaker,
    /// `connfx.health.transitions`.
    Health,
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("connection", &self.inner.connection)
            .field("protocol", &self.inner.protocol)
            .field("exported", &self.is_exported())
            .finish()
    }
}

/// The name OpenTelemetry gives an HTTP method: the standard ones as they are, others `_OTHER`
/// (the semantic conventions' rule, which also keeps metric attributes few and static).
#[cfg(feature = "http")]
pub(crate) fn method_name(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}
