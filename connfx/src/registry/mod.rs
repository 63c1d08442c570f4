//! The [`Registry`]: live connections by name, with concurrent health checks and graceful close.

mod builtin;
mod config;
mod dynamic;
mod entry;
#[cfg(feature = "redis")]
mod fleet;
#[cfg(feature = "redis")]
pub(crate) use fleet::unknown_stores;
mod monitor;
mod reload;
mod seed_env;
mod seed_names;
mod slot;
mod store;

pub use config::{RegistryConfig, TARGETS_PREFIX};
pub use dynamic::{AdapterFactory, TargetConfig};
pub use monitor::{HealthEvent, HealthMonitor, MIN_MONITOR_INTERVAL};
pub use seed_env::SeedEnv;
pub use slot::RegistrySlot;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::watch;

use crate::{Connection, Health, HealthEntry, HealthReport};
use entry::Entry;
use store::Store;

/// How long `close()` waits for all connections together.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Live connections by name. Cloning gives another handle to the same registry.
///
/// Typed structs (`conns.registry()`) and the dynamic side (`Registry::from_env()`, `add`) share
/// this type. A derived struct owns one registry for its life: `conns.registry()` returns a
/// handle to the same one every time, and `conns.close()` closes it (see [`RegistrySlot`]).
/// Looking a connection up by name is one hash lookup, whatever the number of connections.
///
/// ```
/// # async fn demo(api: connfx::HttpConnection) {
/// let registry = connfx::Registry::new();
/// registry.insert("api", api);
/// let api: connfx::HttpConnection = registry.get("api").unwrap();
/// println!("{}", registry.health().await);
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: RwLock<Store>,
    adapters: RwLock<BTreeMap<String, AdapterFactory>>,
    /// Turns `true` when `close()` starts, so background work on the registry (a
    /// [`HealthMonitor`]) ends with it.
    closed: watch::Sender<bool>,
    /// A derived struct's configuration as last loaded (by `connect` or a reload), as its
    /// config type serializes it: what the next reload compares with.
    loaded: std::sync::Mutex<Option<serde_json::Value>>,
    /// The targets a dynamic registry was built from (or last reloaded), for `Registry::reload`.
    targets: std::sync::Mutex<Option<RegistryConfig>>,
    /// One reload of the struct (or registry) at a time.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

/// Why [`Registry::get`] found nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No connection has that name.
    #[error("no connection named `{0}`")]
    NotFound(String),
    /// The connection exists but is of another type.
    #[error("connection `{name}` is a `{protocol}` connection, not the type asked for")]
    WrongType {
        /// The name asked for.
        name: String,
        /// The protocol of the connection found.
        protocol: &'static str,
    },
}

impl Registry {
    /// An empty registry with the built-in protocols' adapters.
    pub fn new() -> Self {
        let registry = Registry::default();
        dynamic::register_builtin(&registry);
        registry
    }

    /// Keeps a derived struct's configuration as loaded, for its next reload to compare with.
    pub(crate) fn keep_loaded(&self, config: serde_json::Value) {
        *self.inner.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some(config);
    }

