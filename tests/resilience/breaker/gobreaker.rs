//! Scenarios of sony/gobreaker's own suite (`gobreaker_test.go`), translated. gobreaker's
//! `Counts{Requests, TotalSuccesses, TotalFailures, ConsecutiveSuccesses, ConsecutiveFailures}`
//! map to connfx's window counts and `consecutive_failures`; its `pseudoSleep` (moving `expiry`
//! back) becomes advancing a `ManualClock`.

use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState, ManualClock, TripCounts};

use super::{SECOND, Transitions, fail, manual, succeed};

/// gobreaker's default settings: `MaxRequests` 1, `Timeout` 60 s, `ReadyToTrip`
/// `ConsecutiveFailures > 5` (connfx: `failure_threshold = 6`). The predicate-free config keeps
/// no window, so the counts checked are the consecutive failures.
fn default_cb() -> (CircuitBreaker, ManualClock) {
    manual(CircuitBreakerConfig {
        failure_threshold: 6,
        reset_timeout: Duration::from_secs(60),
        half_open_max_calls: 1,
        half_open_success_needed: 1,
        ..Default::default()
    })
}

/// gobreaker's custom settings: name "cb", `MaxRequests` 3, `Interval` 30 s, `Timeout` 90 s,
/// `ReadyToTrip` "at least 3 requests and a failure ratio of at least 0.6", `OnStateChange`
/// recorded. `Interval` (counts cleared every 30 s) becomes a 60 s time window, whose halves are
/// forgotten after 60 s; `MaxRequests` becomes 3 successes needed with one probe at a time.
fn custom_cb() -> (CircuitBreaker, ManualClock, Transitions) {
    let clock = ManualClock::new();
    let cb = CircuitBreaker::builder(CircuitBreakerConfig {
        window_duration: Some(Duration::from_secs(60)),
        reset_timeout: Duration::from_secs(90),
        half_open_max_calls: 1,
        half_open_success_needed: 3,
        ..Default::default()
    })
    .name("cb")
    .clock(clock.clone())
    .trip_when(|c: &TripCounts| {
        c.window.calls >= 3 && f64::from(c.window.failures) / f64::from(c.window.calls) >= 0.6
    })
    .build();
    let transitions = Transitions::watch(&cb);
    (cb, clock, transitions)
}

fn counts(cb: &CircuitBreaker) -> (u32, u32, u32, u32) {
    let s = cb.stats();
    (
        s.window.calls,
        s.window.successes(),
        s.window.failures,
        s.consecutive_failures,
    )
}

/// sony/gobreaker, gobreaker_test.go, TestNewCircuitBreaker: a new breaker is closed with
/// zeroed counts and carries its name.
#[test]
fn new_circuit_breaker() {
    let (cb, _) = default_cb();
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(cb.name(), None);
    assert_eq!(counts(&cb), (0, 0, 0, 0));
    let (custom, _, _) = custom_cb();
    assert_eq!(custom.name(), Some("cb"));
    assert_eq!(counts(&custom), (0, 0, 0, 0));
}

/// sony/gobreaker, gobreaker_test.go, TestDefaultCircuitBreaker.
#[test]
fn default_circuit_breaker() {
    let (cb, clock) = default_cb();
    for _ in 0..5 {
        fail(&cb);
    }
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(cb.stats().consecutive_failures, 5);

    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(cb.stats().consecutive_failures, 0);

    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(cb.stats().consecutive_failures, 1);

    // StateClosed to StateOpen: 6 consecutive failures.
    for _ in 0..5 {
        fail(&cb);
    }
    assert_eq!(cb.state(), CircuitState::Open);
    assert!(cb.try_acquire().is_err());
    assert!(cb.try_acquire().is_err());

    clock.advance(Duration::from_secs(59));
    assert_eq!(cb.state(), CircuitState::Open);

    // StateOpen to StateHalfOpen, over Timeout.
    clock.advance(SECOND);
    assert_eq!(cb.state(), CircuitState::HalfOpen);

    // StateHalfOpen to StateOpen.
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);

    // StateOpen to StateHalfOpen.
    clock.advance(Duration::from_secs(60));
    assert_eq!(cb.state(), CircuitState::HalfOpen);

    // StateHalfOpen to StateClosed, counts cleared.
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(counts(&cb), (0, 0, 0, 0));
}

