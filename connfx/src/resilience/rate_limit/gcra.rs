//! GCRA, the generic cell rate algorithm (the rule governor implements), written here so a
//! reload can change a live limit's rate and keep its tokens.
//!
//! A limit of one call every `interval` with bursts of `burst` keeps one number per limited
//! thing: the theoretical arrival time (TAT), the moment the limit is fully replenished. A call
//! at `now` is allowed if `max(TAT, now) + interval` is at most `burst · interval` (the
//! burst's span) ahead of `now`, and then moves the TAT there; else it learns how long until
//! that holds. One compare-and-swap per allowed call, no lock, no clock read beyond `now`.
//!
//! governor was used before this: it is the same algorithm, but its rate is fixed at
//! construction and its state cannot be read, so a changed rate meant a new limiter with every
//! token lost. Here the rate is two atomics beside the TAT; [`Rate::set`] rescales each TAT so
//! the share of the burst in use stays the same. The fleet limit (on Redis) runs the same
//! arithmetic in its script.
//!
//! Time is nanoseconds since the limit's [`Origin`], on tokio's clock (a paused test clock
//! moves the limit too). Every duration involved is at most a year (the key table's bound), far
//! below the 584 years a `u64` of nanoseconds holds.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::time::Duration;

use tokio::time::Instant;

use super::RateLimitConfig;

/// The start of a limit's clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin(Instant);

impl Origin {
    pub(crate) fn now() -> Origin {
        Origin(Instant::now())
    }

    /// Nanoseconds since the origin.
    pub(crate) fn elapsed(self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// One call every `interval`, bursts spanning `span` (`burst · interval`), in nanoseconds.
#[derive(Debug)]
pub(crate) struct Rate {
    interval: AtomicU64,
    span: AtomicU64,
}

impl Rate {
    /// The rate of `config`; a config the checks refuse (built in code, never validated) is read
    /// as the nearest one they allow.
    pub(crate) fn of(config: &RateLimitConfig) -> Rate {
        let (interval, span) = Rate::nanos(config);
        Rate {
            interval: AtomicU64::new(interval),
            span: AtomicU64::new(span),
        }
    }

    fn nanos(config: &RateLimitConfig) -> (u64, u64) {
        let (interval, burst) = config.interval_and_burst();
        let interval = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
        (interval, interval.saturating_mul(u64::from(burst)))
    }

    /// Changes the rate to `config`'s, rescaling each of `cells` at `now` so the share of the
    /// burst each had in use stays in use: a limit half used is half used at the new rate.
    pub(crate) fn set<'a>(
        &self,
        config: &RateLimitConfig,
        now: u64,
        cells: impl IntoIterator<Item = &'a Cell>,
    ) {
        let (interval, span) = Rate::nanos(config);
        let old_span = self.span.swap(span, Relaxed);
        self.interval.store(interval, Relaxed);
        for cell in cells {
            let _ = cell.tat.fetch_update(AcqRel, Acquire, |tat| {
                let used = tat.saturating_sub(now).min(old_span);
                let rescaled = u128::from(used) * u128::from(span) / u128::from(old_span.max(1));
                Some(now + u64::try_from(rescaled).unwrap_or(span))
            });
        }
    }
}

/// The state of one limited thing: its theoretical arrival time.
#[derive(Debug, Default)]
pub(crate) struct Cell {
    tat: AtomicU64,
}

impl Cell {
    /// Takes one permit at `now` (nanoseconds since the origin), or says how long until one is
    /// free.
    pub(crate) fn check(&self, rate: &Rate, now: u64) -> Result<(), Duration> {
        let (interval, span) = (rate.interval.load(Relaxed), rate.span.load(Relaxed));
        let mut tat = self.tat.load(Acquire);
        loop {
            let next = tat.max(now).saturating_add(interval);
            let ahead = next - now;
            if ahead > span {
                return Err(Duration::from_nanos(ahead - span));
            }
            match self.tat.compare_exchange_weak(tat, next, AcqRel, Acquire) {
                Ok(_) => return Ok(()),
                Err(found) => tat = found,
            }
        }
    }

    #[cfg(feature = "redis")]
    /// The share of the burst in use at `now`, from 0 (fully replenished) to 1 (none left).
    pub(crate) fn in_use(&self, rate: &Rate, now: u64) -> f64 {
        let span = rate.span.load(Relaxed).max(1);
        (self.tat.load(Acquire).saturating_sub(now).min(span) as f64) / span as f64
    }

    #[cfg(feature = "redis")]
    /// Sets the share of the burst in use at `now` (a fleet limit's fallback starts where the
    /// fleet stood, rather than with a fresh burst).
    pub(crate) fn set_in_use(&self, rate: &Rate, now: u64, share: f64) {
        let span = rate.span.load(Relaxed);
        let ahead = (share.clamp(0.0, 1.0) * span as f64) as u64;
        self.tat
            .store(now.saturating_add(ahead), std::sync::atomic::Ordering::Release);
    }

    /// Whether the limit is fully replenished at `now` (its state can be forgotten).
    pub(crate) fn is_idle(&self, now: u64) -> bool {
        self.tat.load(Relaxed) <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(requests: u32, burst: u32) -> RateLimitConfig {
        RateLimitConfig {
            requests,
            per: Duration::from_secs(1),
            burst: Some(burst),
            ..Default::default()
        }
    }

    #[test]
    fn a_burst_then_one_call_per_interval() {
        let (rate, cell) = (Rate::of(&config(10, 3)), Cell::default());
        let t = 1_000_000_000;
        assert!((0..3).all(|_| cell.check(&rate, t).is_ok()));
        assert_eq!(cell.check(&rate, t), Err(Duration::from_millis(100)));
        assert!(cell.check(&rate, t + 100_000_000).is_ok());
        assert!(cell.check(&rate, t + 100_000_000).is_err());
    }

    #[test]
    fn a_new_rate_keeps_the_share_of_the_burst_in_use() {
        let (rate, cell) = (Rate::of(&config(10, 4)), Cell::default());
        let t = 1_000_000_000;
        assert!(
            (0..2).all(|_| cell.check(&rate, t).is_ok()),
            "half the burst used"
        );
        rate.set(&config(100, 40), t, [&cell]);
        let allowed = (0..100).take_while(|_| cell.check(&rate, t).is_ok()).count();
        assert_eq!(allowed, 20, "half of the new burst is left");
        // An idle limit stays idle.
        let idle = Cell::default();
        rate.set(&config(1, 1), t, [&idle]);
        assert!(idle.check(&rate, t).is_ok());
    }
}