    /// The configuration [`keep_loaded`](Registry::keep_loaded) kept, if any.
    pub(crate) fn loaded(&self) -> Option<serde_json::Value> {
        self.inner
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Keeps the targets of a dynamic registry, for its next reload to compare with.
    pub(crate) fn keep_targets(&self, targets: RegistryConfig) {
        *self.inner.targets.lock().unwrap_or_else(|e| e.into_inner()) = Some(targets);
    }

    /// The targets [`keep_targets`](Registry::keep_targets) kept, if any.
    pub(crate) fn running_targets(&self) -> Option<RegistryConfig> {
        self.inner
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for the struct's turn to reload; the turn lasts as long as the guard.
    pub(crate) async fn reload_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        Arc::clone(&self.inner.reloading).lock_owned().await
    }

    /// Adds a live connection under `name`; a connection already called `name` is replaced and
    /// the new one keeps its place in [`names`](Registry::names). Its telemetry is not bound
    /// here: see [`Registry::export_telemetry`].
    pub fn insert<T: Connection>(&self, name: impl Into<String>, connection: T) {
        self.push(name.into(), Entry::new(connection));
    }

    /// Binds the [`telemetry`](crate::telemetry) of every connection the registry holds to the
    /// meter of its first OTLP connection (feature `otlp`); a connection already exporting
    /// elsewhere keeps its meter. Without an OTLP connection it does nothing.
    ///
    /// Binding is this one explicit step, never a side effect of building a registry or adding
    /// to it: a derived struct's `connect` and [`RegistryConfig::connect`] call it once, when
    /// every connection is in; call it again after adding connections by hand.
    ///
    /// ```
    /// # async fn demo(api: connfx::HttpConnection, otel: connfx::OtlpConnection) {
    /// let registry = connfx::Registry::new();
    /// registry.insert("api", api);
    /// registry.insert("otel", otel);
    /// registry.export_telemetry();
    /// # }
    /// ```
    #[cfg(feature = "otlp")]
    pub fn export_telemetry(&self) {
        let entries = self.snapshot();
        if let Some(otlp) = entries
            .iter()
            .find_map(|(_, entry)| entry.downcast::<crate::OtlpConnection>())
        {
            Self::export_each(&entries, &otlp);
        }
    }

    /// [`export_telemetry`](Registry::export_telemetry) to the OTLP connection called `otlp`
    /// rather than the first: an app with several collectors (seed 000's
    /// `METRICS_OTLP_CONNECTION_NAME`, a registry file's `telemetry = "…"`) chooses which one
    /// receives connfx's own metrics.
    ///
    /// ```
    /// # async fn demo(business: connfx::OtlpConnection, ops: connfx::OtlpConnection) {
    /// let registry = connfx::Registry::new();
    /// registry.insert("otel-business", business);
    /// registry.insert("otel-ops", ops);
    /// registry.export_telemetry_to("otel-ops").unwrap();
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`LookupError`] when there is no connection called `otlp`, or it is not an OTLP one;
    /// nothing is bound then.
    #[cfg(feature = "otlp")]
    pub fn export_telemetry_to(&self, otlp: &str) -> Result<(), LookupError> {
        let collector = self.get::<crate::OtlpConnection>(otlp)?;
        Self::export_each(&self.snapshot(), &collector);
        Ok(())
    }

    /// Binds the telemetry of every connection not exporting yet to `meter` (an OpenTelemetry
    /// meter of your own, or `prometheus::PrometheusMetrics` through its `watch`, feature
    /// `prometheus`).
    ///
    /// ```
    /// use connfx::opentelemetry::metrics::MeterProvider as _;
    /// let provider = connfx::opentelemetry_sdk::metrics::SdkMeterProvider::default();
    /// connfx::Registry::new().export_telemetry_to_meter(&provider.meter("connfx"));
    /// ```
    #[cfg(feature = "otlp")]
    pub fn export_telemetry_to_meter(&self, meter: &opentelemetry::metrics::Meter) {
        for (_, entry) in self.snapshot() {
            if let Some(telemetry) = entry.telemetry() {
                telemetry.export_to(meter);
            }
        }
    }

    /// Binds each connection of `entries` not exporting yet to `otlp`'s meter.
    #[cfg(feature = "otlp")]
    fn export_each(entries: &[(String, Entry)], otlp: &crate::OtlpConnection) {
        let unbound: Vec<_> = entries
            .iter()
            .filter_map(|(_, entry)| entry.telemetry().filter(|t| !t.is_exported()))
            .collect();
        if !unbound.is_empty() {
            let meter = otlp.meter("connfx");
            unbound.iter().for_each(|telemetry| {
                telemetry.export_to(&meter);
            });
        }
    }

    /// Binds every connection's telemetry to the registry's OTLP connection; without the
    /// `otlp` feature there is none, so this does nothing.
    ///
    /// ```
    /// connfx::Registry::new().export_telemetry();
    /// ```
    #[cfg(not(feature = "otlp"))]
    pub fn export_telemetry(&self) {}

