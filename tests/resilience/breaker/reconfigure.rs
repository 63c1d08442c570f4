//! `CircuitBreaker::reconfigure`: a reload changes the rules of a live breaker and keeps what it
//! has learnt — its state, the end of its open period, its window — and its handles and
//! listeners.

use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{CircuitState, Outcome};

use super::{SECOND, Transitions, fail, manual, succeed, timed};

fn threshold(n: u32) -> CircuitBreakerConfig {
    CircuitBreakerConfig {
        failure_threshold: n,
        reset_timeout: Duration::from_secs(30),
        half_open_max_calls: 1,
        half_open_success_needed: 1,
        ..Default::default()
    }
}

#[test]
fn an_open_breaker_stays_open_across_a_raised_threshold_until_its_open_period_ends() {
    let (cb, clock) = manual(threshold(2));
    let transitions = Transitions::watch(&cb);
    fail(&cb);
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
    clock.advance(10 * SECOND);
    let before = cb.stats().open_remaining.expect("open period");

    cb.reconfigure(&threshold(5)).expect("valid");
    assert_eq!(cb.state(), CircuitState::Open, "the state is kept");
    assert_eq!(
        cb.stats().open_remaining,
        Some(before),
        "the open period's end is kept"
    );
    assert!(cb.try_acquire().is_err(), "still rejecting");

    // The open period ends as it was set to; the probe closes it; the new threshold rules.
    clock.advance(20 * SECOND);
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    for _ in 0..4 {
        fail(&cb);
    }
    assert_eq!(
        cb.state(),
        CircuitState::Closed,
        "4 failures are below the new threshold of 5"
    );
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
    assert_eq!(
        transitions.take().len(),
        4,
        "open, half-open, closed, open: no reset by the reload"
    );
}

#[test]
fn a_lowered_threshold_applies_from_the_next_failure() {
    let (cb, _clock) = manual(threshold(5));
    for _ in 0..3 {
        fail(&cb);
    }
    cb.reconfigure(&threshold(2)).expect("valid");
    assert_eq!(
        cb.state(),
        CircuitState::Closed,
        "a reload decides nothing by itself"
    );
    assert_eq!(cb.stats().consecutive_failures, 3, "the count is kept");
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
}

#[test]
fn a_smaller_window_keeps_the_calls_that_fit_with_their_rate() {
    let rate = |window_size: u32| CircuitBreakerConfig {
        failure_rate: Some(0.5),
        window_size,
        minimum_calls: 10,
        failure_threshold: 1_000,
        ..Default::default()
    };
    let (cb, _clock) = manual(rate(100));
    for i in 0..40 {
        if i % 4 == 0 { fail(&cb) } else { succeed(&cb) }
    }
    assert_eq!((cb.stats().window.calls, cb.stats().window.failures), (40, 10));

    cb.reconfigure(&rate(20)).expect("valid");
    // A full half of the new size is kept (10 calls), with a quarter of them failed, rounded.
    let window = cb.stats().window;
    assert_eq!(window.calls, 10, "{window:?}");
    assert!(
        (2..=3).contains(&window.failures),
        "the failure rate is kept: {window:?}"
    );

    // And it keeps rolling at the new size: 30 successes leave at most 20 calls, none failed.
    for _ in 0..30 {
        succeed(&cb);
    }
    let window = cb.stats().window;
    assert!(window.calls <= 20 && window.failures == 0, "{window:?}");
    assert_eq!(cb.state(), CircuitState::Closed);
}

#[test]
fn an_invalid_config_is_refused_and_changes_nothing() {
    let (cb, _clock) = manual(threshold(2));
    let err = cb
        .reconfigure(&CircuitBreakerConfig {
            failure_rate: Some(1.5),
            ..threshold(1)
        })
        .unwrap_err();
    assert!(err.to_string().contains("failure_rate"), "{err}");
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Closed, "the threshold is still 2");
}

#[test]
fn a_call_admitted_before_slow_calls_were_timed_is_not_slow() {
    let slow = CircuitBreakerConfig {
        slow_call_rate: Some(0.5),
        slow_call_duration: Duration::from_millis(100),
        minimum_calls: 1,
        ..Default::default()
    };
    let (cb, clock) = manual(CircuitBreakerConfig::default());
    let early = cb.try_acquire().expect("admitted");
    cb.reconfigure(&slow).expect("valid");
    clock.advance(SECOND);
    early.record(Outcome::Success);
    assert_eq!(cb.stats().window.slow_calls, 0, "not timed, so not slow");
    timed(&cb, Outcome::Success, SECOND);
    assert_eq!(
        cb.stats().window.slow_calls,
        1,
        "calls admitted after the reload are timed"
    );
    assert_eq!(cb.state(), CircuitState::Open);
}

/// A group member registered with its own config keeps it when the group is reconfigured.
#[test]
fn a_group_reconfigure_leaves_members_with_their_own_config() {
    use connfx::resilience::circuit_breaker::CircuitBreakerGroup;
    let group = CircuitBreakerGroup::new(CircuitBreakerConfig::standard());
    group
        .register("payments", CircuitBreakerConfig::aggressive())
        .unwrap();
    group.get("search");
    group
        .reconfigure(&CircuitBreakerConfig {
            failure_threshold: 1,
            ..CircuitBreakerConfig::default()
        })
        .unwrap();
    group.get("search").try_acquire().unwrap().failure();
    assert_eq!(
        group.get("search").state(),
        CircuitState::Open,
        "the group's new threshold"
    );
    for _ in 0..2 {
        group.get("payments").try_acquire().unwrap().failure();
    }
    assert_eq!(
        group.get("payments").state(),
        CircuitState::Closed,
        "still its own 3"
    );
    group.get("payments").try_acquire().unwrap().failure();
    assert_eq!(group.get("payments").state(), CircuitState::Open);
}
