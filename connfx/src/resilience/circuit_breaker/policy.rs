//! The config compiled into the compact form the breaker consults on every call, and changed in
//! place by a reload.
//!
//! Rates become integers in 1/10 000, durations become whole milliseconds (microseconds for the
//! slow-call threshold), so the whole policy fits in 40 bytes next to the breaker's atomics.
//!
//! Each value is its own atomic, read `Relaxed` (a plain load on every target we build for), so
//! [`CircuitBreaker::reconfigure`](super::CircuitBreaker::reconfigure) changes a live breaker
//! without a lock or a pointer swap on the call path: a reload keeps the breaker's state, its
//! open deadline and its window, and the new values apply from the next decision. A decision
//! made while a reload is being written may read some values old and some new; each is valid
//! on its own, and the next decision reads them all new.
//!
//! A `u32` of milliseconds holds 49 days and one of microseconds 71 minutes, so the key table
//! declares the longest values these keys take (30 days for the open periods and the window,
//! 1 hour for `slow_call_duration`): a config the loader accepts is kept exactly. Only a config
//! built in code and never checked ([`CircuitBreaker::new`](super::CircuitBreaker::new)) is
//! clamped here.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32};
use std::time::Duration;

use super::config::CircuitBreakerConfig;

/// Rates are kept in 1/10 000 (basis points): `0.5` is `5_000`.
pub(crate) const RATE_SCALE: u64 = 10_000;
/// A rate of `OFF` never trips.
const OFF: u16 = u16::MAX;

const TIME_WINDOW: u8 = 1;
const WINDOW_ON: u8 = 2;
const SLOW_ON: u8 = 4;
const PREDICATE: u8 = 8;
const COUNT_CALLS: u8 = 16;

/// The policy's switches as read at one moment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Switches(u8);

impl Switches {
    /// Whether call durations are measured.
    #[inline]
    pub(crate) fn slow_on(self) -> bool {
        self.0 & SLOW_ON != 0
    }

    /// Whether lifetime counts are kept.
    #[inline]
    pub(crate) fn counts_calls(self) -> bool {
        self.0 & COUNT_CALLS != 0
    }
}

/// The size of each half of the failure-rate window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Half {
    /// Calls per half (count-based window).
    Calls(u32),
    /// Milliseconds per half (time-based window).
    Millis(u32),
}

/// [`CircuitBreakerConfig`] in the form the hot path reads. These are std atomics even under
/// loom: the policy is configuration, not part of the state machine the loom model explores.
#[derive(Debug, Default)]
pub(crate) struct Policy {
    failure_threshold: AtomicU32,
    minimum_calls: AtomicU32,
    half: AtomicU32,
    slow_call_micros: AtomicU32,
    reset_millis: AtomicU32,
    max_reset_millis: AtomicU32,
    /// An `f32`'s bits.
    backoff_multiplier: AtomicU32,
    failure_rate: AtomicU16,
    slow_call_rate: AtomicU16,
    half_open_max_calls: AtomicU16,
    half_open_success_needed: AtomicU16,
    server_error_threshold: AtomicU16,
    flags: AtomicU8,
}

impl Policy {
    /// Compiles `c`, clamping every value into the key table's bounds.
    pub(crate) fn new(c: &CircuitBreakerConfig, predicate: bool) -> Policy {
        let policy = Policy::default();
        policy.set(c, predicate);
        policy
    }

    /// Compiles `c` over the values in use, keeping whether a trip predicate is set.
    pub(crate) fn reset_to(&self, c: &CircuitBreakerConfig) {
        self.set(c, self.has_predicate());
    }

