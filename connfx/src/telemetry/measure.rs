//! [`Measure`]: one call from start to end, for its span and its metrics.

use std::time::Instant;

use tracing::Span;

use super::Telemetry;
use crate::CallError;

/// One call being measured: started when the call is made, recorded when it ends. The clock is
/// read only when the connection's metrics are exported.
pub(crate) struct Measure<'a> {
    telemetry: &'a Telemetry,
    operation: &'static str,
    started: Option<Instant>,
}

impl<'a> Measure<'a> {
    pub(crate) fn start(telemetry: &'a Telemetry, operation: &'static str) -> Self {
        Measure {
            telemetry,
            operation,
            started: telemetry.is_exported().then(Instant::now),
        }
    }

    /// Records the end: `error.type` and an error status on the span, the call in the metrics.
    pub(crate) fn end(self, span: &Span, error: Option<&CallError>) {
        if let Some(error) = error.filter(|_| !span.is_disabled()) {
            span.record("error.type", error.kind());
            span.record("otel.status_code", "ERROR");
        }
        if let Some(started) = self.started {
            self.telemetry.record(self.operation, started.elapsed(), error);
        }
    }
}
