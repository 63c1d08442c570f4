//! reqwest errors turned into [`CallError`]s and messages that hold no URL and no credential.

use std::error::Error as _;
use std::time::Duration;

use crate::CallError;
use crate::resilience::retry::{Outcome, RetryAfter};

/// The limits that applied to one request, to say which one a timeout hit.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Limits {
    /// `timeout.connect`.
    pub(super) connect: Option<Duration>,
    /// The request's whole-call limit.
    pub(super) request: Option<Duration>,
    /// When the try's limit passes: reading the body must end by then.
    pub(super) until: Option<tokio::time::Instant>,
}

/// A failed send or body read of the connection called `connection`.
pub(super) fn call_error(connection: &str, err: reqwest::Error, limits: Limits) -> CallError {
    let connection = connection.to_owned();
    let hit = if err.is_connect() {
        limits.connect.or(limits.request)
    } else {
        limits.request
    };
    match hit.filter(|_| err.is_timeout()) {
        Some(after) => CallError::Timeout { connection, after },
        None => CallError::Transport {
            connection,
            message: describe(err),
        },
    }
}

/// The error and its causes, `: `-separated, without the URL reqwest may print.
///
/// Connections hand reqwest URLs without user-info (see `target::base`), so even the URL
/// would hold no password; it is dropped anyway, since a query may carry a key.
pub(crate) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

/// A short message for health reports: `timed out`, `cannot connect: Connection refused (os
/// error 111)`, or the innermost cause of any other failure (which never holds the URL).
pub(crate) fn short(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let mut innermost = None;
    let mut source = err.source();
    while let Some(cause) = source {
        innermost = Some(cause);
        source = cause.source();
    }
    let cause = innermost.map_or_else(|| "request failed".to_owned(), ToString::to_string);
    if err.is_connect() {
        format!("cannot connect: {cause}")
    } else {
        cause
    }
}

/// What a failed send means to the retry rules and the breaker: refused before anything was
/// sent, out of time, or broken after (part of) the request went out.
pub(crate) fn outcome(err: &reqwest::Error) -> Outcome {
    if err.is_connect() {
        Outcome::Connect
    } else if err.is_timeout() {
        Outcome::Timeout { sent: true }
    } else {
        Outcome::Transport
    }
}

/// The server's `Retry-After`, if it sent a readable one.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<RetryAfter> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()
        .and_then(RetryAfter::parse)
}
