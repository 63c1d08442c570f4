//! Delays between tries: exponential, linear or constant, capped, with ± jitter.

use std::time::Duration;

use super::{BackoffKind, RetryConfig};

/// The delay before each retry. Retry `n` (1 for the delay before the second try) waits
/// `initial · multiplier^(n-1)` (exponential), `initial · n` (linear) or `initial` (constant),
/// capped at `max`, then varied by ± `jitter` and capped again, so no delay is ever above `max`.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::retry::{Backoff, BackoffKind};
/// let ms = Duration::from_millis;
/// let b = Backoff::new(BackoffKind::Exponential, ms(100), ms(1000)).multiplier(2.0);
/// let delays: Vec<_> = (1..=5).map(|n| b.base(n)).collect();
/// assert_eq!(delays, [ms(100), ms(200), ms(400), ms(800), ms(1000)]);
///
/// let jittered = b.jitter(0.2);
/// assert_eq!(jittered.delay_with(1, -1.0), ms(80));
/// assert_eq!(jittered.delay_with(1, 1.0), ms(120));
/// assert!(jittered.delay(3) >= ms(320) && jittered.delay(3) <= ms(480));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    kind: BackoffKind,
    initial: Duration,
    max: Duration,
    multiplier: f64,
    jitter: f64,
}

impl Backoff {
    /// A backoff from `initial` up to `max` (an `initial` above `max` is lowered to it),
    /// multiplier 2, no jitter.
    pub fn new(kind: BackoffKind, initial: Duration, max: Duration) -> Self {
        Backoff {
            kind,
            initial: initial.min(max),
            max,
            multiplier: 2.0,
            jitter: 0.0,
        }
    }

    /// The backoff of a `retry(...)` config, out-of-range numbers brought to their nearest bound.
    pub fn from_config(config: &RetryConfig) -> Self {
        Backoff::new(config.backoff, config.initial_interval, config.max_interval)
            .multiplier(config.multiplier)
            .jitter(config.jitter)
    }

    /// The growth factor of exponential backoff (at least 1).
    #[must_use]
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier >= 1.0 { multiplier } else { 1.0 };
        self
    }

    /// The ± fraction each delay is varied by (0 to 1).
    #[must_use]
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// The cap of every delay.
    pub fn max_interval(&self) -> Duration {
        self.max
    }

    /// The jitter fraction.
    pub fn jitter_fraction(&self) -> f64 {
        self.jitter
    }

    /// The delay before retry `n` without jitter (`n` = 0 counts as 1).
    pub fn base(&self, n: u32) -> Duration {
        let n = n.max(1);
        let factor = match self.kind {
            BackoffKind::Exponential => self.multiplier.powi(i32::try_from(n - 1).unwrap_or(i32::MAX)),
            BackoffKind::Linear => f64::from(n),
            BackoffKind::Constant => 1.0,
        };
        self.capped(self.initial.as_secs_f64() * factor)
    }

    /// The delay before retry `n` with jitter drawn at random.
    pub fn delay(&self, n: u32) -> Duration {
        self.delay_with(n, fastrand::f64() * 2.0 - 1.0)
    }

    /// The delay before retry `n` for a given draw `unit` in [-1, 1]: `base · (1 + jitter · unit)`,
    /// capped at the maximum.
    pub fn delay_with(&self, n: u32, unit: f64) -> Duration {
        let unit = if unit.is_nan() { 0.0 } else { unit.clamp(-1.0, 1.0) };
        self.capped(self.base(n).as_secs_f64() * (1.0 + self.jitter * unit))
    }

    /// `secs` as a duration to the nearest nanosecond, never above the maximum nor below zero.
    fn capped(&self, secs: f64) -> Duration {
        let nanos = secs * 1e9;
        if nanos.is_nan() || nanos >= self.max.as_nanos() as f64 {
            return self.max;
        }
        // `as` saturates: a negative or huge value lands on a bound, never wraps.
        Duration::from_nanos(nanos.round() as u64).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::from_config(&RetryConfig::default())
    }
}
