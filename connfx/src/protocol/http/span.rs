//! The `tracing` span of one HTTP call, with OpenTelemetry's HTTP client semantic conventions:
//! named after the method, kind `client`, with `http.request.method`, `server.address`,
//! `server.port`, `url.full` (without user-info or query, which may hold secrets),
//! `http.response.status_code`, `error.type` and `http.request.resend_count` (retries).

use reqwest::Method;
use tracing::Span;
use tracing::field::Empty;
use url::Url;

use crate::CallError;

/// Opens the span of a call (a disabled span when no subscriber wants it: nearly free).
pub(super) fn start(connection: &str, method: &Method, url: &Url) -> Span {
    let method = crate::telemetry::method_name(method);
    let span = crate::protocol::call_span::call_span!(
        "http.client",
        otel.name = method,
        connection = connection,
        http.request.method = method,
        server.address = url.host_str().unwrap_or_default(),
        server.port = url.port_or_known_default(),
        // Recorded below, only on an enabled span: with `tracing`'s `log` feature on (sqlx and
        // axum turn it on) and no global subscriber, a disabled span's fields are still
        // formatted for `log`, and this one costs two allocations.
        url.full = Empty,
        http.response.status_code = Empty,
        http.request.resend_count = Empty,
    );
    if !span.is_disabled() {
        span.record("url.full", tracing::field::display(shown(url)));
    }
    span
}

/// Records how the call ended (the error itself is recorded by [`Measure::end`]).
///
/// [`Measure::end`]: crate::telemetry::Measure::end
pub(super) fn end(span: &Span, status: Option<u16>, error: Option<&CallError>, retries: u32) {
    if span.is_disabled() {
        return;
    }
    if let Some(status) = status.or_else(|| error.and_then(status_of)) {
        span.record("http.response.status_code", status);
    }
    if retries > 0 {
        span.record("http.request.resend_count", retries);
    }
}

fn status_of(error: &CallError) -> Option<u16> {
    match error {
        CallError::Status { code, .. } => Some(*code),
        CallError::RetriesExhausted { last, .. } => status_of(last),
        _ => None,
    }
}

/// The URL as a span may show it: scheme, host, port and path only.
fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}
