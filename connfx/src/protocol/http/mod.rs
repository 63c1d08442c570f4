//! HTTP/REST connections on reqwest: one base URL whose headers, auth, TLS and timeouts apply to
//! every request made through it.
//!
//! ```no_run
//! use connfx::{Connection, HttpConfig, HttpConnection};
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let config: HttpConfig = serde_json::from_value(serde_json::json!({
//!     "url": "https://api.pay.example/v1",
//!     "auth": { "bearer": "t0ken" },
//!     "timeout": { "total": "10s" },
//! }))
//! .expect("a valid config");
//! let payments = HttpConnection::connect("payments", config).await?;
//! // GET https://api.pay.example/v1/charges/ch_1, with `Authorization: Bearer t0ken`.
//! let charge: serde_json::Value = payments.get("/charges/ch_1").send().await?.json().await?;
//! # Ok(()) }
//! ```
//!
//! # How the settings map onto reqwest
//!
//! | setting | effect |
//! |---|---|
//! | `url` | base of every request path (see [`HttpConnection::request`]); user-info in it becomes basic auth unless `auth` sets a credential |
//! | `user_agent` | `User-Agent` header, default `connfx/<version>` |
//! | `headers` | sent with every request; a request's own header of the same name wins |
//! | `auth` | `Authorization: Bearer …`, basic auth, or the API key in `api_key_header` |
//! | `timeout.connect` | time to open a TCP/TLS connection |
//! | `timeout.per_attempt` | bounds each try (reqwest's request timeout) |
//! | `timeout.total` | bounds the whole call, retries and waits included (30 s unless set); a request's own shorter [`HttpRequest::timeout`] wins |
//! | `retry`, `circuit_breaker`, `rate_limit`, `bulkhead` | the policy stack every request goes through (see below) |
//! | `per_host` | absolute URLs to any host allowed; breaker and rate limit kept per `host:port` |
//! | `hosts` | with `per_host`: single hosts' own `headers`, `rate_limit`, `circuit_breaker` and `timeout` (see "Single hosts" below) |
//! | `pool.max_size`, `pool.idle_timeout` | idle connections kept per host (default: all, as reqwest), and for how long (default 90 s) |
//! | `pool.min_idle`, `pool.max_lifetime`, `pool.acquire_timeout` | no reqwest equivalent: ignored (a warning is logged when set) |
//! | `tls` | extra CA roots, client certificate, `accept_invalid_certs` |
//! | `health` | what [`Connection::health`] requests, and how long it may take |
//!
//! # Decisions
//!
//! - **Connecting does no network I/O**: the first request (or health check) opens the first
//!   connection, so a service boots while a dependency is down and health shows it.
//! - **Paths stay below the base URL**: an absolute URL, a network path (`//host/x`) or `..`
//!   climbing above the base path is [`CallError::InvalidRequest`](crate::CallError::InvalidRequest),
//!   so an id spliced into a path (`format!("/items/{id}")`) cannot reach another endpoint.
//! - **URL user-info is basic auth** unless `auth` sets `bearer` or `username`; it is removed
//!   from the URL reqwest sees, so no reqwest error can print it.
//! - **Errors keep no URL**: transport messages are reqwest's error chain with the URL left out
//!   (a query may carry a key); health messages show the method and path only.
//! - **Per-host connections keep credentials home**: with `per_host`, `auth`, URL user-info and
//!   credential-like `headers` go only to the base URL's scheme, host and port; other hosts get
//!   the plain `headers` and the user agent.
//! - **Single hosts (`hosts`)**: a `per_host` connection may set a [`HostConfig`] for a host,
//!   keyed `"api.example"` (every port of it) or `"api.example:8443"` (that port only, which
//!   wins over the bare host), matched case-insensitively; a key that is empty, names a
//!   scheme, holds a `/` or whitespace, or has a bad port is a load error at that key, and
//!   `hosts` without `per_host = true` is one at `hosts`. A `rate_limit`, `circuit_breaker` or
//!   `timeout` the host sets replaces the connection's for calls to that host: its unset keys
//!   take the group's defaults, not the connection's, and `enabled = false` switches that policy
//!   off for the host; groups it leaves unset are the connection's. A host's `timeout` takes
//!   `per_attempt` and `total` (or `"60s"` for the total); `connect` stays the connection's, as
//!   one client opens every host's connections. The host's `headers` are added to its requests
//!   over the connection's headers of the same name (a request's own header still wins). The
//!   connection's credentials still go only to the base URL's origin. A host's own breaker and
//!   limit are kept per `host:port` within `max_hosts` and `host_idle` like every host's, and
//!   start afresh under the host's policy when called after being dropped; they are not in
//!   [`HttpConnection::host_breakers`] or [`HttpConnection::host_rate_limits`], which hold the
//!   connection's. `hosts` is set in a file (`[api.hosts."api.example"]`) or the environment
//!   (`APP_API_HOSTS`, one JSON object), not in the derive's attribute; a reload applies a
//!   change live, a host's breaker and limit changed in place as the connection's are.
//! - **`close` drains**: it waits (at most 30 s) for requests already sent to get their answer.
//! - **The idle pool keeps every connection** until `pool.idle_timeout` (90 s), as a default
//!   `reqwest::Client` does, unless `pool.max_size` caps it: reqwest opens a connection per
//!   request in flight anyway, and a cap below that number closes and reopens connections on
//!   every burst (32 in flight against the former default cap of 10 ran at 40 % of a default
//!   client's throughput). `pool.max_size` of an SQL pool keeps its own default of 10.
//! - **Connections with equal transport settings share one client** (user agent, default
//!   headers and auth, timeouts, pool, TLS files by contents): building a client is most of the
//!   cost of connecting (about 2.8 ms and 100 KiB, for the TLS verifier and roots), so 1,000
//!   targets on default settings build one. The client lives while a connection holds it; see
//!   [`HttpConnection::client`].
//!
//! # The policy stack
//!
//! Every request goes through rate limit → bulkhead → total timeout → retry (with budget) →
//! circuit breaker → per-attempt timeout → reqwest; why in that order, and what counts as a
//! failure, is written down once for every protocol in `resilience/stack` and in the crate's README. The live policies are
//! reachable for stats and events: [`HttpConnection::breaker`], [`HttpConnection::retry`],
//! [`HttpConnection::rate_limit`], [`HttpConnection::bulkhead`], and for `per_host`
//! connections [`HttpConnection::host_breakers`] and [`HttpConnection::host_rate_limits`].

mod attempt;
mod body;
mod call;
pub(crate) mod client;
mod config;
pub(crate) mod credentials;
pub(crate) mod health;
mod hosts;
pub(crate) mod oauth2;
mod pool;
mod request;
mod response;
pub(crate) mod shared_client;
mod span;
mod streaming;
mod stub;
pub(crate) mod target;
pub(crate) mod transport;

use std::fmt;
use std::sync::Arc;

use reqwest::Method;

use crate::lifecycle::{DRAIN_LIMIT, Lifecycle};
use crate::registry::RegistrySlot;
use crate::reload::Prepared;
use crate::reload::current::{Current, cached};
use crate::resilience::recent::Bounds;
use crate::telemetry::Telemetry;
use crate::{Applied, ConnUrl, ConnectError, Connection};

pub use config::HttpConfig;
pub use hosts::{HostConfig, HostTable};
pub use pool::HttpPoolConfig;
pub use request::HttpRequest;
pub use response::HttpResponse;
pub use streaming::BodyStream;

/// A live HTTP connection: a base URL and a configured [`reqwest::Client`].
///
/// Cheap to clone (an `Arc` inside); every clone shares the client, its connection pool and the
/// closed state. `Debug` shows the name and the URL with its password redacted, nothing else.
///
/// ```
/// use connfx::{Connection, HttpConfig, HttpConnection};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
/// let config: HttpConfig =
///     serde_json::from_str(r#"{"url": "http://app:hunter2@127.0.0.1:8080/api"}"#).expect("valid");
/// let api = HttpConnection::connect("api", config).await?;
/// assert_eq!(api.name(), "api");
/// assert!(!format!("{api:?}").contains("hunter2"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpConnection {
    handle: Arc<Handle>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

/// One connection: what stays the same for its whole life, and its current settings, which
/// [`HttpConnection::reload`] swaps whole (a call loads them once and keeps them to its end).
struct Handle {
    common: Arc<Common>,
    current: Current<Inner>,
    /// One reload at a time, from its preparation to its swap: each changes the policies in
    /// place before it swaps.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

/// What every generation of a connection's settings shares.
struct Common {
    name: String,
    lifecycle: Lifecycle,
    transport: stub::Transport,
    telemetry: Telemetry,
}

/// One generation of a connection's settings, and what was built from them.
struct Inner {
    common: Arc<Common>,
    config: Arc<HttpConfig>,
    /// The base URL without user-info: reqwest never sees a URL credential, so none can end up
    /// in one of its error messages.
    base: url::Url,
    /// What the health check requests (`health.path` joined onto `base`), checked at connect.
    health_url: url::Url,
    /// Shared with every live connection of the same transport settings.
    client: Arc<reqwest::Client>,
    /// Credentials sent only to the base URL's origin (`per_host` connections; else empty).
    origin_credentials: reqwest::header::HeaderMap,
    /// The OAuth2 token of `auth.oauth2`, kept across reloads that leave `auth.oauth2` as it is.
    oauth2: Option<Arc<oauth2::TokenSource>>,
    /// What requests to single hosts add (`hosts`).
    host_requests: crate::resilience::stack::ByHost<hosts::HostRequest>,
    policies: crate::resilience::stack::Policies,
}
cached!(Inner);

/// The settings a call runs with, from its start to its end: one generation, held.
#[derive(Clone)]
pub(crate) struct Live(Arc<Inner>);

impl HttpConnection {
    /// The connection's name (the field or registry name).
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) {
    /// tracing::info!(connection = api.name(), "calling");
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.handle.common.name
    }

    /// What the calls made through this connection did since it was made: requests, errors,
    /// error rate, calls in flight, latency p50/p95/p99 (each call whole, retries included),
    /// and the same per host for a `per_host` connection. Kept in process and always on, so it
    /// can be read without a collector (a status page, a test, a log line); the OTLP metrics
    /// stay as they are.
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// api.get("/items").send().await?;
    /// let stats = api.metrics();
    /// println!("{} calls, {:.1} % errors, p99 {:?}", stats.requests, stats.error_rate * 100.0, stats.p99);
    /// # Ok(()) }
    /// ```
    pub fn metrics(&self) -> crate::CallStats {
        self.handle.common.telemetry.metrics()
    }

    /// The configured base URL (the current one, after a [`reload`](HttpConnection::reload));
    /// its `Display` and `Debug` redact the password.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) {
    /// println!("calling {}", api.base_url());
    /// # }
    /// ```
    pub fn base_url(&self) -> ConnUrl {
        self.live().config().url.clone()
    }

    /// The settings this connection runs with now: those it was built from, or those of its
    /// last [`reload`](HttpConnection::reload).
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) {
    /// let total = api.config().timeout.total;
    /// # }
    /// ```
    pub fn config(&self) -> Arc<HttpConfig> {
        Arc::clone(&self.live().0.config)
    }

    /// The underlying client, for what [`HttpRequest`] does not cover. It carries the default
    /// headers, auth (not for a `per_host` connection, which adds it per request), TLS and pool
    /// settings and `timeout.per_attempt`; requests made with it directly bypass the base URL,
    /// every policy and the closed state, and report reqwest's own errors. Connections with the
    /// same transport settings (those and the user agent) share one client and its idle
    /// connections.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), reqwest::Error> {
    /// let page = api.client().get("https://status.example/").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::clone(&self.live().0.client)
    }

    /// Starts a `GET` of `path`, joined onto the base URL.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let body = api.get("/items/1").send().await?.text().await?;
    /// # Ok(()) }
    /// ```
    pub fn get(&self, path: &str) -> HttpRequest {
        self.request(Method::GET, path)
    }

    /// Starts a `POST` of `path`.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// api.post("/items").json(&serde_json::json!({"name": "pen"})).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn post(&self, path: &str) -> HttpRequest {
        self.request(Method::POST, path)
    }

    /// Starts a `PUT` of `path`.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// api.put("/items/1").body("pen").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn put(&self, path: &str) -> HttpRequest {
        self.request(Method::PUT, path)
    }

    /// Starts a `PATCH` of `path`.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// api.patch("/items/1").json(&serde_json::json!({"price": 3})).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn patch(&self, path: &str) -> HttpRequest {
        self.request(Method::PATCH, path)
    }

    /// Starts a `DELETE` of `path`.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// api.delete("/items/1").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, path: &str) -> HttpRequest {
        self.request(Method::DELETE, path)
    }

    /// Starts a `HEAD` of `path`.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let length = api.head("/files/1").send().await?.headers().get("content-length").cloned();
    /// # Ok(()) }
    /// ```
    pub fn head(&self, path: &str) -> HttpRequest {
        self.request(Method::HEAD, path)
    }

    /// Starts a request of any method. `path` is joined onto the base URL, keeping the base
    /// path: with base `http://h/api`, `/items/1` and `items/1` both give
    /// `http://h/api/items/1`; a query in `path` is kept (after any query of the base URL).
    ///
    /// A path that is an absolute URL, or that would leave the base URL's scheme, host, port or
    /// path (`//other.host/x`, `../x`), makes [`HttpRequest::send`] fail with
    /// [`CallError::InvalidRequest`](crate::CallError::InvalidRequest).
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// api.request(reqwest::Method::OPTIONS, "/items").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> HttpRequest {
        let live = self.live();
        let url = target::resolve(live.base(), path, live.config().per_host);
        HttpRequest::new(live, method, url)
    }

    /// Whether [`Connection::close`] was called.
    ///
    /// ```
    /// # async fn run(api: connfx::HttpConnection) {
    /// use connfx::Connection;
    /// api.close().await;
    /// assert!(api.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.handle.common.lifecycle.is_closed()
    }

    /// A connection whose requests never leave the process: `respond` answers every try, and
    /// every policy of `config` (retry, breaker, limits, deadlines) still applies. For unit tests
    /// of code that uses a connection, and for measuring the policy stack without I/O. Build the
    /// answer with the `http` crate; its body is anything that turns into `Bytes`.
    ///
    /// # Errors
    /// The same as [`Connection::connect`]: a `config` that cannot make a client.
    ///
    /// ```
    /// use connfx::{HttpConfig, HttpConnection};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::Error> {
    /// let config: HttpConfig = serde_json::from_value(serde_json::json!({
    ///     "url": "http://payments.test/v1",
    ///     "retry": { "max_attempts": 2, "initial_interval": "1ms" },
    /// }))
    /// .expect("a valid config");
    /// let tries = std::sync::atomic::AtomicU32::new(0);
    /// let payments = HttpConnection::stub("payments", config, move |request| {
    ///     assert_eq!(request.url().path(), "/v1/charges/1");
    ///     let status = match tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
    ///         0 => 503,
    ///         _ => 200,
    ///     };
    ///     http::Response::builder().status(status).body("{\"id\": 1}").expect("a valid response")
    /// })?;
    /// let charge: serde_json::Value = payments.get("/charges/1").send().await?.json().await?;
    /// assert_eq!(charge["id"], 1);
    /// assert_eq!(payments.retry().expect("configured").stats().retries, 1);
    /// # Ok(()) }
    /// ```
    pub fn stub<B>(
        name: &str,
        config: HttpConfig,
        respond: impl Fn(&reqwest::Request) -> http::Response<B> + Send + Sync + 'static,
    ) -> Result<Self, ConnectError>
    where
        B: Into<bytes::Bytes>,
    {
        let transport = stub::Transport::stub(move |request| respond(request).map(Into::into));
        HttpConnection::build(name, config, transport)
    }

    fn build(name: &str, config: HttpConfig, transport: stub::Transport) -> Result<Self, ConnectError> {
        let built = client::build(name, &config).map_err(|message| ConnectError::new(name, message))?;
        let telemetry = Telemetry::new(name, "http");
        let policies = crate::resilience::stack::Policies::new(name, config.policies())
            .with_hosts(
                &config.host_policies(),
                config.host_bounds().unwrap_or(Bounds::NONE),
                None,
                &telemetry,
            )
            .map_err(|err| ConnectError::new(name, err.to_string()))?;
        policies.watch(&telemetry);
        if let Some(bounds) = config.host_bounds() {
            telemetry.calls().keep_hosts(bounds);
        }
        let common = Arc::new(Common {
            name: name.to_owned(),
            lifecycle: Lifecycle::default(),
            transport,
            telemetry,
        });
        let oauth2 = oauth2::TokenSource::kept_or_new(config.auth.oauth2.as_ref(), None);
        let inner = Inner::new(&common, config, built, policies, oauth2);
        Ok(HttpConnection {
            slot: RegistrySlot::new(),
            handle: Arc::new(Handle {
                common,
                current: Current::new(Arc::new(inner)),
                reloading: Arc::default(),
            }),
        })
    }

    /// Applies `config` to this live connection, checked as [`Connection::connect`] checks
    /// it, and says how ([`Applied`]). Nothing is dropped or reset on the way:
    ///
    /// - Policies change in place: a circuit breaker keeps its state and the end of an open
    ///   period, a rate limit its tokens (rescaled), a bulkhead its calls in flight, a retry
    ///   budget its balance; handles and listeners already given out stay live (see
    ///   [`CircuitBreaker::reconfigure`](crate::resilience::CircuitBreaker::reconfigure) and its
    ///   peers). A policy switched on starts fresh; one switched off is dropped.
    /// - When only policies, timeouts or health settings change, the client is kept:
    ///   [`Applied::Live`]. When the URL, headers, auth, TLS or pool change, a new client is
    ///   built beside the old one: [`Applied::Reconnected`]. Either way, calls already started
    ///   (and requests already built) finish with the settings they started with, on the old
    ///   client; calls started after this returns use the new settings. The old client is
    ///   dropped, closing its idle connections, when its last call ends.
    ///
    /// Every clone of this handle (the derived struct's field, the registry's entry) sees the
    /// new settings.
    ///
    /// # Errors
    /// A [`ConnectError`] when `config` cannot make a client (a missing CA file, say) or a
    /// policy refuses it; the connection then keeps running as it was.
    ///
    /// ```
    /// use connfx::{Applied, Connection, HttpConfig, HttpConnection};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
    /// let config = |json| serde_json::from_value::<HttpConfig>(json).expect("valid");
    /// let api = HttpConnection::connect("api", config(serde_json::json!({ "url": "http://127.0.0.1:1/v1" }))).await?;
    /// let slower = config(serde_json::json!({ "url": "http://127.0.0.1:1/v1", "timeout": { "total": "45s" } }));
    /// assert_eq!(api.reload(slower).await?, Applied::Live);
    /// let moved = config(serde_json::json!({ "url": "http://127.0.0.1:1/v2" }));
    /// assert_eq!(api.reload(moved).await?, Applied::Reconnected);
    /// assert_eq!(api.base_url().expose().path(), "/v2");
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: HttpConfig) -> Result<Applied, ConnectError> {
        Ok(self.prepare(config).await?.apply())
    }

    /// The checks and the client of a reload to `config`; applying it changes the policies in
    /// place and swaps. The reload's turn is held until it is applied or dropped.
    async fn prepare(&self, config: HttpConfig) -> Result<Prepared, ConnectError> {
        let turn = Arc::clone(&self.handle.reloading).lock_owned().await;
        let handle = Arc::clone(&self.handle);
        let name = handle.common.name.as_str();
        let built = client::build(name, &config).map_err(|message| ConnectError::new(name, message))?;
        crate::resilience::stack::Policies::check(config.policies())
            .and_then(|()| crate::resilience::stack::Policies::check_hosts(&config.host_policies()))
            .map_err(|err| ConnectError::new(name, err.to_string()))?;
        let now = self.live();
        let applied = if Arc::ptr_eq(&built.client, &now.0.client)
            && built.base == now.0.base
            && built.origin_credentials == now.0.origin_credentials
            && config.auth.oauth2 == now.0.config.auth.oauth2
        {
            Applied::Live
        } else {
            Applied::Reconnected
        };
        Ok(Prepared::new(applied, move || {
            let _turn = turn;
            let common = &handle.common;
            let now = handle.current.load_full();
            let bounds = config.host_bounds().unwrap_or(Bounds::NONE);
            let Some(policies) = now
                .policies
                .carried_on(&common.name, config.policies(), &common.telemetry)
                .and_then(|policies| {
                    let hosts = config.host_policies();
                    policies
                        .with_hosts(&hosts, bounds, Some(&now.policies), &common.telemetry)
                        .inspect_err(|err| tracing::error!(connection = %common.name, %err, "reload refused after its checks"))
                        .ok()
                })
            else {
                return;
            };
            if let Some(bounds) = config.host_bounds() {
                common.telemetry.calls().keep_hosts(bounds);
            }
            let oauth2 = oauth2::TokenSource::kept_or_new(config.auth.oauth2.as_ref(), now.oauth2.as_ref());
            handle
                .current
                .store(Arc::new(Inner::new(common, config, built, policies, oauth2)));
            tracing::info!(connection = %common.name, ?applied, "http connection reloaded");
        }))
    }

    /// The settings a call started now runs with.
    pub(crate) fn live(&self) -> Live {
        Live(self.handle.current.load_full())
    }

    /// The live circuit breaker (`circuit_breaker(...)` in the config), for its state, stats and
    /// events; `None` when the connection has none, or keeps one per host (`per_host`, see
    /// [`host_breakers`](HttpConnection::host_breakers)).
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// if let Some(breaker) = api.breaker() {
    ///     println!("{:?}", breaker.state());
    /// }
    /// # }
    /// ```
    pub fn breaker(&self) -> Option<crate::resilience::circuit_breaker::CircuitBreaker> {
        self.live().policies().breaker.as_ref()?.one().cloned()
    }

    /// The circuit breakers of a `per_host` connection, one per `host:port` called so far, with
    /// their stats ([`CircuitBreakerGroup::stats`](crate::CircuitBreakerGroup::stats)) and
    /// events; `None` unless `per_host` and `circuit_breaker(...)` are both set.
    ///
    /// ```
    /// # fn run(hooks: connfx::HttpConnection) {
    /// if let Some(breakers) = hooks.host_breakers() {
    ///     for (host, stats) in breakers.stats() {
    ///         println!("{host}: {:?}", stats.state);
    ///     }
    /// }
    /// # }
    /// ```
    pub fn host_breakers(&self) -> Option<Arc<crate::CircuitBreakerGroup>> {
        self.live().policies().breaker.as_ref()?.per_host().cloned()
    }

    /// The live retry policy (its stats and events), if the connection has one.
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let retried = api.retry().map_or(0, |r| r.stats().retries);
    /// # }
    /// ```
    pub fn retry(&self) -> Option<crate::Retry> {
        self.live().policies().retry.clone()
    }

    /// The live rate limit, if the connection has one for all its calls (not `per_host`).
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let turned_away = api.rate_limit().map_or(0, |l| l.stats().rejected);
    /// # }
    /// ```
    pub fn rate_limit(&self) -> Option<crate::RateLimit> {
        self.live().policies().rate_limit.as_ref()?.one().cloned()
    }

    /// The rate limits of a `per_host` connection, one per `host:port`, with per-host stats
    /// ([`KeyedRateLimit::stats_by_key`](crate::KeyedRateLimit::stats_by_key)); `None` unless
    /// `per_host` and `rate_limit(...)` are both set.
    ///
    /// ```
    /// # fn run(hooks: connfx::HttpConnection) {
    /// if let Some(limits) = hooks.host_rate_limits() {
    ///     for (host, stats) in limits.stats_by_key() {
    ///         println!("{host}: {} rejected", stats.rejected);
    ///     }
    /// }
    /// # }
    /// ```
    pub fn host_rate_limits(&self) -> Option<crate::KeyedRateLimit<String>> {
        self.live().policies().rate_limit.as_ref()?.per_host().cloned()
    }

    /// The live bulkhead, if the connection has one (a `per_host` connection has one for all
    /// hosts together).
    ///
    /// ```
    /// # fn run(api: connfx::HttpConnection) {
    /// let in_flight = api.bulkhead().map_or(0, |b| b.stats().in_flight);
    /// # }
    /// ```
    pub fn bulkhead(&self) -> Option<crate::Bulkhead> {
        self.live().policies().bulkhead.clone()
    }
}

