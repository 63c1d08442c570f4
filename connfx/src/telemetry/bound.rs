//! The request counter and duration histogram bound to each (operation, outcome) a connection
//! has seen, so recording a call is a direct write to its series.
//!
//! Unbound, each record hashes the call's four attributes and takes the SDK's lock on its map
//! of series, twice per call (counter and histogram). Bound once, a record goes straight to the
//! series. A connection sees few pairs (its methods or commands × success and the error kinds),
//! so a small fixed table holds them; a pair that finds no free slot is recorded unbound.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundCounter, BoundHistogram, Counter, Histogram};

use super::slots::{Slots, mix, spread};

/// How many (operation, outcome) pairs a connection binds; more are recorded unbound.
const SLOTS: usize = 32;

/// One pair's bound instruments.
pub(super) struct Series {
    operation: &'static str,
    outcome: &'static str,
    pub(super) requests: BoundCounter<u64>,
    pub(super) duration: BoundHistogram<f64>,
}

/// A connection's table of bound pairs.
pub(super) struct BoundSeries {
    slots: Slots<Series, SLOTS>,
}

impl BoundSeries {
    pub(super) fn new() -> Self {
        BoundSeries { slots: Slots::new() }
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
        self.slots.find(
            spread(mix(operation) ^ mix(outcome).rotate_left(9)),
            |series| series.operation == operation && series.outcome == outcome,
            |_| {
                let attributes = attributes();
                Series {
                    operation,
                    outcome,
                    requests: requests.bind(&attributes),
                    duration: duration.bind(&attributes),
                }
            },
        )
    }
}
