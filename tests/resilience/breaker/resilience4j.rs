//! Scenarios of Resilience4j's `CircuitBreakerStateMachineTest` (resilience4j/resilience4j,
//! resilience4j-circuitbreaker/src/test/java/io/github/resilience4j/circuitbreaker/internal/
//! CircuitBreakerStateMachineTest.java), translated.
//!
//! Its setup: failure rate 50 %, 4 calls permitted half-open, slow calls at 4 s and a slow-call
//! rate of 50 %, a 5 s time-based window with 5 minimum calls, 5 s open. connfx has no separate
//! "consecutive failures" rule in Resilience4j, so `failure_threshold` is set out of reach.
//! Where the semantics differ — Resilience4j judges half-open probes by their failure rate,
//! DESIGN §3 reopens on any failing probe — the case says so and checks connfx's rule.
//! `transitionToOpenState` is `trip`, `transitionToHalfOpenState` is the open period running
//! out, `onSuccess(duration)`/`onError(duration)` is `record_elapsed`.

use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{
    CircuitBreaker, CircuitState, ManualClock, Outcome, OwnedPermit, TransitionReason,
};

use super::{SECOND, Transitions, fail, manual, succeed, timed};

fn config() -> CircuitBreakerConfig {
    CircuitBreakerConfig {
        failure_threshold: 1_000_000,
        failure_rate: Some(0.5),
        minimum_calls: 5,
        window_duration: Some(Duration::from_secs(5)),
        slow_call_duration: Duration::from_secs(4),
        slow_call_rate: Some(0.5),
        reset_timeout: Duration::from_secs(5),
        half_open_max_calls: 4,
        half_open_success_needed: 4,
        ..Default::default()
    }
}

fn breaker() -> (CircuitBreaker, ManualClock) {
    manual(config())
}

/// Open → half-open, as `transitionToOpenState(); transitionToHalfOpenState()`.
fn half_open(cb: &CircuitBreaker, clock: &ManualClock) {
    cb.trip();
    clock.advance(Duration::from_secs(5));
    assert_eq!(cb.state(), CircuitState::HalfOpen);
}

/// Takes `n` probes and keeps them in flight.
fn probes(cb: &CircuitBreaker, n: usize) -> Vec<OwnedPermit> {
    (0..n)
        .map(|_| cb.try_acquire_owned().expect("probe admitted"))
        .collect()
}

/// `(failure rate, successes, buffered calls, failures, not permitted calls)`, as
/// `assertCircuitBreakerMetricsEqualTo`; `None` stands for its `-1` (fewer than minimum calls).
fn metrics(cb: &CircuitBreaker) -> (Option<f64>, u32, u32, u32, u32) {
    let s = cb.stats();
    (
        s.failure_rate,
        s.window.successes(),
        s.window.calls,
        s.window.failures,
        s.rejected,
    )
}

/// shouldThrowCallNotPermittedExceptionWhenStateIsOpen.
#[test]
fn rejects_when_open() {
    let (cb, _) = breaker();
    cb.trip();
    assert!(cb.try_acquire().is_err());
    assert_eq!(cb.stats().rejected, 1);
}

/// shouldThrowCallNotPermittedExceptionWhenStateIsForcedOpen.
#[test]
fn rejects_when_forced_open() {
    let (cb, _) = breaker();
    cb.force_open();
    assert!(cb.try_acquire().is_err());
    assert_eq!(cb.stats().rejected, 1);
}

/// shouldIncreaseCounterOnReleasePermission: a released permission frees a probe slot.
#[test]
fn released_permission_frees_a_probe_slot() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    let mut held = probes(&cb, 4);
    assert!(cb.try_acquire().is_err());
    assert!(cb.try_acquire().is_err());
    held.pop().expect("a probe").ignore();
    assert!(cb.try_acquire_owned().is_ok());
}

/// shouldThrowCallNotPermittedExceptionWhenNotFurtherTestCallsArePermitted.
#[test]
fn rejects_beyond_the_permitted_probes() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    let _held = probes(&cb, 4);
    assert!(cb.try_acquire().is_err());
    assert_eq!(cb.stats().rejected, 1);
}

