//! The OpenTelemetry instruments of one bound connection, and what each record sends.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter};

use super::bound::BoundSeries;
use super::db_client::{self, DbInstruments};
use super::http_client::HttpInstruments;
use super::{DbCall, GaugeRead, Offer, Transition, intern};
use crate::CallError;

/// Seconds; the semantic conventions' advice for HTTP client durations, down to 1 ms.
pub(super) const DURATION_BOUNDARIES: &[f64] = &[
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

pub(super) struct Instruments {
    meter: Meter,
    /// `connfx.connection` and `connfx.protocol`, static, so building an attribute list costs
    /// no allocation and no reference count.
    connection: &'static str,
    protocol: &'static str,
    requests: Counter<u64>,
    duration: Histogram<f64>,
    /// `requests` and `duration` bound to each (operation, outcome) seen.
    series: BoundSeries,
    errors: Counter<u64>,
    retries: Counter<u64>,
    breaker_transitions: Counter<u64>,
    health_transitions: Counter<u64>,
    health_state: Gauge<i64>,
    rate_limited: Counter<u64>,
    bulkhead_full: Counter<u64>,
    /// The semantic conventions' `http.client.*` (HTTP connections, GraphQL's among them).
    http: Option<HttpInstruments>,
    /// The semantic conventions' `db.client.*` (SQL and Redis connections).
    db: Option<DbInstruments>,
}

impl Instruments {
    pub(super) fn new(meter: &Meter, connection: &str, protocol: &'static str) -> Self {
        let counter = |name: &'static str, unit: &'static str, description: &'static str| {
            meter
                .u64_counter(name)
                .with_unit(unit)
                .with_description(description)
                .build()
        };
        Instruments {
            meter: meter.clone(),
            connection: intern::name(connection),
            protocol,
            requests: counter(
                "connfx.client.requests",
                "{request}",
                "Calls made through the connection",
            ),
            duration: meter
                .f64_histogram("connfx.client.request.duration")
                .with_unit("s")
                .with_description("Duration of calls, retries and waits included")
                .with_boundaries(DURATION_BOUNDARIES.to_vec())
                .build(),
            series: BoundSeries::new(),
            errors: counter(
                "connfx.client.errors",
                "{error}",
                "Calls that failed, by error kind",
            ),
            retries: counter("connfx.client.retries", "{retry}", "Tries after the first"),
            breaker_transitions: counter(
                "connfx.circuit_breaker.transitions",
                "{transition}",
                "State changes of the circuit breaker",
            ),
            health_transitions: counter(
                "connfx.health.transitions",
                "{transition}",
                "Health state changes seen by the health monitor",
            ),
            health_state: meter
                .i64_gauge("connfx.health.state")
                .with_description("Health state: 0 ready, 1 live, 2 connected, 3 error, 4 unknown")
                .build(),
            rate_limited: counter(
                "connfx.rate_limit.rejections",
                "{call}",
                "Calls the rate limit turned away",
            ),
            bulkhead_full: counter(
                "connfx.bulkhead.rejections",
                "{call}",
                "Calls the bulkhead turned away",
            ),
            http: (protocol == "http").then(|| HttpInstruments::new(meter)),
            db: matches!(protocol, "sql" | "redis").then(|| DbInstruments::new(meter)),
        }
    }

    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(super) fn http(&self) -> Option<&HttpInstruments> {
        self.http.as_ref()
    }

    pub(super) fn db(&self, call: &DbCall<'_>, elapsed: Duration, error: Option<&CallError>) {
        if let Some(db) = &self.db {
            db.record(call, elapsed.as_secs_f64(), error);
        }
    }

    pub(super) fn offer(&self, offer: &Offer) {
        match offer {
            Offer::Gauge(name, description, read) => self.gauge(name, description, read.clone()),
            Offer::Connections(read) => {
                db_client::connection_count(&self.meter, self.connection, read.clone())
            }
        }
    }

    fn base(&self) -> [KeyValue; 2] {
        [
            KeyValue::new("connfx.connection", self.connection),
            KeyValue::new("connfx.protocol", self.protocol),
        ]
    }

    pub(super) fn call(&self, operation: &'static str, elapsed: Duration, error: Option<&CallError>) {
        let outcome = error.map_or("ok", CallError::kind);
        let attributes = || {
            let [connection, protocol] = self.base();
            [
                connection,
                protocol,
                KeyValue::new("connfx.operation", operation),
                KeyValue::new("connfx.outcome", outcome),
            ]
        };
        let seconds = elapsed.as_secs_f64();
        match self
            .series
            .get(operation, outcome, &self.requests, &self.duration, attributes)
        {
            Some(series) => {
                series.requests.add(1);
                series.duration.record(seconds);
            }
            None => {
                let attributes = attributes();
                self.requests.add(1, &attributes);
                self.duration.record(seconds, &attributes);
            }
        }
        if let Some(error) = error {
            self.failed(error);
        }
    }

    #[cold]
    fn failed(&self, error: &CallError) {
        let [connection, protocol] = self.base();
        let kind = KeyValue::new("error.type", error.kind());
        self.errors.add(1, &[connection.clone(), protocol.clone(), kind]);
        let rejected = match error {
            CallError::RateLimited { .. } => &self.rate_limited,
            CallError::BulkheadFull { .. } => &self.bulkhead_full,
            _ => return,
        };
        rejected.add(1, &[connection, protocol]);
    }

    pub(super) fn retried(&self) {
        self.retries.add(1, &self.base());
    }

    pub(super) fn transition(&self, metric: Transition, from: &'static str, to: &'static str) {
        let [connection, protocol] = self.base();
        let attributes = [
            connection,
            protocol,
            KeyValue::new("connfx.from", from),
            KeyValue::new("connfx.to", to),
        ];
        match metric {
            Transition::CircuitBreaker => self.breaker_transitions.add(1, &attributes),
            Transition::Health => self.health_transitions.add(1, &attributes),
        }
    }

    pub(super) fn health_state(&self, state: i64) {
        self.health_state.record(state, &self.base());
    }

    /// Registers an observable gauge; the SDK calls `read` before each export for as long as
    /// the meter provider lives, and a reading of `None` (connection gone) reports nothing.
    fn gauge(&self, name: &'static str, description: &'static str, read: GaugeRead) {
        let attributes = self.base();
        self.meter
            .i64_observable_gauge(name)
            .with_description(description)
            .with_callback(move |observer| {
                if let Some(value) = read() {
                    observer.observe(value, &attributes);
                }
            })
            .build();
    }
}
