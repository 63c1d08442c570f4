//! The error of a call the rate limit turned away.

use std::fmt;
use std::time::Duration;

/// The rate limit turned a call away: the next call is allowed in `retry_in`, and the call
/// could wait `max_wait` (zero in `reject` mode, or when the caller's deadline left no time).
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::rate_limit::RateLimited;
/// let err = RateLimited { retry_in: Duration::from_millis(120), max_wait: Duration::ZERO };
/// assert_eq!(err.to_string(), "rate limit reached: the next call is allowed in 120ms");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RateLimited {
    /// Time until the next call is allowed.
    pub retry_in: Duration,
    /// How long this call could have waited.
    pub max_wait: Duration,
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rate limit reached: the next call is allowed in {:?}",
            self.retry_in
        )?;
        if !self.max_wait.is_zero() {
            write!(f, ", longer than the {:?} a call may wait", self.max_wait)?;
        }
        Ok(())
    }
}
