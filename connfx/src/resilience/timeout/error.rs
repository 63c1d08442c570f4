//! The timeout error, saying which limit was hit.

use std::fmt;
use std::time::Duration;

/// Which time limit a [`Deadline`](super::Deadline) stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// `timeout(connect = …)`: opening a connection.
    Connect,
    /// `timeout(per_attempt = …)`: one try of a call.
    PerAttempt,
    /// `timeout(total = …)`: the whole call, retries included.
    Total,
    /// A deadline of the caller's own (a per-request timeout, an outer deadline).
    Caller,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Connect => "connect timeout",
            Limit::PerAttempt => "per-attempt timeout",
            Limit::Total => "total timeout",
            Limit::Caller => "caller's deadline",
        })
    }
}

/// A call ran out of time: `limit` says which limit fired, `after` how long it was.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::timeout::{Limit, TimeoutError};
/// let err = TimeoutError { limit: Limit::Total, after: Duration::from_secs(2) };
/// assert_eq!(err.to_string(), "timed out: the total timeout of 2s was reached");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TimeoutError {
    /// The limit that fired.
    pub limit: Limit,
    /// Its length.
    pub after: Duration,
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out: the {} of {:?} was reached", self.limit, self.after)
    }
}