    fn set(&self, c: &CircuitBreakerConfig, predicate: bool) {
        let rate = |r: Option<f64>| r.map_or(OFF, |r| (r.clamp(0.0, 1.0) * RATE_SCALE as f64).round() as u16);
        let (failure_rate, slow_call_rate) = (rate(c.failure_rate), rate(c.slow_call_rate));
        let window_size = c.window_size.clamp(2, 1_000_000);
        let (half, time) = match c.window_duration {
            Some(d) => (millis(d / 2).max(1), TIME_WINDOW),
            None => (window_size / 2, 0),
        };
        let minimum = match time {
            // A count window holds at most two full halves.
            0 => c.minimum_calls.min(window_size / 2 * 2),
            _ => c.minimum_calls,
        };
        let slow = if slow_call_rate == OFF { 0 } else { SLOW_ON };
        let window = if failure_rate == OFF && slow == 0 && !predicate {
            0
        } else {
            WINDOW_ON
        };
        self.failure_threshold
            .store(c.failure_threshold.clamp(1, 1_000_000), Relaxed);
        self.minimum_calls.store(minimum.clamp(1, 1_000_000), Relaxed);
        self.half.store(half, Relaxed);
        self.slow_call_micros.store(
            u32::try_from(c.slow_call_duration.as_micros()).unwrap_or(u32::MAX),
            Relaxed,
        );
        self.reset_millis.store(millis(c.reset_timeout), Relaxed);
        let cap = c.max_reset_timeout.unwrap_or_else(longest_open_period);
        self.max_reset_millis.store(millis(cap), Relaxed);
        let multiplier = c.backoff_multiplier.clamp(1.0, 100.0) as f32;
        self.backoff_multiplier.store(multiplier.to_bits(), Relaxed);
        self.failure_rate.store(failure_rate, Relaxed);
        self.slow_call_rate.store(slow_call_rate, Relaxed);
        self.half_open_max_calls
            .store(c.half_open_max_calls.clamp(1, 10_000) as u16, Relaxed);
        self.half_open_success_needed
            .store(c.half_open_success_needed.clamp(1, 10_000) as u16, Relaxed);
        self.server_error_threshold
            .store(c.server_error_threshold.clamp(100, 599), Relaxed);
        let predicate = if predicate { PREDICATE } else { 0 };
        let count = if c.count_calls { COUNT_CALLS } else { 0 };
        self.flags
            .store(time | slow | window | predicate | count, Relaxed);
    }

    // Inlined on purpose: the closed path asks it up to three times a call, and a call into
    // another crate's copy showed as ~1.5 ns of the breaker's ~7.5 ns (session 17, perf).
    #[inline]
    fn flags(&self) -> u8 {
        self.flags.load(Relaxed)
    }

    /// The switches, read once, for a path that asks more than one of them.
    #[inline]
    pub(crate) fn switches(&self) -> Switches {
        Switches(self.flags())
    }

    pub(crate) fn failure_threshold(&self) -> u32 {
        self.failure_threshold.load(Relaxed)
    }

    #[inline]
    pub(crate) fn minimum_calls(&self) -> u32 {
        self.minimum_calls.load(Relaxed)
    }

    /// Whether calls are counted in the failure-rate window at all.
    #[inline]
    pub(crate) fn window_on(&self) -> bool {
        self.flags() & WINDOW_ON != 0
    }

    /// Whether call durations are measured (the slow-call rate is on).
    #[inline]
    pub(crate) fn slow_on(&self) -> bool {
        self.flags() & SLOW_ON != 0
    }

    /// Whether a fast success only ends a run of consecutive failures: no window counts it, no
    /// duration is measured and no lifetime count is kept (the default).
    #[inline]
    pub(crate) fn success_is_plain(&self) -> bool {
        self.flags() & (WINDOW_ON | SLOW_ON | COUNT_CALLS) == 0
    }

    /// Whether lifetime counts are kept (`count_calls`).
    #[inline]
    pub(crate) fn counts_calls(&self) -> bool {
        self.flags() & COUNT_CALLS != 0
    }

    /// Whether a custom trip predicate replaces the built-in rules.
    pub(crate) fn has_predicate(&self) -> bool {
        self.flags() & PREDICATE != 0
    }

    #[inline]
    pub(crate) fn half(&self) -> Half {
        let half = self.half.load(Relaxed);
        match self.flags() & TIME_WINDOW {
            0 => Half::Calls(half),
            _ => Half::Millis(half),
        }
    }

