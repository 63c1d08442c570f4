//! Retry events.

use std::time::Duration;

use super::StopReason;

/// Something a retry policy did, for callbacks ([`Retry::on_retry`](super::Retry::on_retry)) and
/// subscribers ([`Retry::subscribe`](super::Retry::subscribe)).
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::retry::RetryEvent;
/// let event = RetryEvent::Retrying {
///     attempt: 1,
///     delay: Duration::from_millis(100),
///     server_asked: false,
///     error: Some("`api`: server answered 503".into()),
/// };
/// assert!(matches!(event, RetryEvent::Retrying { attempt: 1, .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryEvent {
    /// Try `attempt` failed; the next one starts after `delay`.
    Retrying {
        /// The try that failed (1 for the first).
        attempt: u32,
        /// The wait before the next try.
        delay: Duration,
        /// Whether the wait is the server's `Retry-After` rather than the backoff.
        server_asked: bool,
        /// The failed try's error as text (never a secret): set for every connection's calls;
        /// `None` from [`Retry::call`](super::Retry::call) and the tower layer, whose error
        /// type the policy cannot print.
        error: Option<String>,
    },
    /// The call stopped retrying for `reason` (attempts exhausted, budget, deadline).
    GaveUp {
        /// Tries made.
        attempts: u32,
        /// Why it stopped.
        reason: StopReason,
    },
}
