//! Timeout events and counters.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use super::{Limit, TimeoutError};

/// Something a [`Timeout`](super::Timeout) did, for callbacks and subscribers.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::timeout::{Limit, TimeoutError, TimeoutEvent};
/// let event = TimeoutEvent::TimedOut(TimeoutError { limit: Limit::PerAttempt, after: Duration::from_secs(1) });
/// assert!(matches!(event, TimeoutEvent::TimedOut(e) if e.limit == Limit::PerAttempt));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutEvent {
    /// A limit fired and the future was dropped.
    TimedOut(TimeoutError),
}

/// What a [`Timeout`](super::Timeout) has done since it was built.
///
/// ```
/// let t = connfx::resilience::timeout::Timeout::new(connfx::TimeoutConfig::default());
/// assert_eq!(t.stats().total, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TimeoutStats {
    /// Futures run under some deadline.
    pub runs: u64,
    /// Connect timeouts fired.
    pub connect: u64,
    /// Per-attempt timeouts fired.
    pub per_attempt: u64,
    /// Total timeouts fired.
    pub total: u64,
    /// Callers' deadlines that fired.
    pub caller: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    runs: AtomicU64,
    fired: [AtomicU64; 4],
}

impl Counters {
    pub(crate) fn run(&self) {
        self.runs.fetch_add(1, Relaxed);
    }

    pub(crate) fn fired(&self, limit: Limit) {
        self.fired[index(limit)].fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> TimeoutStats {
        let fired = |limit| self.fired[index(limit)].load(Relaxed);
        TimeoutStats {
            runs: self.runs.load(Relaxed),
            connect: fired(Limit::Connect),
            per_attempt: fired(Limit::PerAttempt),
            total: fired(Limit::Total),
            caller: fired(Limit::Caller),
        }
    }
}

fn index(limit: Limit) -> usize {
    match limit {
        Limit::Connect => 0,
        Limit::PerAttempt => 1,
        Limit::Total => 2,
        Limit::Caller => 3,
    }
}