    /// Whether a call that took `elapsed` counts as slow.
    pub(crate) fn is_slow(&self, elapsed: Duration) -> bool {
        self.slow_on() && elapsed.as_micros() >= u128::from(self.slow_call_micros.load(Relaxed))
    }

    /// The failure rate (in 1/10 000) that trips, if on.
    pub(crate) fn failure_rate(&self) -> Option<u64> {
        let rate = self.failure_rate.load(Relaxed);
        (rate != OFF).then_some(u64::from(rate))
    }

    /// The slow-call rate (in 1/10 000) that trips, if on.
    pub(crate) fn slow_call_rate(&self) -> Option<u64> {
        let rate = self.slow_call_rate.load(Relaxed);
        (rate != OFF).then_some(u64::from(rate))
    }

    pub(crate) fn half_open_max_calls(&self) -> u32 {
        u32::from(self.half_open_max_calls.load(Relaxed))
    }

    pub(crate) fn half_open_success_needed(&self) -> u32 {
        u32::from(self.half_open_success_needed.load(Relaxed))
    }

    #[inline]
    pub(crate) fn server_error_threshold(&self) -> u16 {
        self.server_error_threshold.load(Relaxed)
    }

    /// The open period after the `opens`-th opening in a row (1 for the first):
    /// `reset_timeout · backoff_multiplier^(opens-1)`, capped at `max_reset_timeout`.
    pub(crate) fn open_millis(&self, opens: u32) -> u64 {
        let multiplier = f32::from_bits(self.backoff_multiplier.load(Relaxed));
        let growth = f64::from(multiplier).powi(opens.saturating_sub(1) as i32);
        let (reset, cap) = (
            self.reset_millis.load(Relaxed),
            self.max_reset_millis.load(Relaxed),
        );
        (f64::from(reset) * growth).min(f64::from(cap)) as u64
    }
}

/// The open period an unset `max_reset_timeout` caps growth at: the longest the key takes.
fn longest_open_period() -> Duration {
    connfx_spec::groups::CIRCUIT_BREAKER
        .key("max_reset_timeout")
        .map_or(connfx_spec::MAX_DURATION, connfx_spec::check::longest)
}

/// Whole milliseconds of `d`, rounded up so a sub-millisecond timeout is not zero.
fn millis(d: Duration) -> u32 {
    let ms = d.as_nanos().div_ceil(1_000_000);
    u32::try_from(ms).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_in_forty_bytes() {
        assert!(std::mem::size_of::<Policy>() <= 40);
    }

    #[test]
    fn open_period_grows_and_is_capped() {
        let c = CircuitBreakerConfig {
            reset_timeout: Duration::from_secs(5),
            backoff_multiplier: 1.5,
            max_reset_timeout: Some(Duration::from_secs(10)),
            ..Default::default()
        };
        let p = Policy::new(&c, false);
        assert_eq!(
            [p.open_millis(1), p.open_millis(2), p.open_millis(3)],
            [5_000, 7_500, 10_000]
        );
    }

    /// An unset `max_reset_timeout` caps growth at the longest open period the key takes (30
    /// days, which a `u32` of milliseconds holds), not at whatever `u32::MAX` happens to be.
    #[test]
    fn an_unset_cap_is_the_longest_open_period_the_key_takes() {
        let c = CircuitBreakerConfig {
            reset_timeout: Duration::from_secs(86_400),
            backoff_multiplier: 100.0,
            ..Default::default()
        };
        let p = Policy::new(&c, false);
        assert_eq!(p.open_millis(1), 86_400_000);
        assert_eq!(p.open_millis(3), 2_592_000_000);
        assert_eq!(longest_open_period(), Duration::from_secs(30 * 86_400));
    }

    #[test]
    fn window_is_off_unless_a_rate_needs_it() {
        let off = Policy::new(&CircuitBreakerConfig::default(), false);
        let on = Policy::new(
            &CircuitBreakerConfig {
                failure_rate: Some(0.5),
                ..Default::default()
            },
            false,
        );
        assert!(!off.window_on() && on.window_on());
        assert_eq!(on.failure_rate(), Some(5_000));
        assert_eq!(on.half(), Half::Calls(50));
    }
}
