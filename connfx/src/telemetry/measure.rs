//! [`Measure`]: one call from start to end, for its span and its metrics; [`HttpMeasure`]: one
//! HTTP request sent, for the semantic conventions' `http.client.*`.

use std::time::Instant;

use tracing::Span;

use super::{DbCall, Telemetry};
use crate::CallError;

/// One call being measured: started when the call is made, recorded when it ends. The clock is
/// read only when the connection's metrics are exported.
pub(crate) struct Measure<'a> {
    telemetry: &'a Telemetry,
    operation: &'static str,
    /// Set for a database call, which `db.client.operation.duration` records too.
    db: Option<DbCall<'a>>,
    started: Option<Instant>,
}

impl<'a> Measure<'a> {
    pub(crate) fn start(telemetry: &'a Telemetry, operation: &'static str) -> Self {
        Measure {
            telemetry,
            operation,
            db: None,
            started: telemetry.is_exported().then(Instant::now),
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
        if let Some(started) = self.started {
            let elapsed = started.elapsed();
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
