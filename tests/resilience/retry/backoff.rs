//! Backoff sequences: exponential, linear and constant, the cap, and jitter bounds.

use std::time::Duration;

use connfx::RetryConfig;
use connfx::resilience::retry::{Backoff, BackoffKind};
use proptest::prelude::*;

use super::ms;

fn backoff(kind: BackoffKind, initial: u64, max: u64) -> Backoff {
    Backoff::new(kind, ms(initial), ms(max))
}

fn bases(b: &Backoff, n: u32) -> Vec<Duration> {
    (1..=n).map(|i| b.base(i)).collect()
}

#[test]
fn exponential_multiplies_until_the_cap() {
    let b = backoff(BackoffKind::Exponential, 100, 1_000).multiplier(3.0);
    assert_eq!(bases(&b, 5), [ms(100), ms(300), ms(900), ms(1_000), ms(1_000)]);
}

#[test]
fn linear_adds_the_initial_interval_until_the_cap() {
    let b = backoff(BackoffKind::Linear, 100, 350).multiplier(3.0);
    assert_eq!(bases(&b, 5), [ms(100), ms(200), ms(300), ms(350), ms(350)]);
}

#[test]
fn constant_never_grows() {
    let b = backoff(BackoffKind::Constant, 250, 10_000).multiplier(5.0);
    assert_eq!(bases(&b, 4), [ms(250); 4]);
}

#[test]
fn the_default_config_is_exponential_100ms_doubling() {
    let b = Backoff::from_config(&RetryConfig::default());
    assert_eq!(bases(&b, 3), [ms(100), ms(200), ms(400)]);
    assert_eq!(b.max_interval(), Duration::from_secs(10));
}

#[test]
fn huge_exponents_stay_at_the_cap() {
    let b = backoff(BackoffKind::Exponential, 100, 60_000).multiplier(100.0);
    assert_eq!(b.base(100), ms(60_000));
    assert_eq!(b.base(u32::MAX), ms(60_000));
}

#[test]
fn jitter_stays_within_its_fraction_over_many_samples() {
    let b = backoff(BackoffKind::Exponential, 100, 10_000).jitter(0.2);
    let samples: Vec<Duration> = (0..10_000).map(|_| b.delay(3)).collect();
    let (lo, hi) = (ms(320), ms(480));
    assert!(
        samples.iter().all(|d| (lo..=hi).contains(d)),
        "every delay within ±20 % of 400ms"
    );
    let min = samples.iter().min().copied().unwrap_or_default();
    let max = samples.iter().max().copied().unwrap_or_default();
    assert!(
        min < ms(330) && max > ms(470),
        "the draws spread over the range: {min:?}..{max:?}"
    );
}

#[test]
fn jitter_never_pushes_a_capped_delay_above_the_cap() {
    let b = backoff(BackoffKind::Constant, 1_000, 1_000).jitter(0.5);
    assert!(
        (0..10_000)
            .map(|_| b.delay(1))
            .all(|d| d >= ms(500) && d <= ms(1_000))
    );
}

fn kinds() -> impl Strategy<Value = BackoffKind> {
    prop_oneof![
        Just(BackoffKind::Exponential),
        Just(BackoffKind::Linear),
        Just(BackoffKind::Constant)
    ]
}

proptest! {
    /// Delays grow (never shrink) with the retry number until the cap, never exceed it, and
    /// jitter keeps each within `base · (1 ± jitter)`.
    #[test]
    fn backoff_invariants(
        kind in kinds(),
        initial in 0u64..5_000,
        extra in 0u64..60_000,
        multiplier in 1.0f64..10.0,
        jitter in 0.0f64..=1.0,
        n in 1u32..60,
        unit in -1.0f64..=1.0,
    ) {
        let max = ms(initial + extra);
        let b = Backoff::new(kind, ms(initial), max).multiplier(multiplier).jitter(jitter);
        let (this, next) = (b.base(n), b.base(n + 1));
        prop_assert!(this <= next, "monotone: {this:?} then {next:?}");
        prop_assert!(next <= max);
        let delay = b.delay_with(n, unit);
        prop_assert!(delay <= max, "{delay:?} above the cap {max:?}");
        let base = this.as_secs_f64();
        let slack = 1e-9;
        prop_assert!(delay.as_secs_f64() >= base * (1.0 - jitter) - slack);
        prop_assert!(delay.as_secs_f64() <= base * (1.0 + jitter) + slack);
    }
}
