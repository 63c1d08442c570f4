//! [`Measure`]: one call from start to end, for its span and its metrics; [`HttpMeasure`]: one
//! HTTP request sent, for the semantic conventions' `http.client.*`.

use tracing::Span;

use super::{DbCall, Started, Telemetry};
use crate::CallError;

/// One call being measured: started when the call is made, recorded when it ends, in the
/// connection's in-process counters (`metrics()`, always) and, when exported, its OpenTelemetry
/// instruments; one clock read at each end serves both.
pub(crate) struct Measure<'a> {
    telemetry: &'a Telemetry,
    operation: &'static str,
    /// Set for a database call, which `db.client.operation.duration` records too.
    db: Option<DbCall<'a>>,
    counted: Started,
}

impl<'a> Measure<'a> {
    pub(crate) fn start(telemetry: &'a Telemetry, operation: &'static str) -> Self {
        Measure::start_to(telemetry, operation, None)
    }

    /// As [`start`](Measure::start), counted by `host` too (a `per_host` connection).
    pub(crate) fn start_to(telemetry: &'a Telemetry, operation: &'static str, host: Option<&str>) -> Self {
        Measure {
            telemetry,
            operation,
            db: None,
            counted: telemetry.calls().start(host),
        }
    }

    /// As [`start`](Measure::start), for a database operation.
    #[cfg_attr(not(any(feature = "sql", feature = "redis")), allow(dead_code))]
    pub(crate) fn start_db(telemetry: &'a Telemetry, operation: &'static str, db: DbCall<'a>) -> Self {
        Measure {
            db: Some(db),
            ..Measure::start(telemetry, operation)
        }
    }

    /// Records the end: `error.type` and an error status on the span, the call in the metrics.
    pub(crate) fn end(self, span: &Span, error: Option<&CallError>) {
        if let Some(error) = error.filter(|_| !span.is_disabled()) {
            span.record("error.type", error.kind());
            span.record("otel.status_code", "ERROR");
        }
        let elapsed = self.counted.elapsed();
        let calls = self.telemetry.calls();
        calls.end_after(self.counted, elapsed, error.is_some());
        if self.telemetry.is_exported() {
            self.telemetry.record(self.operation, elapsed, error);
            if let Some(db) = &self.db {
                self.telemetry.record_db(db, elapsed, error);
            }
        }
    }
}

/// One HTTP request sent (one try of a call): counted in `http.client.active_requests` until
/// it ends, then recorded in `http.client.request.duration`. Does nothing when the connection's
/// metrics are not exported.
#[cfg(feature = "http")]
pub(crate) struct HttpMeasure<'a> {
    #[cfg(feature = "otlp")]
    started: Option<super::http_client::Started<'a>>,
    #[cfg(not(feature = "otlp"))]
    started: std::marker::PhantomData<&'a ()>,
}

#[cfg(feature = "http")]
impl<'a> HttpMeasure<'a> {
    #[cfg(feature = "otlp")]
    pub(super) fn new(started: Option<super::http_client::Started<'a>>) -> Self {
        HttpMeasure { started }
    }

    #[cfg(not(feature = "otlp"))]
    pub(super) fn new() -> Self {
        HttpMeasure {
            started: std::marker::PhantomData,
        }
    }

    /// The request ended, with the response's `status` if one came and `error` if it failed.
    /// Dropped without this (the call was cancelled), it only leaves the active count.
    pub(crate) fn end(self, status: Option<u16>, error: Option<&CallError>) {
        #[cfg(feature = "otlp")]
        if let Some(started) = self.started {
            started.end(status, error);
        }
        #[cfg(not(feature = "otlp"))]
        let _ = (status, error);
    }
}