/// shouldOnlyPermitFourCallsInHalfOpenState: four probes per half-open period, again after
/// reopening.
#[test]
fn only_four_probes_in_half_open_state() {
    let (cb, clock) = breaker();
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
    half_open(&cb, &clock);
    let _first = probes(&cb, 4);
    assert!(cb.try_acquire().is_err());
    assert!(cb.try_acquire().is_err());
    half_open(&cb, &clock);
    let _second = probes(&cb, 4);
    assert!(cb.try_acquire().is_err());
    assert!(cb.try_acquire().is_err());
}

/// shouldOpenAfterFailureRateThresholdExceeded: three failures and two successes; the fifth
/// call fills the minimum and the rate of 60 % opens the circuit, even though it succeeded.
#[test]
fn opens_after_failure_rate_threshold_exceeded() {
    let (cb, _) = breaker();
    let transitions = Transitions::watch(&cb);
    drop(cb.try_acquire().expect("closed"));
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
    fail(&cb);
    assert_eq!(metrics(&cb), (None, 0, 1, 1, 0));
    fail(&cb);
    assert_eq!(metrics(&cb), (None, 0, 2, 2, 0));
    fail(&cb);
    assert_eq!(metrics(&cb), (None, 0, 3, 3, 0));
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(metrics(&cb), (None, 1, 4, 3, 0));
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
    assert_eq!(metrics(&cb), (Some(0.6), 2, 5, 3, 0));
    assert_eq!(
        transitions.take(),
        [(
            CircuitState::Closed,
            CircuitState::Open,
            TransitionReason::FailureRate
        )]
    );
    assert!(cb.try_acquire().is_err());
    assert_eq!(metrics(&cb), (Some(0.6), 2, 5, 3, 1));
}

/// shouldOpenAfterSlowCallRateThresholdExceeded.
#[test]
fn opens_after_slow_call_rate_threshold_exceeded() {
    let (cb, _) = breaker();
    let slow = Duration::from_secs(5);
    let fast = Duration::from_millis(100);
    timed(&cb, Outcome::Failed, slow);
    timed(&cb, Outcome::Success, slow);
    timed(&cb, Outcome::Failed, fast);
    timed(&cb, Outcome::Success, fast);
    assert_eq!(cb.state(), CircuitState::Closed);
    timed(&cb, Outcome::Success, slow);
    assert_eq!(cb.state(), CircuitState::Open);
    let stats = cb.stats();
    assert_eq!((stats.window.calls, stats.window.slow_calls), (5, 3));
    assert_eq!(stats.slow_call_rate, Some(0.6));
}

/// shouldTransitionToHalfOpenAfterWaitDuration.
#[test]
fn half_opens_after_wait_duration() {
    let (cb, clock) = breaker();
    cb.trip();
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
    assert_eq!(cb.state(), CircuitState::Open);
    assert!(cb.try_acquire().is_err());
    clock.advance(3 * SECOND);
    assert_eq!(cb.state(), CircuitState::Open);
    assert!(cb.try_acquire().is_err());
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 2));
    clock.advance(3 * SECOND);
    let probe = cb.try_acquire().expect("half-open probe");
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
    drop(probe);
}

/// shouldTransitionToHalfOpenAfterWaitInterval: an exponential open period (5 s, then 7.5 s).
#[test]
fn half_opens_after_growing_wait_interval() {
    let (cb, clock) = manual(CircuitBreakerConfig {
        backoff_multiplier: 1.5,
        ..config()
    });
    cb.trip();
    assert!(cb.try_acquire().is_err());
    clock.advance(3 * SECOND);
    assert_eq!(cb.state(), CircuitState::Open);
    assert!(cb.try_acquire().is_err());
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 2));
    clock.advance(3 * SECOND);
    drop(cb.try_acquire().expect("half-open after 5 s"));
    assert_eq!(cb.state(), CircuitState::HalfOpen);

    cb.trip();
    clock.advance(6 * SECOND);
    assert_eq!(cb.state(), CircuitState::Open, "the second period is 7.5 s");
    assert!(cb.try_acquire().is_err());
    clock.advance(5 * SECOND);
    drop(cb.try_acquire().expect("half-open after 7.5 s"));
    assert_eq!(cb.state(), CircuitState::HalfOpen);
}

/// shouldTransitionBackToOpenStateWhenFailureRateIsAboveThreshold. Resilience4j reopens after
/// its four probes show 75 % failures; connfx (DESIGN §3) reopens on the first failing probe.
#[test]
fn half_open_failure_reopens() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
    assert!(cb.try_acquire().is_err());
}