impl Inner {
    fn new(
        common: &Arc<Common>,
        config: HttpConfig,
        built: client::Built,
        policies: crate::resilience::stack::Policies,
        oauth2: Option<Arc<oauth2::TokenSource>>,
    ) -> Inner {
        Inner {
            common: Arc::clone(common),
            config: Arc::new(config),
            base: built.base,
            health_url: built.health_url,
            client: built.client,
            origin_credentials: built.origin_credentials,
            host_requests: built.host_requests,
            oauth2,
            policies,
        }
    }
}

impl Live {
    pub(crate) fn name(&self) -> &str {
        &self.0.common.name
    }

    pub(crate) fn config(&self) -> &HttpConfig {
        &self.0.config
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.0.client
    }

    /// Sends a request built on [`client`](Live::client), or hands it to the stub.
    pub(crate) async fn send_raw(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.0.common.transport.send(request).await
    }

    pub(crate) fn base(&self) -> &url::Url {
        &self.0.base
    }

    /// What the health check requests: `health.path` joined onto the base URL.
    pub(crate) fn health_url(&self) -> &url::Url {
        &self.0.health_url
    }

    /// The credential headers a `per_host` connection adds to requests on its base URL's
    /// origin (empty otherwise: the client sends them by default).
    pub(crate) fn origin_credentials(&self) -> &reqwest::header::HeaderMap {
        &self.0.origin_credentials
    }

