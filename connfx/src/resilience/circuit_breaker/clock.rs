//! Where the breaker reads the time: the system's monotonic clock, or one a test moves by hand.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A monotonic clock: the time elapsed since some fixed origin of the clock's choosing.
///
/// The breaker reads it only off the hot path: when a call fails, when an open period is checked,
/// to time calls when the slow-call rate is on, and on every call when the window is time-based.
///
/// ```
/// use connfx::resilience::circuit_breaker::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// clock.advance(std::time::Duration::from_secs(2));
/// assert_eq!(clock.now(), std::time::Duration::from_secs(2));
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The time since the clock's origin; must never go backwards.
    fn now(&self) -> Duration;
}

/// The default clock: [`tokio::time::Instant`], which is the system's monotonic clock and which
/// `tokio::time::pause()` controls when tokio's `test-util` feature is on.
///
/// ```
/// use connfx::resilience::circuit_breaker::{Clock, SystemClock};
/// let (a, b) = (SystemClock.now(), SystemClock.now());
/// assert!(b >= a);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
        ORIGIN.get_or_init(tokio::time::Instant::now).elapsed()
    }
}

/// A clock that moves only when told to, for deterministic tests without sleeping. Clones share
/// the same time.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState, ManualClock};
/// let clock = ManualClock::new();
/// let cb = CircuitBreaker::builder(connfx::CircuitBreakerConfig {
///     failure_threshold: 1,
///     reset_timeout: Duration::from_secs(30),
///     ..Default::default()
/// })
/// .clock(clock.clone())
/// .build();
/// cb.try_acquire().unwrap().failure();
/// assert_eq!(cb.state(), CircuitState::Open);
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(cb.state(), CircuitState::HalfOpen);
/// ```
#[derive(Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at zero.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::Clock;
    /// assert_eq!(connfx::resilience::circuit_breaker::ManualClock::new().now(), std::time::Duration::ZERO);
    /// ```
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock forward by `by`.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::Clock;
    /// let clock = connfx::resilience::circuit_breaker::ManualClock::new();
    /// clock.advance(std::time::Duration::from_millis(5));
    /// clock.advance(std::time::Duration::from_millis(5));
    /// assert_eq!(clock.now(), std::time::Duration::from_millis(10));
    /// ```
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(nanos(by), Ordering::AcqRel);
    }

    /// Sets the clock to `to`, if that is not before its current time.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::Clock;
    /// let clock = connfx::resilience::circuit_breaker::ManualClock::new();
    /// clock.set(std::time::Duration::from_secs(9));
    /// clock.set(std::time::Duration::from_secs(3)); // never backwards
    /// assert_eq!(clock.now(), std::time::Duration::from_secs(9));
    /// ```
    pub fn set(&self, to: Duration) {
        self.nanos.fetch_max(nanos(to), Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
