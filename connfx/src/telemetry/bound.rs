//! The request counter and duration histogram bound to each (operation, outcome) a connection
//! has seen, so recording a call is a direct write to its series.
//!
//! Unbound, each record hashes the call's four attributes and takes the SDK's lock on its map
//! of series, twice per call (counter and histogram). Bound once, a record goes straight to the
//! series. A connection sees few pairs (its methods or commands × success and the error kinds),
//! so a small fixed table holds them; a pair that finds no free slot is recorded unbound.

use std::sync::OnceLock;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundCounter, BoundHistogram, Counter, Histogram};

/// How many (operation, outcome) pairs a connection binds; more are recorded unbound.
const SLOTS: usize = 32;

/// How many slots a pair may probe past its own.
const PROBES: usize = 4;

/// One pair's bound instruments.
pub(super) struct Series {
    operation: &'static str,
    outcome: &'static str,
    pub(super) requests: BoundCounter<u64>,
    pub(super) duration: BoundHistogram<f64>,
}

/// A connection's table of bound pairs. Slots are filled once and never change, so a lookup is
/// a few atomic loads and string compares, with no lock.
pub(super) struct BoundSeries {
    slots: [OnceLock<Series>; SLOTS],
}

impl BoundSeries {
    pub(super) fn new() -> Self {
        BoundSeries {
            slots: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The series of `operation` and `outcome`, bound with `attributes` on first use; `None`
    /// when the pair finds no slot.
    pub(super) fn get(
        &self,
        operation: &'static str,
        outcome: &'static str,
        requests: &Counter<u64>,
        duration: &Histogram<f64>,
        attributes: impl Fn() -> [KeyValue; 4],
    ) -> Option<&Series> {
        let start = slot_of(operation, outcome);
        for probe in 0..PROBES {
            let slot = &self.slots[(start + probe) % SLOTS];
            let series = match slot.get() {
                Some(series) => series,
                // Another thread may fill the slot first, with another pair: then this one
                // probes on.
                None => slot.get_or_init(|| {
                    let attributes = attributes();
                    Series {
                        operation,
                        outcome,
                        requests: requests.bind(&attributes),
                        duration: duration.bind(&attributes),
                    }
                }),
            };
            if series.operation == operation && series.outcome == outcome {
                return Some(series);
            }
        }
        None
    }
}

/// Where a pair's probe starts: its strings' addresses and lengths mixed, which for the static
/// names a connection passes is as good as hashing their text and much cheaper.
fn slot_of(operation: &'static str, outcome: &'static str) -> usize {
    let mix = (operation.as_ptr() as usize).rotate_left(17)
        ^ operation.len().wrapping_mul(0x9e37_79b9)
        ^ (outcome.as_ptr() as usize)
        ^ outcome.len().wrapping_mul(0x85eb_ca6b);
    (mix ^ (mix >> 7) ^ (mix >> 13)) % SLOTS
}
