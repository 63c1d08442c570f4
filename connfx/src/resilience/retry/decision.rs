//! What the retry loop does with a try's [`Outcome`](crate::resilience::Outcome).

use std::time::Duration;

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