/// shouldTransitionBackToOpenStateWhenSlowCallRateIsAboveThreshold. As above: the first slow
/// probe reopens (Resilience4j: once 3 of 4 probes were slow).
#[test]
fn half_open_slow_probe_reopens() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    timed(&cb, Outcome::Success, Duration::from_secs(1));
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    timed(&cb, Outcome::Success, Duration::from_secs(5));
    assert_eq!(cb.state(), CircuitState::Open);
}

/// shouldTransitionBackToClosedStateWhenFailureIsBelowThreshold, with four successful probes
/// (connfx would reopen on Resilience4j's first failing one); the closed window starts empty.
#[test]
fn closes_after_successful_probes() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    for _ in 0..3 {
        succeed(&cb);
        assert_eq!(cb.state(), CircuitState::HalfOpen);
    }
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
    succeed(&cb);
    assert_eq!(metrics(&cb), (None, 1, 1, 0, 0));
}

/// shouldResetMetrics.
#[test]
fn reset_clears_metrics() {
    let (cb, _) = breaker();
    succeed(&cb);
    fail(&cb);
    assert_eq!(metrics(&cb), (None, 1, 2, 1, 0));
    cb.reset();
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
}

/// shouldForceOpenCircuitBreaker: forced open never half-opens, however long it waits.
#[test]
fn force_open_never_half_opens() {
    let (cb, clock) = breaker();
    cb.force_open();
    assert!(cb.try_acquire().is_err());
    clock.advance(6 * SECOND);
    assert!(cb.try_acquire().is_err());
    assert_eq!(cb.state(), CircuitState::Open);
    assert!(cb.stats().forced);
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 2));
}

/// shouldForceCloseCircuitBreaker: forced closed still counts, never opens.
#[test]
fn force_closed_counts_but_never_opens() {
    let (cb, _) = breaker();
    cb.force_closed();
    timed(&cb, Outcome::Success, SECOND);
    timed(&cb, Outcome::Failed, SECOND);
    for _ in 0..10 {
        fail(&cb);
    }
    assert_eq!(cb.state(), CircuitState::Closed);
    let stats = cb.stats();
    assert!(stats.forced);
    assert_eq!((stats.window.successes(), stats.window.failures), (1, 11));
}

/// shouldReleasePermissionWhenExceptionIgnored: an ignored probe releases its slot and counts
/// for nothing. (Resilience4j then closes on a failing probe judged by rate; connfx closes on
/// the fourth success.)
#[test]
fn ignored_probe_releases_its_permission() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    for n in 1..=3 {
        succeed(&cb);
        assert_eq!(cb.state(), CircuitState::HalfOpen);
        assert_eq!(cb.stats().half_open_successes, n);
    }
    call_ignored(&cb);
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    assert_eq!(cb.stats().half_open_successes, 3);
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(metrics(&cb), (None, 0, 0, 0, 0));
}

/// shouldIgnoreExceptionsAndThenTransitionToClosed.
#[test]
fn ignored_probes_then_successes_close() {
    let (cb, clock) = breaker();
    half_open(&cb, &clock);
    for _ in 0..4 {
        call_ignored(&cb);
        assert_eq!(cb.state(), CircuitState::HalfOpen);
    }
    assert_eq!(cb.stats().half_open_in_flight, 0);
    for _ in 0..3 {
        succeed(&cb);
        assert_eq!(cb.state(), CircuitState::HalfOpen);
    }
    assert_eq!(cb.stats().half_open_successes, 3);
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
}

/// shouldResetToClosedState.
#[test]
fn reset_from_open_closes() {
    let (cb, _) = breaker();
    cb.trip();
    cb.reset();
    assert_eq!(cb.state(), CircuitState::Closed);
}

/// shouldResetClosedState.
#[test]
fn reset_in_closed_state_clears_counts() {
    let (cb, _) = breaker();
    succeed(&cb);
    succeed(&cb);
    assert_eq!(cb.stats().window.successes(), 2);
    cb.reset();
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(cb.stats().window.successes(), 0);
}

fn call_ignored(cb: &CircuitBreaker) {
    cb.try_acquire().expect("admitted").ignore();
}
