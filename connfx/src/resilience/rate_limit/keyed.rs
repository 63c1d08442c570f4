//! `KeyedRateLimit`: one limit per key (per host, say), each with its own stats.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use super::admit::{Admission, First};
use super::events::{Counters, event_of};
use super::gcra::{Cell, Origin, Rate};
use super::{KeyedEvent, RateLimitConfig, RateLimitStats, RateLimited};
use crate::resilience::Emitter;
use crate::resilience::InvalidConfig;
use crate::resilience::admission::Admit;

/// The same limit applied to each key separately: `requests` per `per` for every host a client
/// calls, say. Keys are independent: one key at its limit does not slow another. Stats are kept
/// per key ([`stats_for`](KeyedRateLimit::stats_for)) and in all. Cheap to clone; clones share
/// the limits.
///
/// ```
/// use std::time::Duration;
/// use connfx::RateLimitConfig;
/// use connfx::resilience::rate_limit::{KeyedRateLimit, RateLimitMode};
/// let per_host = KeyedRateLimit::new(RateLimitConfig {
///     requests: 1,
///     per: Duration::from_secs(60),
///     mode: RateLimitMode::Reject,
///     ..Default::default()
/// });
/// assert!(per_host.try_acquire(&"a.example").is_ok());
/// assert!(per_host.try_acquire(&"a.example").is_err());
/// assert!(per_host.try_acquire(&"b.example").is_ok(), "another host has its own limit");
/// assert_eq!(per_host.stats_for(&"a.example").unwrap().rejected, 1);
/// ```
pub struct KeyedRateLimit<K: Hash + Eq + Clone> {
    inner: Arc<Inner<K>>,
}

struct Inner<K: Hash + Eq + Clone> {
    origin: Origin,
    rate: Rate,
    /// Each key's limit; a key's is made on its first call (a read lock finds it after that).
    cells: RwLock<HashMap<K, Arc<Cell>>>,
    admission: Admission,
    counters: Counters,
    per_key: Mutex<HashMap<K, Arc<Counters>>>,
    events: Emitter<KeyedEvent<K>>,
}

impl<K: Hash + Eq + Clone> KeyedRateLimit<K> {
    /// The limit of `config`, for each key.
    pub fn new(config: RateLimitConfig) -> Self {
        let inner = Inner {
            origin: Origin::now(),
            rate: Rate::of(&config),
            cells: RwLock::default(),
            admission: Admission::of(&config),
            counters: Counters::default(),
            per_key: Mutex::default(),
            events: Emitter::new(),
        };
        KeyedRateLimit {
            inner: Arc::new(inner),
        }
    }

    /// Takes a permit for `key`, waiting for one as the mode allows.
    ///
    /// # Errors
    /// [`RateLimited`] when no permit is free in time.
    pub async fn acquire(&self, key: &K) -> Result<(), RateLimited> {
        let result = match self.inner.admission.first(|| self.check(key)) {
            First::Decided(result) => result,
            First::Wait { retry_in, bound } => Admission::wait(retry_in, bound, || self.check(key)).await,
        };
        self.record(key, result)
    }

    /// The layer's admission for `key`: the same decision as [`acquire`](Self::acquire); only a
    /// call that must wait for its turn allocates (its wait).
    pub(crate) fn admit(&self, key: K) -> Admit<(), RateLimited>
    where
        K: Send + Sync + 'static,
    {
        match self.inner.admission.first(|| self.check(&key)) {
            First::Decided(result) => Admit::now(self.record(&key, result)),
            First::Wait { retry_in, bound } => {
                let limit = self.clone();
                Admit::after(async move {
                    let result = Admission::wait(retry_in, bound, || limit.check(&key)).await;
                    limit.record(&key, result)
                })
            }
        }
    }

    /// Takes a permit for `key` only if one is free now.
    ///
    /// # Errors
    /// [`RateLimited`] when none is.
    pub fn try_acquire(&self, key: &K) -> Result<(), RateLimited> {
        self.record(key, Admission::admit_now(|| self.check(key)))
    }

    /// Runs `fut` once a permit for `key` is taken; `fut` is not polled if none is.
    ///
    /// # Errors
    /// [`RateLimited`] when no permit is free in time.
    pub async fn call<F: Future>(&self, key: &K, fut: F) -> Result<F::Output, RateLimited> {
        self.acquire(key).await?;
        Ok(fut.await)
    }

