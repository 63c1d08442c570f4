//! The semantic conventions' database client metrics (semconv 1.42.0):
//! `db.client.operation.duration`, one measurement per call (retries included, as the caller
//! sees it), and `db.client.connection.count`, read from a pool at export.
//!
//! The duration is bound per (system, operation, error, server), as `http.rs` does for HTTP.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundHistogram, Histogram, Meter};
use opentelemetry_semantic_conventions::attribute::{
    DB_CLIENT_CONNECTION_POOL_NAME, DB_CLIENT_CONNECTION_STATE, DB_OPERATION_NAME, DB_SYSTEM_NAME, ERROR_TYPE,
};
use opentelemetry_semantic_conventions::metric::{DB_CLIENT_CONNECTION_COUNT, DB_CLIENT_OPERATION_DURATION};

use super::origins::{self, Origins};
use super::peer::Peer;
use super::slots::{Slots, mix, spread};
use super::{ConnectionsRead, DbCall};
use crate::CallError;

/// (system, operation, error, server) series a connection binds; more are recorded unbound.
const SERIES: usize = 64;

pub(super) struct DbInstruments {
    duration: Histogram<f64>,
    origins: Origins,
    series: Slots<Series, SERIES>,
}

struct Series {
    system: &'static str,
    operation: &'static str,
    error: &'static str,
    /// `u8::MAX` for no server (SQLite).
    origin: u8,
    duration: BoundHistogram<f64>,
}

impl DbInstruments {
    pub(super) fn new(meter: &Meter) -> Self {
        DbInstruments {
            duration: meter
                .f64_histogram(DB_CLIENT_OPERATION_DURATION)
                .with_unit("s")
                .with_description("Duration of database client operations")
                .with_boundaries(super::instruments::DURATION_BOUNDARIES.to_vec())
                .build(),
            origins: Origins::new(),
            series: Slots::new(),
        }
    }

    /// Records one operation of `call` that took `seconds`, and failed with `error` if any.
    pub(super) fn record(&self, call: &DbCall<'_>, seconds: f64, error: Option<&CallError>) {
        let system = call.system;
        let operation = call.operation.unwrap_or("");
        let error = error.map_or("", CallError::kind);
        let attributes = |peer: Option<&Peer<'_>>| {
            let mut attributes = Vec::with_capacity(5);
            attributes.push(KeyValue::new(DB_SYSTEM_NAME, system));
            if !operation.is_empty() {
                attributes.push(KeyValue::new(DB_OPERATION_NAME, operation));
            }
            if let Some(peer) = peer {
                origins::attributes(peer, false, &mut attributes);
            }
            if !error.is_empty() {
                attributes.push(KeyValue::new(ERROR_TYPE, error));
            }
            attributes
        };
        let origin = call.peer.as_ref().map(|peer| self.origins.find(peer));
        let series = match origin {
            // A server past the table: recorded the slow way below.
            Some(None) => None,
            Some(Some(origin)) => self.series_of(system, operation, error, origin.index, || {
                attributes(Some(&origin.peer()))
            }),
            None => self.series_of(system, operation, error, u8::MAX, || attributes(None)),
        };
        match series {
            Some(series) => series.duration.record(seconds),
            None => self.duration.record(seconds, &attributes(call.peer.as_ref())),
        }
    }

    fn series_of(
        &self,
        system: &'static str,
        operation: &'static str,
        error: &'static str,
        origin: u8,
        attributes: impl Fn() -> Vec<KeyValue>,
    ) -> Option<&Series> {
        let key = mix(system) ^ mix(operation).rotate_left(5) ^ mix(error).rotate_left(9);
        self.series.find(
            spread(key ^ usize::from(origin).rotate_left(13)),
            |s| s.system == system && s.operation == operation && s.error == error && s.origin == origin,
            |_| Series {
                system,
                operation,
                error,
                origin,
                duration: self.duration.bind(&attributes()),
            },
        )
    }
}

/// Registers `db.client.connection.count` for the pool `read` reports on (idle, used), named
/// `pool`; the SDK reads it before each export, and a reading of `None` (pool gone) reports
/// nothing.
pub(super) fn connection_count(meter: &Meter, pool: &'static str, read: ConnectionsRead) {
    let state = |state: &'static str| {
        [
            KeyValue::new(DB_CLIENT_CONNECTION_STATE, state),
            KeyValue::new(DB_CLIENT_CONNECTION_POOL_NAME, pool),
        ]
    };
    let (idle, used) = (state("idle"), state("used"));
    meter
        .i64_observable_up_down_counter(DB_CLIENT_CONNECTION_COUNT)
        .with_unit("{connection}")
        .with_description("Connections of the pool, by state")
        .with_callback(move |observer| {
            if let Some(count) = read() {
                observer.observe(count.idle, &idle);
                observer.observe(count.used, &used);
            }
        })
        .build();
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider as _;

    use super::*;

    #[test]
    fn operations_alike_share_one_bound_series() {
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
        let db = DbInstruments::new(&provider.meter("test"));
        let url = url::Url::parse("redis://cache:6379").expect("url");
        let call = |operation| DbCall {
            system: "redis",
            operation,
            peer: Peer::of_url(&url, Some(6379)),
        };
        for _ in 0..100 {
            db.record(&call(Some("GET")), 0.001, None);
            db.record(&call(Some("SET")), 0.001, None);
        }
        let sqlite = DbCall {
            system: "sqlite",
            operation: None,
            peer: None,
        };
        db.record(&sqlite, 0.001, None);
        db.record(&sqlite, 0.001, None);
        assert_eq!(db.series.iter().count(), 3, "GET, SET and SQLite's");
        assert_eq!(
            db.origins
                .find(&Peer::of_url(&url, None).expect("peer"))
                .map(|o| o.index),
            Some(0)
        );
    }
}