    /// The OAuth2 token source of `auth.oauth2`, if set.
    pub(crate) fn oauth2(&self) -> Option<&oauth2::TokenSource> {
        self.0.oauth2.as_deref()
    }

    pub(crate) fn telemetry(&self) -> &Telemetry {
        &self.0.common.telemetry
    }

    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.0.common.lifecycle
    }

    /// What a request to `host` (`host:port`) adds, when `hosts` names it.
    fn host_request(&self, host: &str) -> Option<&hosts::HostRequest> {
        self.0.host_requests.find(host)
    }

    /// Whether requests are keyed by host (`per_host`).
    pub(crate) fn is_per_host(&self) -> bool {
        self.0.config.per_host
    }

    fn policies(&self) -> &crate::resilience::stack::Policies {
        &self.0.policies
    }
}

impl Connection for HttpConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::HTTP.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::HTTP.schemes;
    type Config = HttpConfig;

    async fn connect(name: &str, config: HttpConfig) -> Result<Self, ConnectError> {
        let connection = HttpConnection::build(name, config, stub::Transport::Network)?;
        tracing::debug!(connection = name, url = %connection.base_url(), "http connection set up");
        Ok(connection)
    }

    /// Marks the connection closed, so new requests fail with
    /// [`CallError::Closed`](crate::CallError::Closed), then waits (at most 30 s) for requests
    /// already being sent to get their response. Pooled connections are released when
    /// `pool.idle_timeout` passes, or when the last handle of the last connection sharing the
    /// client (same transport settings) is dropped.
    async fn close(&self) {
        if self.handle.common.lifecycle.close(DRAIN_LIMIT).await {
            tracing::debug!(connection = self.name(), "http connection closed");
        }
    }

    async fn health(&self) -> crate::Health {
        health::check(&self.live()).await
    }

    super::handle::handle_methods!(telemetry = handle.common.telemetry, reload, fleet);

    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        self.live().policies().fleet_breaker.clone()
    }
}

impl fmt::Debug for HttpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::handle::fmt_handle(f, "HttpConnection", self.name(), &self.live().config().url)
    }
}
