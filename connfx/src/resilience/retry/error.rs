//! Why a retried call failed: its last failure, how many tries it took, and why it stopped.

use std::fmt;
use std::time::Duration;

/// Why a call stopped trying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The last failure is not worth another try (or may not be replayed).
    NotRetryable,
    /// `max_attempts` tries were made.
    Exhausted,
    /// The retry budget refused another try.
    BudgetExhausted,
    /// The next try could not start before the deadline: the wait (`Retry-After` when
    /// `server_asked`, else the backoff) is not shorter than the time left.
    Deadline {
        /// The wait before the next try.
        wait: Duration,
        /// Time left before the deadline.
        remaining: Duration,
        /// Whether the wait came from the server's `Retry-After`.
        server_asked: bool,
    },
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::NotRetryable => f.write_str("the failure is not retried"),
            StopReason::Exhausted => f.write_str("no attempts left"),
            StopReason::BudgetExhausted => f.write_str("the retry budget is spent"),
            StopReason::Deadline {
                wait,
                remaining,
                server_asked,
            } => write!(
                f,
                "{} {wait:?} but only {remaining:?} remain before the deadline",
                if *server_asked {
                    "the server asked to wait"
                } else {
                    "the next try is due in"
                },
            ),
        }
    }
}

/// A retried call failed. `last` is the failure of the last try.
///
/// ```
/// use connfx::resilience::retry::{RetryError, StopReason};
/// let err = RetryError { attempts: 3, reason: StopReason::Exhausted, last: "503" };
/// assert_eq!(err.to_string(), "gave up after 3 attempts (no attempts left): 503");
/// assert_eq!(err.into_last(), "503");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryError<E> {
    /// Tries made, the first one included.
    pub attempts: u32,
    /// Why no further try was made.
    pub reason: StopReason,
    /// The last try's failure.
    pub last: E,
}

impl<E> RetryError<E> {
    /// The last try's failure.
    pub fn into_last(self) -> E {
        self.last
    }

    /// The same error with the failure mapped.
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> RetryError<F> {
        RetryError {
            attempts: self.attempts,
            reason: self.reason,
            last: f(self.last),
        }
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = match self.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        write!(f, "gave up after {attempts} ({}): {}", self.reason, self.last)
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last)
    }
}
