//! # connfx
//!
//! Declare a service's outside connections once, as an annotated struct, and get typed loading
//! (defaults < files < environment), validation at compile time and at boot, a registry of live
//! connections with health checks, typed accessors, resilience settings and a JSON Schema.
//!
//! ## Contents
//! - [The derive](#the-derive)
//! - [Plain settings](#plain-settings)
//! - [Sources and names](#sources-and-names)
//! - [Switching a policy](#switching-a-policy)
//! - [Errors](#errors)
//! - [Health monitor and probes](#health-monitor-and-probes)
//! - [Decisions](#decisions) where the design left a choice open
//!
//! ## The derive
//!
//! ```no_run
//! use connfx::prelude::*;
//!
//! /// Connections of the checkout service.
//! #[derive(Connections)]
//! #[connections(env_prefix = "CHECKOUT", file = "config/connections.toml")]
//! pub struct Conns {
//!     /// Payment provider API.
//!     #[connection(protocol = "http", url = "https://api.pay.example/v1", timeout = "10s",
//!                  retry(max_attempts = 3, initial_interval = "100ms", multiplier = 2.0, jitter = 0.2))]
//!     payments: HttpConnection,
//!     /// Orders database. No default URL: the deployment must provide one.
//!     #[connection(protocol = "sql", pool(max_size = 20))]
//!     orders: SqlConnection,
//! }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let conns = Conns::connect().await?;
//! let body = conns.payments().get("/charges/ch_1").send().await?.text().await?;
//! println!("{}", conns.health().await);
//! conns.close().await;
//! # Ok(()) }
//! ```
//!
//! ## Plain settings
//!
//! A field marked `#[setting]` is a plain value of the app's configuration beside its
//! connections: any `Deserialize + Serialize + JsonSchema + Clone + Debug` type (a number, a
//! string, a list, your own struct). It is loaded by the same loader — `default = …` in the
//! attribute < files < `<PREFIX>_CONFIG_FILE` < `<PREFIX>_<FIELD>` (nested keys joined by `_`) —
//! with the same errors, and shows in `json_schema()`, `env_vars()`, `explain` and the CLI. Its
//! doc comment is its description, `#[validate(...)]` rules (the `validator` crate's) run at
//! every load and their bounds go into the schema, `secret` hides it everywhere connfx prints
//! it, and an accessor of the same name hands it out typed.
//!
//! ```no_run
//! use connfx::prelude::*;
//!
//! #[derive(Clone, Debug, serde::Deserialize, serde::Serialize, schemars::JsonSchema, validator::Validate)]
//! pub struct Listen {
//!     /// The address to bind.
//!     pub host: String,
//!     /// Seconds to drain calls on shutdown.
//!     #[validate(range(max = 600))]
//!     pub drain_seconds: u32,
//! }
//!
//! #[derive(Connections)]
//! #[connections(env_prefix = "SHOP")]
//! pub struct App {
//!     #[connection(url = "https://api.pay.example/v1")]
//!     payments: HttpConnection,
//!     /// The port to serve on: `SHOP_PORT`, `port = 9090` in a file.
//!     #[setting(default = 8080)]
//!     #[validate(range(min = 1024))]
//!     port: u16,
//!     /// `[listen]` in a file, `SHOP_LISTEN_HOST`, `SHOP_LISTEN_DRAIN_SECONDS`.
//!     #[setting]
//!     #[validate(nested)]
//!     listen: Listen,
//!     /// Never printed: `[redacted]` in `explain`, `env`, errors and `Debug`.
//!     #[setting(secret)]
//!     cookie_key: String,
//! }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let app = App::connect().await?;
//! let port: u16 = *app.port();
//! # Ok(()) }
//! ```
//!
//! ## Sources and names
//!
//! Priority, lowest first: attribute defaults (and each config type's own defaults) → files in
//! the order given (TOML, YAML or JSON by extension) → the file named by `<PREFIX>_CONFIG_FILE` →
//! environment variables `<PREFIX>_<CONNECTION>_<KEY>` (nested keys joined by `_`, upper case).
//! See [`Sources`] for tests that must not touch the process environment.
//!
//! ## Switching a policy
//!
//! Each policy group — `retry`, `circuit_breaker`, `rate_limit`, `bulkhead` — has the key
//! `enabled`, and every source reads it the same way (this is the one statement of the rule):
//!
//! - a policy is **off until some source names it**: the attribute, a file or the environment
//!   sets any of its keys (`retry(max_attempts = 5)`, `[payments.retry]`,
//!   `CHECKOUT_PAYMENTS_RETRY_MAX_ATTEMPTS=5`); the keys it does not set take their defaults;
//! - **`enabled = true`** names it too: the policy runs with every key at its default;
//! - **`enabled = false`** switches it off, whatever its other keys say and whichever source
//!   set them; a later source's `enabled = true` switches it back on with those keys;
//! - like every key, the latest source's `enabled` wins, and only an `enabled` undoes an
//!   `enabled`: an environment variable setting another key of a group a file switched off
//!   leaves it off.
//!
//! ```no_run
//! use connfx::prelude::*;
//!
//! #[derive(Connections)]
//! #[connections(env_prefix = "CHECKOUT")]
//! struct Conns {
//!     // On here; `[payments.retry] enabled = false` in a file or
//!     // `CHECKOUT_PAYMENTS_RETRY_ENABLED=false` switches it off for one deployment.
//!     #[connection(url = "https://api.pay.example/v1", retry(max_attempts = 4),
//!                  circuit_breaker(enabled = false, failure_threshold = 3))]
//!     payments: HttpConnection,
//! }
//! ```
//!
//! Registry targets read `CONN_TARGETS_<NAME>_PROPERTIES_RETRY_ENABLED` and
//! `[targets.<name>.properties.retry] enabled`. A policy built on its own (`Retry::new`,
//! `CircuitBreaker::new`, the tower layers) is what you built: `enabled` is read where a
//! connection turns its config into its policies. The env template (`env`, [`EnvVar`]) shows
//! `…_ENABLED=false` for each policy that is off, so any of its lines can be set as shown without
//! switching a policy on.
//!
//! ## Errors
//!
//! A load reports every problem at once in a [`ConfigError`]; each [`ConfigIssue`] has the config
//! path, the [`ValueSource`] and a message worded exactly like the derive's compile-time error
//! for the same mistake. No secret value (passwords, tokens, URL credentials, credential headers)
//! appears in an error, a `Debug`, a log line, a health report or a schema.
//!
//! ## Health monitor and probes
//!
//! [`Registry::monitor`] checks every connection in a background task, keeps the last
//! [`HealthReport`] and emits a [`HealthEvent`] whenever a connection changes state (by
//! broadcast and by callback). Connections are critical unless declared
//! `health(critical = false)`; [`HealthReport::ready`] asks that every critical one be `Ready`
//! or `Live`. With the `axum` feature, `probe::router` serves `/health/live` and
//! `/health/ready` for Kubernetes from the monitor's last report.
//!
//! ```no_run
//! use std::time::Duration;
//! use connfx::prelude::*;
//!
//! #[derive(Connections)]
//! #[connections(env_prefix = "CHECKOUT")]
//! struct Conns {
//!     #[connection(protocol = "http", url = "https://api.pay.example/v1")]
//!     payments: HttpConnection,
//!     /// Nice to have: its outage must not take the service out of rotation.
//!     #[connection(protocol = "http", url = "https://avatars.example", health(critical = false))]
//!     avatars: HttpConnection,
//! }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let conns = Conns::connect().await?;
//! let monitor = conns.registry().monitor(Duration::from_secs(10));
//! monitor.on_change(|event| {
//!     eprintln!("{}: {} -> {} ({})", event.connection, event.from, event.to, event.health.message);
//! });
//! let mut changes = monitor.subscribe();
//! while let Ok(event) = changes.recv().await {
//!     if event.critical && !event.to.is_up() {
//!         eprintln!("not ready:\n{}", monitor.report().unwrap_or_default());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Decisions
//!
//! - **A `#[setting]` is read once, at start.** Its accessor hands out a reference (`&u16`), as
//!   the issue asked, so a reload cannot change it under a caller: a reload that changes a
//!   setting is refused, naming it, like a connection added at run time. A setting's `default`
//!   is checked at compile time where the type is a primitive the derive can name (`u16`,
//!   `f64`, `bool`, `String`; rustc itself then refuses `70000` for a `u16`); any other type
//!   takes its default through its own `Deserialize` at boot. A list comes from a file, or from
//!   the environment as a JSON array. A struct must keep at least one connection: a struct of
//!   settings alone has nothing to connect.
//! - **config-rs and figment are layers, not the loader.** [`Sources::config`] and
//!   [`Sources::figment`] take a configuration the service already builds and read it, one
//!   table per origin the library recorded, as a file's table is read: the same checks and
//!   messages, the origin in [`ValueSource::Layer`]. Text where a number, a switch, a map or a
//!   list is expected is parsed as a variable's text, because config-rs's environment gives only
//!   text. The layer takes its place in the order it is added; connfx's environment still comes
//!   last. A registry reads files and the environment only and refuses such a layer.
//! - **Files are parsed directly** (`toml`, `serde_yaml_ng`, `serde_json`), not through the
//!   `config` crate: the loader must know, for every value, which file it came from, and must be no
//!   slower than `config` alone; layering `config` underneath could not be (see `BENCHMARKS.md`).
//! - **A map-valued key** (`headers`) is replaced whole by a later source, not merged key by key,
//!   so an environment variable's JSON object is the complete set.
//! - **Policies are off until declared**, and `enabled` switches each one on or off from any
//!   source (see [Switching a policy](#switching-a-policy)): a service declares the policies it
//!   wants, a deployment can turn one off without deleting its settings.
//! - **A reload changes the handle everyone holds**, not a copy: the derived struct's field,
//!   the registry's entry and every clone see new settings, while each call keeps the settings
//!   it started with to its end (no lock: a call takes its generation from a thread-local
//!   cache of weak references, checked by one atomic load, and from an `ArcSwap` only when the
//!   generation is new to its thread, so reload support costs a call what an `Arc` clone
//!   costs; `reload/current.rs` says why this is right). So the accessors
//!   of every connection that reloads (HTTP, GraphQL, SSE, WebSocket, SQL, Redis) give owned
//!   values (`config()` an `Arc` of its config, `breaker()` a `CircuitBreaker` handle, `pool()`
//!   a pool handle), not references into settings a reload replaces. A pool or manager handle
//!   taken before a reload that reconnects is the old one, closed once no call holds it.
//!   Policies change in place rather than being rebuilt, so an open breaker stays open and a
//!   limit keeps its tokens; the rate limit is GCRA written here (`resilience/rate_limit/gcra.rs`)
//!   because governor's rate is fixed at construction and its state cannot be read.
//! - **A struct's reload is all or nothing, and compares what it loaded**: `conns.reload`
//!   prepares every changed connection (clients built, policies checked) before it applies any,
//!   so one refusal leaves every connection as it was. It compares the new load with the
//!   configuration the struct last loaded (at `connect` or its last reload), key by key as the
//!   config type serializes it, so `timeout = "1s"` and `timeout.total = "1s"` are no change. A
//!   connection added or removed needs a restart: the fields are the struct's shape, and code
//!   holding `conns.audit()` as `None` could not see it appear. A protocol that cannot yet change
//!   a key live refuses the reload rather than ignoring the key.
//! - **Watching is always compiled in** (`notify`, tokio's `signal`): `watch` is a method of
//!   every derived struct, and a generated method cannot depend on a feature of this crate. The
//!   cost is two small dependencies. A watch looks at the files' folders, not the files, because
//!   editors and Kubernetes replace a file by renaming another onto it. The environment of a
//!   running process cannot change, so a watch re-reads files; the README says how a platform
//!   delivers a change (a file and SIGHUP, or `conns.reload` from its own hook).
//! - **`timeout = "10s"`** is the total time of a call, retries included, wherever it is
//!   written: the attribute, a file (`timeout = "10s"`, `timeout: 10s`), the environment
//!   (`APP_API_TIMEOUT`) or a registry target's properties. The shorthand is declared once with
//!   the group (`shorthand [total]`) and read by one rule; the JSON Schema takes either form. Its
//!   variable is not listed by `env_vars()` (each key is listed once, as `…_TIMEOUT_TOTAL`), and
//!   setting both is an error rather than a silent precedence.
//! - **A message speaks the syntax of its source**: a value in a TOML file is told about in
//!   TOML (a table, `retry = { max_attempts = ... }`), in YAML as a mapping, in JSON as an
//!   object, a variable by its name as written, the attribute as `retry(...)`. `explain` and
//!   every problem name the source: `attribute Checkout` for a value of the struct's
//!   `#[connection(...)]`, `default` for a type's own default.
//! - **Every calling connection has a total timeout, 30 s unless set** (HTTP, GraphQL, SQL,
//!   Redis: [`CallTimeoutConfig::total`], never unset). Without one, a call to a peer that
//!   accepts and then stays silent held its caller, a bulkhead slot and a pooled connection for
//!   ever (an HTTP connection had no limit at all; Redis only a 500 ms per-try fallback, now
//!   gone: the total bounds every try). 30 s is the overall default of seed 001 and the lower
//!   end of the 30–60 s it recommends; it is far above the default retry schedule (3 tries,
//!   waits of 100 ms and 200 ms, `max_interval` 10 s) and the 5 s `pool.acquire_timeout` and
//!   `health.timeout`, so it only ends calls that are stuck, not slow ones that would succeed.
//!   A longer job says so (`timeout = "10m"`, up to a year); a caller's shorter `.timeout()`
//!   still wins. Streams (WebSocket, SSE) and OTLP keep an optional total: theirs is not a call.
//! - **Retry comes with a budget, 20 % unless set** (`retry(budget = 0.2)`, plus
//!   `min_retries_per_sec = 10`), as reqwest 0.13's retry does by default: without one, an
//!   outage multiplies the load on the failing peer by `max_attempts` (3×) just when it can
//!   least take it. `budget = 1` allows a retry per request; [`RetryConfig::budget`] set to
//!   `None` in code is the only way to have none.
//! - **No duration is longer than a year** ([`connfx_spec::MAX_DURATION`]), and a key whose
//!   runtime keeps less says so in the key table (a circuit breaker's open period and window: 30
//!   days, its `slow_call_duration`: 1 hour, all kept as `u32`). tokio's `Instant` adds far more
//!   (its `std` clock holds `i64` seconds: 292 billion years), but a rate limit keeps `u64`
//!   nanoseconds (584 years) and multiplies its spacing of calls by its burst, sqlx and the
//!   policies add timeouts to `Instant::now()`, and the backoff multiplies intervals: a value
//!   accepted at load once panicked in `connect` or on a call. A year is longer than any
//!   connection setting needs and leaves a margin of 500 times below 584 years. The loader (files
//!   and env), the derive, `Registry::add` and `check` refuse a longer value with the key, its
//!   source and the longest allowed (``rate_limit.per (env APP_API_RATE_LIMIT_PER): `per` must
//!   be at most 1year, found `"99999999999y"` ``); nothing is clamped. A rate limit must also fit
//!   its clock: at most one call a nanosecond, and a full burst refilled within a year. The
//!   `edges` test sets every numeric and duration key of an HTTP and a SQL connection to the
//!   edges of its kind and connects and calls with each value the loader accepts.
//! - **HTTP error statuses**: `send()` returns [`CallError::Status`] for statuses ≥ 400, with the
//!   start of the body.
//! - **One policy stack for every calling protocol**: rate limit → bulkhead → total timeout →
//!   retry (with budget) → circuit breaker → per-attempt timeout → the protocol's try, written
//!   once (the crate-private `resilience::stack`, whose docs give the reasons for the order).
//!   HTTP (and GraphQL on it), SQL (`run`, `run_idempotent`) and Redis (commands, pipelines)
//!   each supply only how to make one try and what its failure means, as one
//!   [`Outcome`](resilience::Outcome) that retry and breaker both read; so every policy
//!   group is valid on each of them. The deadline is passed along with the call; a caller's own
//!   [`Deadline::scope`](resilience::timeout::Deadline::scope) is still honoured. WebSocket and
//!   SSE reconnect on the `retry` backoff but take no breaker, rate limit or bulkhead: their
//!   "calls" are long-lived streams, and those keys are unknown keys there (compile time and boot).
//! - **One vocabulary for the policies**: a try's result is one [`resilience::Outcome`]
//!   (connect, timeout, transport, a status, a refusal, another failure, or `Failed` for an
//!   `Err` that says no more), read off a result by one [`resilience::Classify`] trait. Retry
//!   and circuit breaker each interpret it by one documented rule (retry: `retry_on` and the
//!   idempotency rules; breaker: a success or a status below `server_error_threshold` counts as
//!   a success, `Other` is not counted, the rest are failures), so one classifier serves the
//!   connections' stack, the tower layers and `CircuitBreaker::call_with` alike. Every
//!   policy's `try_new` refuses a config with one error, [`resilience::InvalidConfig`].
//! - **Each group and protocol is declared once**, in `connfx-spec` (`connfx_spec::declare`): a
//!   `macro_rules!` per group (`retry(...)`, `pool(...)` …) and per protocol holds the docs,
//!   field types, defaults, kinds, bounds and rules, and hands them to two callbacks — the
//!   spec's key table, which the derive checks literals against at compile time, and the
//!   runtime's config struct (serde, schema, `Default`, checks). A declarative macro rather than
//!   generated code: no build step, and the declaration reads like the struct it makes. The
//!   bounds and rules are checked by one function for every group; the env-name rule is one
//!   function (`connfx_spec::env`) used by the derive, the loader and the registry.
//! - **HTTP keeps every idle connection** until `pool.idle_timeout` (90 s), as a default
//!   `reqwest::Client` does; `pool.max_size` caps it only when set. A cap below the requests in
//!   flight closes and reopens connections on every burst (the former cap of 10 ran at 40 % of
//!   reqwest's throughput with 32 in flight). HTTP's pool is an [`HttpPoolConfig`], so SQL's
//!   [`PoolConfig`] keeps `max_size = 10`.
//! - **HTTP and SSE connections with equal transport settings share one `reqwest::Client`**
//!   (user agent, default headers and auth, timeouts, pool, TLS files by contents), held weakly
//!   by a process-wide cache: building a client (TLS verifier and roots) was most of the time
//!   and memory of connecting. See `BENCHMARKS.md`, session 6.
//! - **SQL connections hold typed sqlx pools** (`PgPool`, `MySqlPool`, `SqlitePool`), not an
//!   `AnyPool`; the policies apply to closures run with `SqlConnection::run`, and a closure is
//!   not called for a try the breaker turns away. See the `protocol::sql` module's decisions.
//! - **GraphQL rides on HTTP** (feature `graphql`): a `GraphqlConnection` is an HTTP connection
//!   to one endpoint, with the same config type and policy stack; an answer with `errors` is
//!   `CallError::Graphql`, not a transport failure. See the `protocol::graphql` docs.
//!   Subscriptions go over a WebSocket connection speaking `graphql-transport-ws`
//!   (`GraphqlSubscriptions`, features `graphql` and `websocket`), resent on every new socket;
//!   see the `protocol::graphql::subscription` docs.
//! - **Typed and dynamic access**: `conns.registry()` returns a [`Registry`] holding handles to the
//!   same live connections (connection types are cheap `Arc` handles).
//! - **A derived struct owns one registry for its life**: `connect` builds it once;
//!   `registry()`, `health()` and `close()` all use it, so `close()` also ends the monitors
//!   started from `registry()`. The derive cannot add a field to the user's struct, so the
//!   registry is kept in the struct's connection handles ([`registry::RegistrySlot`]); a clone
//!   of a handle, and so every handle the registry stores, has an empty slot, which keeps the
//!   registry from holding itself (no `Arc` cycle: it is freed with the struct, or with the last
//!   registry handle or monitor that outlives it). A process-wide table was the other way, but
//!   nothing in a moved struct can key it. A clone of the struct (its handles' slots empty) gets
//!   a registry of its own at its first `registry()` call. A struct none of whose connections
//!   has a slot (only adapters without one, or every optional connection absent) builds a
//!   registry per call.
//! - **Registry lookups are by hash**: `get` costs the same at 1,000 connections as at 10;
//!   names keep the order they were first added in (`names()`, health reports).
//! - **OTLP connections install nothing global** (feature `otlp`): one `OtlpConnection` holds the
//!   tracer, meter and logger providers of one resource, and `tracing` reaches it through the
//!   layer it hands out, so several collectors can be fed side by side. Its decisions are in the
//!   `protocol::otlp` docs.
//! - **Telemetry goes through the app's own OTLP connection**: a derived struct's `connect` (and
//!   `RegistryConfig::connect`) binds every connection's [`telemetry`] to the first OTLP
//!   connection it holds, in one explicit step ([`Registry::export_telemetry`]), never as a side
//!   effect of building a registry or inserting into it; without one nothing is recorded. Spans are plain `tracing` spans, so they go where
//!   the application's subscriber sends them. See the [`telemetry`] module for names.
//! - **`close` drains, then flushes**: connections refuse new calls and wait for those in
//!   flight; OTLP connections close last, so the last calls' telemetry is exported.
//! - **Streams reconnect by themselves** (features `websocket`, `sse`): a WebSocket connection
//!   keeps one socket open in a background task and reopens it on the `retry` backoff, with
//!   events (`subscribe`, `on_reconnect`); sends made while it reopens wait for the new socket
//!   (bounded by `timeout.total`) rather than fail or vanish. SSE streams reopen with
//!   `Last-Event-ID` after the server's `retry:` delay, so each event arrives once. Neither
//!   does network I/O in `connect`. See the `protocol::websocket` and `protocol::sse` decisions.
//! - **Every connection is critical by default** (`health(critical = true)`): leaving a
//!   dependency out of readiness is the exception a service declares. The health monitor and
//!   the probes have their decisions in the [`HealthMonitor`] and `probe` module docs.
//! - **An operator CLI comes with the derive** (feature `cli`): `connfx::cli::run::<Conns>()`
//!   or the clap subcommand `connfx::cli::Command` gives `check [--probe]`, `schema`, `env` and
//!   `explain` for any derived struct, through the [`config::ConnectionSet`] trait the derive
//!   implements (which also connects the set, for the probe). Exit codes: 0 ok, 1 a connection
//!   down, 2 invalid configuration. See the `cli` module's decisions.
//! - **A fleet rate limit lives in a Redis connection the app already declares**
//!   (`rate_limit(scope = "fleet", store = "cache")`), bound by the registry at connect, rather
//!   than in a Redis client of its own: one set of Redis settings, one health entry, and the
//!   store's name checked at compile time. Its state is GCRA on Redis's clock (instances' clocks
//!   may differ), changed by one script; `lease` defaults to 1 (exact, one round trip a call),
//!   because a lease trades accuracy for speed and that trade is the user's to make. While the
//!   store is down each instance keeps `requests / instances` with the instance count last seen
//!   (an instance counts for 10 s after its last round trip), and the state is handed over both
//!   ways so an outage never grants a second burst. The fleet's retry budget settles every
//!   100 ms in the background (a call never waits on Redis), and a fleet breaker is a quorum of
//!   local breakers (votes every 250 ms) rather than one shared state, so one instance's bad
//!   network cannot open it for all and a store outage leaves each instance its own breaker.
//! - **A fleet store that stops answering makes its users `live`, not `error`**: the connection
//!   still serves on its policy's fallback, so it should not fail readiness by itself (the
//!   store's own health entry, usually critical, says the store is down). `quorum_share` adds to
//!   `quorum` rather than replacing it: the fleet opens at `max(quorum, ⌈share × live⌉)` votes,
//!   so a fleet shrunk to one instance is not opened by that one alone unless `quorum = 1`.
#![forbid(unsafe_code)]
// docs.rs (nightly) badges each item with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
mod conn_url;
mod connection;
mod duration;
mod error;
mod health;
mod lifecycle;
#[cfg(feature = "axum")]
pub mod probe;
#[cfg(feature = "prometheus")]
pub mod prometheus;
pub mod protocol;
pub mod registry;
pub mod reload;
pub mod resilience;
mod secret;
pub mod settings;
mod table;
pub mod telemetry;
pub use telemetry::CallStats;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use config::{ConfigError, ConfigIssue, EnvVar, Sources, ValueSource};
pub use conn_url::ConnUrl;
pub use connection::{Connection, ConnectionConfig};
pub use duration::HumanDuration;
pub use error::{CallError, ConnectError, ConnectFailure, Error};
pub use health::{Health, HealthEntry, HealthReport, HealthState};
#[cfg(all(feature = "graphql", feature = "websocket"))]
pub use protocol::graphql::GraphqlSubscriptions;
#[cfg(feature = "graphql")]
pub use protocol::graphql::{
    GraphqlConfig, GraphqlConnection, GraphqlError, GraphqlRequest, GraphqlResponse,
};
#[cfg(feature = "http")]
pub use protocol::http::{
    BodyStream, HostConfig, HostTable, HttpConfig, HttpConnection, HttpPoolConfig, HttpRequest, HttpResponse,
};
#[cfg(feature = "otlp")]
pub use protocol::otlp::{OtlpConfig, OtlpConnection};
#[cfg(feature = "redis")]
pub use protocol::redis::{RedisCall, RedisConfig, RedisConnection};
#[cfg(feature = "sql")]
pub use protocol::sql::{SqlConfig, SqlConnection, SqlPool};
#[cfg(feature = "sse")]
pub use protocol::sse::{SseConfig, SseConnection, SseEvent, SseRequest, SseStream};
#[cfg(feature = "websocket")]
pub use protocol::websocket::{WebSocketConfig, WebSocketConnection, WebSocketEvent, WebSocketMessage};
pub use registry::{HealthEvent, HealthMonitor, Registry};
pub use reload::{Applied, ReloadReport};
pub use resilience::{
    Bulkhead, BulkheadConfig, CallTimeoutConfig, CircuitBreaker, CircuitBreakerConfig, CircuitBreakerGroup,
    CircuitState, Deadline, KeyedRateLimit, RateLimit, RateLimitConfig, Retry, RetryBudget, RetryConfig,
    Timeout, TimeoutConfig,
};
pub use secret::Secret;
pub use settings::{
    AuthConfig, Headers, HealthCheckConfig, OAuth2ClientAuth, OAuth2Config, PoolConfig, SecretHeaders,
    TlsConfig,
};

