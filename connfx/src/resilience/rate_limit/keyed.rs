//! `KeyedRateLimit`: one limit per key (per host, say), each with its own stats.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use super::admit::{Admission, First};
use super::events::{Counters, event_of};
use super::gcra::{Cell, Origin, Rate};
use super::{KeyedEvent, RateLimitConfig, RateLimitStats, RateLimited};
use crate::resilience::Emitter;
use crate::resilience::InvalidConfig;
use crate::resilience::admission::Admit;
use crate::resilience::recent::{Bounds, Recent};

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
    /// Each key's limit and counters, made on its first call (a read lock finds them after
    /// that), kept within the bounds set.
    keys: Recent<K, Arc<Key>>,
    admission: Admission,
    counters: Counters,
    events: Emitter<KeyedEvent<K>>,
}

/// One key's limit and counters.
#[derive(Default)]
struct Key {
    cell: Cell,
    counters: Counters,
}

impl<K: Hash + Eq + Clone> KeyedRateLimit<K> {
    /// The limit of `config`, for each key.
    pub fn new(config: RateLimitConfig) -> Self {
        let inner = Inner {
            origin: Origin::now(),
            rate: Rate::of(&config),
            keys: Recent::new(Bounds::NONE),
            admission: Admission::of(&config),
            counters: Counters::default(),
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

    /// Counters of `key`, if it is kept (used, and not dropped since).
    pub fn stats_for(&self, key: &K) -> Option<RateLimitStats> {
        self.inner.keys.get(key).map(|k| k.counters.snapshot())
    }

    /// Counters of every key kept.
    pub fn stats_by_key(&self) -> Vec<(K, RateLimitStats)> {
        let mut stats = Vec::new();
        self.inner
            .keys
            .for_each(|key, state| stats.push((key.clone(), state.counters.snapshot())));
        stats
    }

    /// Drops the keys whose limit is back to full (their state and stats): what a key used
    /// again would start from anyway.
    pub fn retain_recent(&self) {
        let now = self.inner.origin.elapsed();
        self.inner.keys.retain(|_, state| !state.cell.is_idle(now));
    }

    /// Keeps at most `bounds.max` keys, dropping the least recently used, and drops keys unused
    /// for `bounds.idle` (a `per_host` connection's limits, one per host it called). A dropped
    /// key starts afresh, with its full burst and no stats, when used again. Unbounded unless
    /// set; may be set again later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use connfx::resilience::rate_limit::KeyedRateLimit;
    /// use connfx::resilience::recent::Bounds;
    /// let hosts = KeyedRateLimit::new(connfx::RateLimitConfig::default());
    /// hosts.set_bounds(Bounds { max: 100, idle: Duration::from_secs(600) });
    /// for i in 0..1000 {
    ///     hosts.try_acquire(&i).unwrap();
    /// }
    /// assert!(hosts.len() <= 100);
    /// ```
    pub fn set_bounds(&self, bounds: Bounds) {
        self.inner.keys.set_bounds(bounds);
    }

    /// How many keys are kept.
    ///
    /// ```
    /// let hosts = connfx::resilience::rate_limit::KeyedRateLimit::new(connfx::RateLimitConfig::default());
    /// hosts.try_acquire(&"a").unwrap();
    /// assert_eq!(hosts.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.keys.len()
    }

    /// Whether no key is kept.
    ///
    /// ```
    /// assert!(connfx::resilience::rate_limit::KeyedRateLimit::<String>::new(Default::default()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        inner.keys.exclusive(|keys| {
            let now = inner.origin.elapsed();
            inner.rate.set(config, now, keys.map(|(_, state)| &state.cell));
        });
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
        self.key(key).cell.check(&inner.rate, now)
    }

    /// `key`'s state, made now if it is not kept.
    fn key(&self, key: &K) -> Arc<Key> {
        let make = || (key.clone(), Arc::default());
        self.inner.keys.get_or_make(key, make, |_| false)
    }

    fn record(&self, key: &K, result: Result<Duration, RateLimited>) -> Result<(), RateLimited> {
        self.inner.counters.record(&result);
        self.key(key).counters.record(&result);
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
            .field("keys", &self.len())
            .finish()
    }
}