    /// Counters of every key together.
    pub fn stats(&self) -> RateLimitStats {
        self.inner.counters.snapshot()
    }

    /// Counters of `key`, if it was ever used.
    pub fn stats_for(&self, key: &K) -> Option<RateLimitStats> {
        self.per_key().get(key).map(|c| c.snapshot())
    }

    /// Counters of every key used so far.
    pub fn stats_by_key(&self) -> Vec<(K, RateLimitStats)> {
        self.per_key()
            .iter()
            .map(|(k, c)| (k.clone(), c.snapshot()))
            .collect()
    }

    /// Drops the limiter state of keys not used recently (their stats stay).
    pub fn retain_recent(&self) {
        let now = self.inner.origin.elapsed();
        let mut cells = self.inner.cells.write().unwrap_or_else(PoisonError::into_inner);
        cells.retain(|_, cell| !cell.is_idle(now));
    }

    /// Applies `config` to every key's limit in place, as [`RateLimit::reconfigure`] does for
    /// one: each key keeps its tokens, rescaled to the new rate, and its stats.
    ///
    /// [`RateLimit::reconfigure`]: super::RateLimit::reconfigure
    ///
    /// ```
    /// use std::time::Duration;
    /// use connfx::RateLimitConfig;
    /// use connfx::resilience::rate_limit::{KeyedRateLimit, RateLimitMode};
    /// let config = |requests| RateLimitConfig {
    ///     requests,
    ///     per: Duration::from_secs(60),
    ///     mode: RateLimitMode::Reject,
    ///     ..Default::default()
    /// };
    /// let hosts = KeyedRateLimit::new(config(1));
    /// assert!(hosts.try_acquire(&"a").is_ok());
    /// hosts.reconfigure(&config(2)).unwrap();
    /// assert!(hosts.try_acquire(&"a").is_err(), "`a` used all of its burst, and still has");
    /// assert!(hosts.try_acquire(&"b").is_ok() && hosts.try_acquire(&"b").is_ok());
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds; nothing changes then.
    pub fn reconfigure(&self, config: &RateLimitConfig) -> Result<(), InvalidConfig> {
        InvalidConfig::check(config)?;
        let inner = &*self.inner;
        // The write lock keeps a key from being made between the new rate and the rescale.
        let cells = inner.cells.write().unwrap_or_else(PoisonError::into_inner);
        inner
            .rate
            .set(config, inner.origin.elapsed(), cells.values().map(|c| &**c));
        inner.admission.set(config);
        Ok(())
    }

    /// Calls `callback` on every event (waits, rejections) with its key, synchronously.
    pub fn on_event(&self, callback: impl Fn(&KeyedEvent<K>) + Send + Sync + 'static) {
        self.inner.events.add(callback);
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<KeyedEvent<K>> {
        self.inner.events.subscribe()
    }

    fn check(&self, key: &K) -> Result<(), Duration> {
        let inner = &*self.inner;
        let now = inner.origin.elapsed();
        let found = inner
            .cells
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        let cell = match found {
            Some(cell) => cell,
            None => {
                let mut cells = inner.cells.write().unwrap_or_else(PoisonError::into_inner);
                Arc::clone(cells.entry(key.clone()).or_default())
            }
        };
        cell.check(&inner.rate, now)
    }

    fn per_key(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<Counters>>> {
        self.inner.per_key.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, key: &K, result: Result<Duration, RateLimited>) -> Result<(), RateLimited> {
        self.inner.counters.record(&result);
        let counters = Arc::clone(self.per_key().entry(key.clone()).or_default());
        counters.record(&result);
        if let Some(event) = event_of(&result) {
            let key = key.clone();
            self.inner.events.emit(KeyedEvent { key, event });
        }
        result.map(drop)
    }
}

impl<K: Hash + Eq + Clone> Clone for KeyedRateLimit<K> {
    fn clone(&self) -> Self {
        KeyedRateLimit {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K: Hash + Eq + Clone> fmt::Debug for KeyedRateLimit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimit")
            .field("admission", &self.inner.admission)
            .field("keys", &self.per_key().len())
            .finish()
    }
}
