//! Model tests of the state machine under loom: every interleaving (up to a preemption bound) of
//! two or three threads admitting calls and recording outcomes on one breaker.
//!
//! Run with `RUSTFLAGS="--cfg connfx_loom" cargo test -p connfx --no-default-features --lib
//! loom_tests --release` in a target dir of its own (every crate is rebuilt under the cfg).
//! The breaker's atomics are loom's there (see `sync.rs`); the clock is a `ManualClock`, so time
//! moves only where a test moves it.

use std::time::Duration;

use loom::sync::Arc;
use loom::thread;

use super::{CircuitBreaker, CircuitBreakerConfig, CircuitState, ManualClock, Outcome};

const RESET: Duration = Duration::from_secs(1);

/// Explores `test` with at most `preemptions` preemptions per execution (`LOOM_MAX_PREEMPTIONS`
/// overrides it). Bounded search finds almost all real races with two or three (the CHESS
/// result loom's docs cite) and keeps each model to seconds.
fn model_bounded(preemptions: usize, test: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    builder.check(test);
}

fn model(test: impl Fn() + Sync + Send + 'static) {
    model_bounded(3, test);
}

fn breaker(threshold: u32, max_calls: u32, needed: u32) -> (CircuitBreaker, ManualClock) {
    let clock = ManualClock::new();
    let config = CircuitBreakerConfig {
        failure_threshold: threshold,
        failure_rate: None,
        reset_timeout: RESET,
        half_open_max_calls: max_calls,
        half_open_success_needed: needed,
        ..Default::default()
    };
    let cb = CircuitBreaker::builder(config).clock(clock.clone()).build();
    (cb, clock)
}

/// A breaker whose open period has just ended: the next call moves it to half-open.
fn due_for_half_open(max_calls: u32, needed: u32) -> CircuitBreaker {
    let (cb, clock) = breaker(1, max_calls, needed);
    cb.try_acquire().expect("closed admits").failure();
    assert_eq!(cb.state(), CircuitState::Open);
    clock.advance(RESET);
    cb
}

/// Two threads race to end the open period; with one probe allowed, exactly one is admitted,
/// whichever wins the transition to half-open.
#[test]
fn one_probe_admitted_when_two_race_out_of_open() {
    model(|| {
        let cb = Arc::new(due_for_half_open(1, 1));
        let admitted = Arc::new(std::sync::Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (cb, admitted) = (cb.clone(), admitted.clone());
                thread::spawn(move || {
                    if let Ok(permit) = cb.try_acquire_owned() {
                        assert!(permit.is_probe(), "half-open admits only probes");
                        admitted.lock().expect("not poisoned").push(permit);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("no panic"));
        let permits = std::mem::take(&mut *admitted.lock().expect("not poisoned"));
        assert_eq!(permits.len(), 1, "half_open_max_calls = 1");
        assert_eq!(cb.stats().half_open_in_flight, 1);
        permits.into_iter().for_each(|p| p.success());
        assert_eq!(cb.state(), CircuitState::Closed);
    });
}

/// Three threads race for probes out of the open state with `half_open_max_calls = 2`: exactly
/// two are admitted, whoever wins the transition, and two successes then close the breaker.
#[test]
fn probes_admitted_never_exceed_the_limit() {
    // Three threads: two preemptions (three take minutes).
    model_bounded(2, || {
        let cb = Arc::new(due_for_half_open(2, 2));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let cb = cb.clone();
                thread::spawn(move || cb.try_acquire_owned().ok())
            })
            .collect();
        let permits: Vec<_> = threads
            .into_iter()
            .filter_map(|t| t.join().expect("no panic"))
            .collect();
        assert_eq!(permits.len(), 2, "half_open_max_calls = 2");
        assert!(permits.iter().all(|p| p.is_probe()));
        assert_eq!(cb.stats().half_open_in_flight, 2);
        permits.into_iter().for_each(|p| p.success());
        let stats = cb.stats();
        assert_eq!(stats.state, CircuitState::Closed);
        assert_eq!((stats.half_open_in_flight, stats.opens), (0, 0));
    });
}

/// One probe fails while another succeeds: whatever the order, the failure reopens the breaker
/// (a success alone is not enough with `half_open_success_needed = 2`), and the late success is
/// not counted in the new open period.
#[test]
fn a_failed_probe_reopens_whatever_the_order() {
    model(|| {
        let cb = Arc::new(due_for_half_open(2, 2));
        let first = cb.try_acquire_owned().expect("first probe");
        let second = cb.try_acquire_owned().expect("second probe");
        let a = thread::spawn(move || first.success());
        let b = thread::spawn(move || second.failure());
        a.join().expect("no panic");
        b.join().expect("no panic");
        let stats = cb.stats();
        assert_eq!(stats.state, CircuitState::Open);
        assert_eq!((stats.half_open_in_flight, stats.half_open_successes), (0, 0));
        assert_eq!(stats.opens, 2, "opened, then reopened by the probe");
    });
}

/// Failures recorded by two threads at once with `failure_threshold = 2` open the breaker
/// exactly once, and a success racing them from an earlier period changes nothing.
#[test]
fn concurrent_failures_open_once() {
    model(|| {
        let (cb, _clock) = breaker(2, 1, 1);
        let cb = Arc::new(cb);
        let permits: Vec<_> = (0..3)
            .map(|_| cb.try_acquire_owned().expect("closed admits"))
            .collect();
        let threads: Vec<_> = permits
            .into_iter()
            .zip([Outcome::Failed, Outcome::Failed, Outcome::Success])
            .map(|(permit, outcome)| thread::spawn(move || permit.record(outcome)))
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("no panic"));
        let stats = cb.stats();
        // The success may land between the failures and reset the run, or after the breaker
        // opened (then it belongs to the closed period and is dropped).
        match stats.state {
            CircuitState::Open => assert_eq!(stats.opens, 1, "one transition, not two"),
            CircuitState::Closed => assert!(stats.consecutive_failures <= 1),
            CircuitState::HalfOpen => panic!("no time passed, so no half-open"),
        }
    });
}

/// A cancelled probe frees its slot: with one probe allowed, a call racing the cancellation is
/// either rejected (slot still taken) or admitted as the next probe, never both at once.
#[test]
fn a_cancelled_probe_frees_its_slot() {
    model(|| {
        let cb = Arc::new(due_for_half_open(1, 1));
        let probe = cb.try_acquire_owned().expect("first probe");
        let other = cb.clone();
        let cancel = thread::spawn(move || drop(probe));
        let next = thread::spawn(move || other.try_acquire_owned().ok());
        cancel.join().expect("no panic");
        let next = next.join().expect("no panic");
        let stats = cb.stats();
        assert_eq!(stats.state, CircuitState::HalfOpen);
        assert_eq!(stats.half_open_in_flight, u32::from(next.is_some()));
        if let Some(permit) = next {
            permit.success();
            assert_eq!(cb.state(), CircuitState::Closed);
        }
    });
}
