//! Rate limit events and counters.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Serialize;

use super::RateLimited;

/// Something a rate limit did, for callbacks and subscribers.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::rate_limit::RateLimitEvent;
/// let event = RateLimitEvent::Waited { wait: Duration::from_millis(5) };
/// assert!(matches!(event, RateLimitEvent::Waited { .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitEvent {
    /// A call waited `wait` for its turn, then went ahead.
    Waited {
        /// How long it waited.
        wait: Duration,
    },
    /// A call was turned away.
    Rejected(RateLimited),
    /// A fleet limit's store could not be reached: calls follow `on_store_error` until it
    /// answers again.
    StoreDown,
    /// A fleet limit's store answers again: calls are counted across the fleet once more.
    StoreBack,
}

/// An event of a [`KeyedRateLimit`](super::KeyedRateLimit), with the key it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedEvent<K> {
    /// The key (a host, say).
    pub key: K,
    /// What happened.
    pub event: RateLimitEvent,
}

/// What a rate limit (or one key of a keyed one) has done since it was built.
///
/// ```
/// let limit = connfx::resilience::rate_limit::RateLimit::new(connfx::RateLimitConfig::default());
/// assert_eq!(limit.stats().permitted, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RateLimitStats {
    /// Calls let through (at once or after waiting).
    pub permitted: u64,
    /// Calls that waited for their turn.
    pub waited: u64,
    /// Calls turned away.
    pub rejected: u64,
    /// For a `scope = "fleet"` limit, how it stands with its store.
    pub fleet: Option<FleetStats>,
}

/// How a `scope = "fleet"` limit stands with its store ([`RateLimitStats::fleet`]).
///
/// ```
/// let stats = connfx::resilience::rate_limit::FleetStats::default();
/// assert_eq!((stats.instances, stats.store_down), (0, false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FleetStats {
    /// Instances that shared the limit when the store last answered (at least 1 once it has).
    pub instances: u32,
    /// Whether the store failed the last round trip (calls follow `on_store_error`).
    pub store_down: bool,
    /// Round trips to the store so far: with `lease = n`, about one per `n` calls.
    pub round_trips: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    permitted: AtomicU64,
    waited: AtomicU64,
    rejected: AtomicU64,
}

impl Counters {
    pub(crate) fn record(&self, result: &Result<Duration, RateLimited>) {
        match result {
            Ok(wait) => {
                self.permitted.fetch_add(1, Relaxed);
                if !wait.is_zero() {
                    self.waited.fetch_add(1, Relaxed);
                }
            }
            Err(_) => {
                self.rejected.fetch_add(1, Relaxed);
            }
        }
    }

    pub(crate) fn snapshot(&self) -> RateLimitStats {
        RateLimitStats {
            permitted: self.permitted.load(Relaxed),
            waited: self.waited.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            fleet: None,
        }
    }
}

/// The event a call's admission makes, if any (a call let through at once makes none).
pub(crate) fn event_of(result: &Result<Duration, RateLimited>) -> Option<RateLimitEvent> {
    match result {
        Ok(wait) if wait.is_zero() => None,
        Ok(wait) => Some(RateLimitEvent::Waited { wait: *wait }),
        Err(rejected) => Some(RateLimitEvent::Rejected(*rejected)),
    }
}
