//! What a breaker carries only when asked for it: a name, a clock, a trip predicate, listeners.
//!
//! Kept behind one lazily created box so that a plain breaker stays within 128 bytes and pays
//! nothing for features it does not use.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::clock::{Clock, SystemClock};
use super::events::Listeners;
use super::stats::TripCounts;

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
}

impl Extras {
    pub(crate) fn now(&self) -> Duration {
        match &self.clock {
            Some(clock) => clock.now(),
            None => SystemClock.now(),
        }
    }
}