/// sony/gobreaker, gobreaker_test.go, TestCustomCircuitBreaker.
#[test]
fn custom_circuit_breaker() {
    let (cb, clock, transitions) = custom_cb();
    for _ in 0..5 {
        succeed(&cb);
        fail(&cb);
    }
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(counts(&cb), (10, 5, 5, 1));

    clock.advance(Duration::from_secs(29));
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(counts(&cb), (11, 6, 5, 0));

    // Over Interval: the old counts are gone (gobreaker: 1 s later; here the window's 60 s).
    clock.advance(Duration::from_secs(31));
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(counts(&cb), (1, 0, 1, 1));

    // StateClosed to StateOpen: failure ratio 2/3 >= 0.6.
    succeed(&cb);
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
    assert_eq!(
        transitions.last(),
        Some((CircuitState::Closed, CircuitState::Open))
    );

    // StateOpen to StateHalfOpen.
    clock.advance(Duration::from_secs(90));
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    assert_eq!(
        transitions.last(),
        Some((CircuitState::Open, CircuitState::HalfOpen))
    );

    succeed(&cb);
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    assert_eq!(cb.stats().half_open_successes, 2);

    // StateHalfOpen to StateClosed: a third success while a fourth call is turned away.
    let third = cb.try_acquire().expect("third probe");
    assert!(cb.try_acquire().is_err(), "over MaxRequests");
    third.success();
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(counts(&cb), (0, 0, 0, 0));
    assert_eq!(
        transitions.last(),
        Some((CircuitState::HalfOpen, CircuitState::Closed))
    );
}

/// sony/gobreaker, gobreaker_test.go, TestPanicInRequest: a request that panics counts as a
/// failure.
#[test]
fn panic_in_request() {
    let (cb, _) = default_cb();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(cb.call(async {
            if cb.name().is_none() {
                panic!("oops");
            }
            Ok::<(), ()>(())
        }))
    }));
    assert!(outcome.is_err());
    assert_eq!(cb.stats().consecutive_failures, 1);
}

/// sony/gobreaker, gobreaker_test.go, TestGeneration: a request from an earlier generation has
/// no effect on the counts. (gobreaker starts a generation on each `Interval`; connfx on each
/// transition, here a reset.)
#[test]
fn generation() {
    let (cb, _, _) = custom_cb();
    succeed(&cb);
    let late = cb.try_acquire().expect("admitted");
    assert_eq!(counts(&cb), (1, 1, 0, 0));
    cb.reset();
    assert_eq!(counts(&cb), (0, 0, 0, 0));
    late.failure();
    assert_eq!(counts(&cb), (0, 0, 0, 0));
}

/// sony/gobreaker, gobreaker_test.go, TestCircuitBreakerInParallel: successes from many threads
/// at once are all counted.
#[test]
fn circuit_breaker_in_parallel() {
    let (cb, _, _) = custom_cb();
    const THREADS: u32 = 4;
    const CALLS: u32 = 25_000;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| (0..CALLS).for_each(|_| succeed(&cb)));
        }
    });
    let total = THREADS * CALLS;
    assert_eq!(counts(&cb), (total, total, 0, 0));
}

/// sony/gobreaker, gobreaker_test.go, TestErrorStateOpen: the rejection says the circuit is open.
#[test]
fn error_state_open() {
    let (cb, _) = default_cb();
    cb.force_open();
    assert_eq!(
        cb.try_acquire().unwrap_err().to_string(),
        "circuit open: call not attempted"
    );
}
