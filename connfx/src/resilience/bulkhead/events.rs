//! Bulkhead events and counters.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use super::BulkheadFull;

/// Something a [`Bulkhead`](super::Bulkhead) did, for callbacks and subscribers.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::bulkhead::{BulkheadEvent, BulkheadFull};
/// let event = BulkheadEvent::Rejected(BulkheadFull { max_concurrent: 1, waited: Duration::ZERO });
/// assert!(matches!(event, BulkheadEvent::Rejected(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkheadEvent {
    /// A call found every slot taken and was turned away.
    Rejected(BulkheadFull),
}

/// The state and counters of a [`Bulkhead`](super::Bulkhead).
///
/// ```
/// let bulkhead = connfx::resilience::bulkhead::Bulkhead::new(connfx::BulkheadConfig::default());
/// assert_eq!(bulkhead.stats().in_flight, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BulkheadStats {
    /// The bulkhead's size.
    pub max_concurrent: u32,
    /// Calls holding a slot now.
    pub in_flight: u32,
    /// Calls waiting for a slot now.
    pub waiting: u64,
    /// Calls that got a slot.
    pub admitted: u64,
    /// Calls turned away.
    pub rejected: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) waiting: AtomicU64,
    admitted: AtomicU64,
    rejected: AtomicU64,
}

impl Counters {
    pub(crate) fn record<T>(&self, result: &Result<T, BulkheadFull>) {
        let counter = if result.is_ok() {
            &self.admitted
        } else {
            &self.rejected
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, max_concurrent: u32, in_flight: u32) -> BulkheadStats {
        BulkheadStats {
            max_concurrent,
            in_flight,
            waiting: self.waiting.load(Relaxed),
            admitted: self.admitted.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
        }
    }
}
