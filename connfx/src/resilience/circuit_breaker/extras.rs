//! What a breaker carries only when asked for it: a name, a clock, a trip predicate, listeners.
//!
//! Kept behind one lazily created box so that a plain breaker stays within 128 bytes and pays
//! nothing for features it does not use.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::clock::{Clock, SystemClock};
use super::events::Listeners;
use super::stats::{Lifetime, TripCounts};

/// A custom rule deciding, on a closed-state failure or slow call, whether to open.
pub(crate) type TripPredicate = dyn Fn(&TripCounts) -> bool + Send + Sync;

#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) clock: Option<Arc<dyn Clock>>,
    pub(crate) trip: Option<Arc<TripPredicate>>,
    pub(crate) listeners: Listeners,
    /// Woken on every transition and every freed probe slot, for `wait_until_ready`.
    pub(crate) ready: Notify,
    /// Lifetime counts, made when `count_calls` first asks (a box: 2.5 KB of padded stripes
    /// that a breaker not counting never carries).
    pub(crate) lifetime: OnceLock<Box<Lifetime>>,
}

impl Extras {
    pub(crate) fn lifetime(&self) -> &Lifetime {
        self.lifetime.get_or_init(Box::default)
    }

    pub(crate) fn now(&self) -> Duration {
        match &self.clock {
            Some(clock) => clock.now(),
            None => SystemClock.now(),
        }
    }
}