    /// Binds each fleet policy of the registry's connections — a rate limit or a circuit breaker
    /// with `scope = "fleet"`, a retry budget with `budget_scope = "fleet"` — to the Redis connection
    /// its store key names. A derived struct's `connect` and [`RegistryConfig::connect`] call it
    /// once every connection is in, and a reload after it has applied; call it again after
    /// adding connections by hand.
    ///
    /// ```
    /// connfx::Registry::new().bind_stores().unwrap();
    /// ```
    ///
    /// # Errors
    /// A [`ConnectError`](crate::ConnectError) naming each connection whose store is not in the
    /// registry or is not a Redis connection; the others are bound.
    pub fn bind_stores(&self) -> Result<(), crate::ConnectError> {
        #[cfg(feature = "redis")]
        fleet::bind_stores(self)?;
        Ok(())
    }

    /// The connection called `name`, as type `T` (a cheap handle to the same live connection).
    ///
    /// # Errors
    /// [`LookupError`] if there is none, or it is of another type.
    pub fn get<T: Connection>(&self, name: &str) -> Result<T, LookupError> {
        let entries = self.entries();
        let entry = entries
            .get(name)
            .ok_or_else(|| LookupError::NotFound(name.into()))?;
        entry.downcast::<T>().ok_or(LookupError::WrongType {
            name: name.into(),
            protocol: entry.protocol(),
        })
    }

    /// Whether `this` and `other` are handles to the same registry (as two calls of a derived
    /// struct's `registry()` are).
    ///
    /// ```
    /// use connfx::Registry;
    /// let registry = Registry::new();
    /// assert!(Registry::ptr_eq(&registry, &registry.clone()));
    /// assert!(!Registry::ptr_eq(&registry, &Registry::new()));
    /// ```
    pub fn ptr_eq(this: &Registry, other: &Registry) -> bool {
        Arc::ptr_eq(&this.inner, &other.inner)
    }

    /// The names of all connections, in the order they were first added.
    pub fn names(&self) -> Vec<String> {
        self.entries().ordered().iter().map(|(n, _)| n.clone()).collect()
    }

    /// Checks every connection concurrently, each bounded by its own health timeout.
    pub async fn health(&self) -> HealthReport {
        let entries = self.snapshot();
        let checks = entries.iter().map(|(name, entry)| async move {
            let started = Instant::now();
            let limit = entry.health_timeout();
            let health = match tokio::time::timeout(limit, entry.health()).await {
                Ok(health) => health,
                Err(_) => Health::error(started.elapsed(), format!("no answer within {limit:?}")),
            };
            #[cfg(feature = "redis")]
            let health = fleet::noted(entry, health);
            HealthEntry {
                name: name.clone(),
                protocol: entry.protocol(),
                health,
                critical: entry.critical(),
            }
        });
        HealthReport {
            entries: join_all(checks).await,
        }
    }

    /// Closes every connection gracefully, waiting at most [`CLOSE_TIMEOUT`] in all. A
    /// [`HealthMonitor`] of the registry stops first (see [`Registry::monitor`]); then each
    /// connection refuses new calls and waits for its calls in flight, in parallel, and the OTLP
    /// connections close last, so the telemetry of those last calls is flushed too.
    pub async fn close(&self) {
        self.inner.closed.send_replace(true);
        let entries = self.snapshot();
        let (telemetry, others): (Vec<_>, Vec<_>) =
            entries.iter().partition(|(_, entry)| entry.protocol() == "otlp");
        let closing = async {
            join_all(others.iter().map(|(_, entry)| entry.close())).await;
            join_all(telemetry.iter().map(|(_, entry)| entry.close())).await;
        };
        if tokio::time::timeout(CLOSE_TIMEOUT, closing).await.is_err() {
            tracing::warn!(timeout = ?CLOSE_TIMEOUT, "connections did not close in time");
        }
    }
}

impl Registry {
    /// The entry called `name`, if any.
    pub(crate) fn entry(&self, name: &str) -> Option<Entry> {
        self.entries().get(name).cloned()
    }

    /// The entries as they are now; checks and closes run on this copy, without holding the lock.
    fn snapshot(&self) -> Vec<(String, Entry)> {
        self.entries().ordered().to_vec()
    }

    /// Sees `true` once `close()` has started.
    pub(crate) fn closed_signal(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    fn entries(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        // A panic while holding the lock leaves the store itself intact: keep using it.
        self.inner.entries.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("connections", &self.names())
            .finish()
    }
}
