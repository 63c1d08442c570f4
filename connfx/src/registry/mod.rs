//! The [`Registry`]: live connections by name, with concurrent health checks and graceful close.

mod config;
mod dynamic;
mod entry;
mod monitor;
mod seed_names;

pub use config::{RegistryConfig, TARGETS_PREFIX};
pub use dynamic::{AdapterFactory, TargetConfig};
pub use monitor::{HealthEvent, HealthMonitor, MIN_MONITOR_INTERVAL};

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::watch;

use crate::{Connection, Health, HealthEntry, HealthReport};
use entry::Entry;

/// How long `close()` waits for all connections together.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Live connections by name. Cloning gives another handle to the same registry.
///
/// Typed structs (`conns.registry()`) and the dynamic side (`Registry::from_env()`, `add`) share
/// this type.
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
    entries: RwLock<Vec<(String, Entry)>>,
    adapters: RwLock<BTreeMap<String, AdapterFactory>>,
    /// Turns `true` when `close()` starts, so background work on the registry (a
    /// [`HealthMonitor`]) ends with it.
    closed: watch::Sender<bool>,
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

    /// Adds (or replaces) a live connection under `name`.
    pub fn insert<T: Connection>(&self, name: impl Into<String>, connection: T) {
        self.push(name.into(), Entry::new(connection));
    }

    /// The connection called `name`, as type `T` (a cheap handle to the same live connection).
    ///
    /// # Errors
    /// [`LookupError`] if there is none, or it is of another type.
    pub fn get<T: Connection>(&self, name: &str) -> Result<T, LookupError> {
        let entries = self.entries();
        let (_, entry) = entries
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| LookupError::NotFound(name.into()))?;
        entry.downcast::<T>().ok_or(LookupError::WrongType {
            name: name.into(),
            protocol: entry.protocol(),
        })
    }

    /// The names of all connections, in the order they were added.
    pub fn names(&self) -> Vec<String> {
        self.entries().iter().map(|(n, _)| n.clone()).collect()
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

    /// Closes every connection in parallel, waiting at most [`CLOSE_TIMEOUT`] in all. A
    /// [`HealthMonitor`] of the registry stops first (see [`Registry::monitor`]).
    pub async fn close(&self) {
        self.inner.closed.send_replace(true);
        let entries = self.snapshot();
        let closing = join_all(entries.iter().map(|(_, entry)| entry.close()));
        if tokio::time::timeout(CLOSE_TIMEOUT, closing).await.is_err() {
            tracing::warn!(timeout = ?CLOSE_TIMEOUT, "connections did not close in time");
        }
    }
}

impl Registry {
    /// The entries as they are now; checks and closes run on this copy, without holding the lock.
    fn snapshot(&self) -> Vec<(String, Entry)> {
        self.entries().clone()
    }

    /// Sees `true` once `close()` has started.
    fn closed_signal(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    fn entries(&self) -> std::sync::RwLockReadGuard<'_, Vec<(String, Entry)>> {
        // A panic while holding the lock leaves the list itself intact: keep using it.
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
