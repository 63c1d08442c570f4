//! The breaker's errors: a rejected call, a call's own error.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use super::CircuitState;

/// The breaker did not let a call through; the call was not attempted.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState};
/// let cb = CircuitBreaker::new(Default::default());
/// cb.force_open();
/// let rejected = cb.try_acquire().unwrap_err();
/// assert_eq!(rejected.state(), CircuitState::Open);
/// assert_eq!(rejected.to_string(), "circuit open: call not attempted");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    state: CircuitState,
    /// Milliseconds until the open period ends; `u32::MAX` when unknown. Kept small so that a
    /// `Result<Permit, Rejected>` is no bigger than the permit.
    retry_in_ms: u32,
}

impl Rejected {
    pub(crate) fn new(state: CircuitState, retry_in: Option<Duration>) -> Rejected {
        let retry_in_ms = retry_in.map_or(u32::MAX, |d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX - 1));
        Rejected { state, retry_in_ms }
    }

    /// The state that rejected the call: [`CircuitState::Open`], or [`CircuitState::HalfOpen`]
    /// with every probe slot taken.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.trip();
    /// assert_eq!(cb.try_acquire().unwrap_err().state(), connfx::resilience::circuit_breaker::CircuitState::Open);
    /// ```
    pub fn state(&self) -> CircuitState {
        self.state
    }

    /// How long until the open period ends, when known (not while forced open or half-open).
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default()); // 30 s open
    /// cb.trip();
    /// let wait = cb.try_acquire().unwrap_err().retry_in().unwrap();
    /// assert!(wait <= std::time::Duration::from_secs(30));
    /// ```
    pub fn retry_in(&self) -> Option<Duration> {
        (self.retry_in_ms != u32::MAX).then(|| Duration::from_millis(u64::from(self.retry_in_ms)))
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state {
            CircuitState::HalfOpen => {
                f.write_str("circuit half-open, every probe slot taken: call not attempted")
            }
            state => write!(f, "circuit {state}: call not attempted"),
        }
    }
}

impl StdError for Rejected {}

/// The result of a call through the breaker: rejected without being attempted, or attempted and
/// failed with the call's own error.
///
/// ```
/// use connfx::resilience::circuit_breaker::{BreakerError, CircuitBreaker};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let cb = CircuitBreaker::new(Default::default());
/// let err = cb.call(async { Err::<(), _>("boom") }).await.unwrap_err();
/// assert!(matches!(err, BreakerError::Inner("boom")));
/// cb.force_open();
/// let err = cb.call(async { Ok::<_, &str>(()) }).await.unwrap_err();
/// assert!(err.is_rejected());
/// # });
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum BreakerError<E> {
    /// The breaker rejected the call; the future was never polled.
    Rejected(Rejected),
    /// The call ran and returned this error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// Whether the breaker rejected the call.
    ///
    /// ```
    /// let err: connfx::resilience::circuit_breaker::BreakerError<()> = connfx::resilience::circuit_breaker::BreakerError::Inner(());
    /// assert!(!err.is_rejected());
    /// ```
    pub fn is_rejected(&self) -> bool {
        matches!(self, BreakerError::Rejected(_))
    }

    /// The call's own error, if it ran.
    ///
    /// ```
    /// let err = connfx::resilience::circuit_breaker::BreakerError::Inner("boom");
    /// assert_eq!(err.into_inner(), Some("boom"));
    /// ```
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Inner(e) => Some(e),
            BreakerError::Rejected(_) => None,
        }
    }
}

impl<E> From<Rejected> for BreakerError<E> {
    fn from(r: Rejected) -> Self {
        BreakerError::Rejected(r)
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Rejected(r) => r.fmt(f),
            BreakerError::Inner(e) => e.fmt(f),
        }
    }
}

impl<E: StdError + 'static> StdError for BreakerError<E> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            BreakerError::Rejected(_) => None,
            BreakerError::Inner(e) => Some(e),
        }
    }
}
