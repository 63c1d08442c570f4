//! A snapshot of a breaker: its state and the counts it judges by.

use std::time::Duration;

use serde::Serialize;

use super::permit::Verdict;
use super::policy::RATE_SCALE;
use super::{CircuitState, WindowCounts};
use crate::resilience::striped::Striped;

/// What a custom trip predicate sees when a call fails (or is slow) in the closed state.
///
/// ```
/// use connfx::resilience::circuit_breaker::{TripCounts, WindowCounts};
/// let c = TripCounts { window: WindowCounts { calls: 3, failures: 2, slow_calls: 0 }, consecutive_failures: 2 };
/// assert_eq!(c.window.successes(), 1);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TripCounts {
    /// The failure-rate window, this call included.
    pub window: WindowCounts,
    /// Failures in a row, this call included.
    pub consecutive_failures: u32,
}

/// A breaker's state and counts at one moment ([`CircuitBreaker::stats`]).
///
/// The window counts are kept only when something judges them (`failure_rate`,
/// `slow_call_rate` or a trip predicate); otherwise they stay zero and the closed path is cheaper.
/// `rejected` counts since the last state change, as Resilience4j's "not permitted calls" do.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState};
/// let cb = CircuitBreaker::new(connfx::CircuitBreakerConfig { failure_rate: Some(0.5), minimum_calls: 2, ..Default::default() });
/// cb.try_acquire().unwrap().success();
/// cb.try_acquire().unwrap().failure();
/// let stats = cb.stats();
/// assert_eq!(stats.state, CircuitState::Open);
/// assert_eq!(stats.failure_rate, Some(0.5));
/// ```
///
/// [`CircuitBreaker::stats`]: super::CircuitBreaker::stats
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CircuitStats {
    /// The state.
    pub state: CircuitState,
    /// Whether the state was forced by `force_open` or `force_closed`.
    pub forced: bool,
    /// Calls, failures and slow calls in the failure-rate window.
    pub window: WindowCounts,
    /// Failure share of the window, once it holds `minimum_calls`.
    pub failure_rate: Option<f64>,
    /// Slow-call share of the window, once it holds `minimum_calls`.
    pub slow_call_rate: Option<f64>,
    /// Failures in a row (closed state).
    pub consecutive_failures: u32,
    /// Calls rejected since the last state change.
    pub rejected: u32,
    /// Probes in flight (half-open state).
    pub half_open_in_flight: u32,
    /// Probes that succeeded (half-open state).
    pub half_open_successes: u32,
    /// Openings in a row without closing, which grow the open period.
    pub opens: u32,
    /// Time left in the open period (open state, not forced).
    #[serde(with = "humantime_serde")]
    pub open_remaining: Option<Duration>,
    /// Counts since the breaker was made (or since `count_calls` was switched on), whatever the
    /// trip rule; `None` unless `count_calls` is on.
    pub lifetime: Option<LifetimeCounts>,
}

/// What a breaker with `count_calls` on has seen since it was made: seed 003's `Counts`
/// (`Requests`, `TotalFailures`) and `RunningCalls`, kept whatever the trip rule.
///
/// ```
/// use connfx::resilience::circuit_breaker::CircuitBreaker;
/// let cb = CircuitBreaker::new(connfx::CircuitBreakerConfig { failure_threshold: 2, count_calls: true, ..Default::default() });
/// cb.try_acquire().unwrap().success();
/// let running = cb.try_acquire().unwrap();
/// cb.try_acquire().unwrap().failure();
/// let counts = cb.stats().lifetime.expect("count_calls is on");
/// assert_eq!((counts.requests, counts.successes, counts.failures, counts.running), (3, 1, 1, 1));
/// running.success();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LifetimeCounts {
    /// Calls that asked to run: let through or rejected.
    pub requests: u64,
    /// Calls turned away (open, or half-open with every probe slot taken).
    pub rejected: u64,
    /// Calls let through that succeeded.
    pub successes: u64,
    /// Calls let through that failed (slow calls counted as their outcome).
    pub failures: u64,
    /// Calls let through that were not counted either way (cancelled, or an outcome the
    /// breaker ignores).
    pub ignored: u64,
    /// Calls let through and not finished yet.
    pub running: u64,
}

/// The striped counters behind [`LifetimeCounts`]: each thread adds on its own cache line, so
/// threads sharing a breaker do not pass one line back and forth.
#[derive(Debug, Default)]
pub(crate) struct Lifetime {
    admitted: Striped,
    rejected: Striped,
    successes: Striped,
    failures: Striped,
    ignored: Striped,
}

impl Lifetime {
    pub(crate) fn asked(&self, admitted: bool) {
        match admitted {
            true => self.admitted.add(1),
            false => self.rejected.add(1),
        }
    }

    pub(crate) fn finished(&self, verdict: Verdict) {
        match verdict {
            Verdict::Success => self.successes.add(1),
            Verdict::Failure => self.failures.add(1),
            Verdict::Ignored => self.ignored.add(1),
        }
    }

    pub(crate) fn counts(&self) -> LifetimeCounts {
        let (successes, failures, ignored) = (self.successes.sum(), self.failures.sum(), self.ignored.sum());
        let (admitted, rejected) = (self.admitted.sum(), self.rejected.sum());
        LifetimeCounts {
            requests: admitted.saturating_add(rejected),
            rejected,
            successes,
            failures,
            ignored,
            // A call finishing while this is read may be in one sum and not the other; and
            // calls admitted before `count_calls` was switched on finish uncounted-in.
            running: admitted.saturating_sub(successes.saturating_add(failures).saturating_add(ignored)),
        }
    }
}

/// Share of `part` in `calls`, once `calls` reaches `minimum`.
pub(crate) fn rate(part: u32, calls: u32, minimum: u32) -> Option<f64> {
    (calls >= minimum && calls > 0).then(|| {
        // Rounded to 1/10 000, the precision the thresholds are kept in.
        let scaled = (u64::from(part) * RATE_SCALE * 2 + u64::from(calls)) / (2 * u64::from(calls));
        scaled as f64 / RATE_SCALE as f64
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn rate_waits_for_minimum_calls() {
        assert_eq!(super::rate(1, 4, 5), None);
        assert_eq!(super::rate(3, 5, 5), Some(0.6));
        assert_eq!(super::rate(1, 3, 1), Some(0.3333));
    }
}
