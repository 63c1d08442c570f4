//! What one attempt came to, described without any protocol, and what to do about it.

use std::time::Duration;

use super::RetryAfter;

/// How one attempt ended, as a protocol layer describes it to the retry rules. The HTTP
/// connection maps reqwest's errors and responses to these; any other client can do the same.
///
/// ```
/// use connfx::resilience::retry::{Outcome, RetryAfter};
/// let busy = Outcome::Status { code: 503, retry_after: RetryAfter::parse("2") };
/// assert!(busy.reached_server());
/// assert!(!Outcome::Connect.reached_server());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The attempt succeeded.
    Success,
    /// The request never left: connection refused, DNS or TLS failure, or the connection broke
    /// before any byte of the request was written. Safe to send again whatever the method.
    Connect,
    /// The attempt ran out of time; `sent` says whether any of the request may have been written.
    Timeout {
        /// Whether the request may have reached the server (false for a connect timeout).
        sent: bool,
    },
    /// The connection broke after (part of) the request was written: reset, closed early.
    Transport,
    /// The server answered with a status the caller treats as a failure.
    Status {
        /// The status code.
        code: u16,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<RetryAfter>,
    },
    /// The dependency turned the connection down (authentication, an unknown database, bad
    /// options): every call would fail alike, so the circuit breaker counts it, and the built-in
    /// rules never retry it.
    Refused,
    /// Any other failure, not the dependency's doing (a caller's mistake, an answer it gave on
    /// purpose such as a rejected query): the built-in rules never retry it (a custom predicate
    /// may) and the circuit breaker does not count it.
    Other,
}

impl Outcome {
    /// Whether the request may have reached the server, so that sending it again could repeat
    /// its effect.
    pub fn reached_server(&self) -> bool {
        !matches!(self, Outcome::Connect | Outcome::Timeout { sent: false })
    }

    /// The server's `Retry-After`, if the outcome carries one.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            Outcome::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What the retry loop does with the result of an attempt.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::retry::Decision;
/// let asked = Decision::Retry { after: Some(Duration::from_secs(1)) };
/// assert!(asked.is_retry() && !Decision::Done.is_retry());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Return this result: a success, or a failure not worth another try.
    Done,
    /// Try again: after the backoff delay, or after `after` when the server named a time
    /// (`Retry-After`, capped by `max_interval`).
    Retry {
        /// The wait the server asked for.
        after: Option<Duration>,
    },
}

impl Decision {
    /// Whether the decision is to try again.
    pub fn is_retry(&self) -> bool {
        matches!(self, Decision::Retry { .. })
    }
}