/// The OpenTelemetry API version connfx's OTLP connections are built on.
#[cfg(feature = "otlp")]
pub use opentelemetry;
/// The OpenTelemetry SDK version connfx's OTLP connections are built on.
#[cfg(feature = "otlp")]
pub use opentelemetry_sdk;
/// The redis crate version connfx's Redis connections are built on.
#[cfg(feature = "redis")]
pub use redis;
/// The reqwest version connfx's HTTP connections are built on.
#[cfg(feature = "http")]
pub use reqwest;
/// The sqlx version connfx's SQL connections are built on.
#[cfg(feature = "sql")]
pub use sqlx;

/// `#[derive(Connections)]`: see the [crate docs](crate#the-derive).
pub use connfx_macros::Connections;

/// Everything a service needs in one `use connfx::prelude::*;`.
pub mod prelude {
    pub use crate::{
        CallError, ConfigError, Connection, Connections, Error, HealthReport, HealthState, Registry, Sources,
    };
    #[cfg(feature = "graphql")]
    pub use crate::{GraphqlConfig, GraphqlConnection};
    #[cfg(feature = "http")]
    pub use crate::{HttpConfig, HttpConnection};
    #[cfg(feature = "otlp")]
    pub use crate::{OtlpConfig, OtlpConnection};
    #[cfg(feature = "redis")]
    pub use crate::{RedisConfig, RedisConnection};
    #[cfg(feature = "sql")]
    pub use crate::{SqlConfig, SqlConnection};
    #[cfg(feature = "sse")]
    pub use crate::{SseConfig, SseConnection, SseEvent};
    #[cfg(feature = "websocket")]
    pub use crate::{WebSocketConfig, WebSocketConnection, WebSocketMessage};
}
