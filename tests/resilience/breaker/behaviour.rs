//! DESIGN §3's breaker, one behaviour per test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{
    BreakerError, CircuitBreaker, CircuitState, EventKind, Outcome, TransitionReason,
};

use super::{SECOND, Transitions, fail, manual, succeed, timed};

fn threshold(failures: u32) -> CircuitBreakerConfig {
    CircuitBreakerConfig {
        failure_threshold: failures,
        reset_timeout: Duration::from_secs(30),
        half_open_success_needed: 2,
        ..Default::default()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn opens_after_the_failure_threshold() {
    let (cb, _) = manual(threshold(3));
    fail(&cb);
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    succeed(&cb);
    fail(&cb);
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Closed, "a success breaks the run");
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
}

#[test]
fn rejects_without_calling_the_future_in_well_under_a_millisecond() {
    let (cb, _) = manual(threshold(1));
    fail(&cb);
    let polled = AtomicUsize::new(0);
    let rt = runtime();
    const CALLS: u32 = 10_000;
    let started = Instant::now();
    for _ in 0..CALLS {
        let result = rt.block_on(cb.call(async {
            polled.fetch_add(1, Ordering::Relaxed);
            Ok::<_, ()>(())
        }));
        assert!(matches!(result, Err(BreakerError::Rejected(_))));
    }
    let each = started.elapsed() / CALLS;
    assert_eq!(
        polled.load(Ordering::Relaxed),
        0,
        "a rejected call is never polled"
    );
    assert!(each < Duration::from_micros(100), "a rejection took {each:?}");
    assert_eq!(cb.stats().rejected, CALLS);
}

#[test]
fn half_opens_after_the_reset_timeout() {
    let (cb, clock) = manual(threshold(1));
    fail(&cb);
    clock.advance(Duration::from_secs(29));
    assert_eq!(cb.state(), CircuitState::Open);
    let rejected = cb.try_acquire().unwrap_err();
    assert_eq!(rejected.retry_in(), Some(SECOND));
    clock.advance(SECOND);
    assert_eq!(cb.state(), CircuitState::HalfOpen);
}

#[test]
fn closes_after_the_successes_needed() {
    let (cb, clock) = manual(threshold(1));
    fail(&cb);
    clock.advance(Duration::from_secs(30));
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed);
    assert_eq!(cb.stats().opens, 0);
}

#[test]
fn reopens_on_a_half_open_failure_with_a_growing_period() {
    let (cb, clock) = manual(CircuitBreakerConfig {
        backoff_multiplier: 2.0,
        max_reset_timeout: Some(Duration::from_secs(100)),
        ..threshold(1)
    });
    fail(&cb);
    let mut expected = [30, 60, 100, 100].into_iter();
    for _ in 0..4 {
        let period = Duration::from_secs(expected.next().unwrap());
        assert_eq!(cb.stats().open_remaining, Some(period));
        clock.advance(period);
        succeed(&cb);
        fail(&cb);
        assert_eq!(cb.state(), CircuitState::Open);
    }
    // Closing starts the periods over.
    clock.advance(Duration::from_secs(100));
    succeed(&cb);
    succeed(&cb);
    fail(&cb);
    assert_eq!(cb.stats().open_remaining, Some(Duration::from_secs(30)));
}

#[test]
fn failure_rate_window_trips_only_once_minimum_calls_is_reached() {
    let (cb, _) = manual(CircuitBreakerConfig {
        failure_threshold: 1_000,
        failure_rate: Some(0.5),
        minimum_calls: 10,
        window_size: 20,
        ..Default::default()
    });
    for _ in 0..9 {
        fail(&cb);
    }
    assert_eq!(cb.state(), CircuitState::Closed, "9 calls: below minimum_calls");
    assert_eq!(cb.stats().failure_rate, None);
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
    assert_eq!(cb.stats().failure_rate, Some(1.0));
}

#[test]
fn failure_rate_below_the_threshold_stays_closed() {
    let (cb, _) = manual(CircuitBreakerConfig {
        failure_threshold: 1_000,
        failure_rate: Some(0.5),
        minimum_calls: 10,
        window_size: 20,
        ..Default::default()
    });
    for _ in 0..100 {
        succeed(&cb);
        succeed(&cb);
        fail(&cb);
    }
    assert_eq!(cb.state(), CircuitState::Closed);
    let rate = cb.stats().failure_rate.unwrap();
    assert!((0.25..=0.45).contains(&rate), "{rate}");
    // A run of failures pushes the rate to 50 % within a few calls.
    let mut failures = 0;
    while cb.state() == CircuitState::Closed {
        fail(&cb);
        failures += 1;
    }
    assert!(failures <= 4, "{failures}");
    assert_eq!(cb.stats().failure_rate, Some(0.5));
}

#[test]
fn time_window_forgets_old_calls() {
    let (cb, clock) = manual(CircuitBreakerConfig {
        failure_threshold: 1_000,
        failure_rate: Some(0.5),
        minimum_calls: 4,
        window_duration: Some(Duration::from_secs(10)),
        ..Default::default()
    });
    fail(&cb);
    fail(&cb);
    fail(&cb);
    clock.advance(Duration::from_secs(10));
    succeed(&cb);
    assert_eq!(cb.state(), CircuitState::Closed, "the failures are 10 s old");
    assert_eq!(cb.stats().window.calls, 1);
}

#[test]
fn slow_calls_trip_the_slow_call_rate() {
    let (cb, clock) = manual(CircuitBreakerConfig {
        minimum_calls: 4,
        slow_call_duration: Duration::from_millis(100),
        slow_call_rate: Some(0.5),
        ..Default::default()
    });
    timed(&cb, Outcome::Success, Duration::from_millis(150));
    timed(&cb, Outcome::Success, Duration::from_millis(20));
    timed(&cb, Outcome::Success, Duration::from_millis(20));
    assert_eq!(cb.state(), CircuitState::Closed);
    // Timed by the breaker's own clock: this call "takes" 200 ms of manual time.
    let rt = runtime();
    let slow = rt.block_on(cb.call(async {
        clock.advance(Duration::from_millis(200));
        Ok::<_, ()>("done")
    }));
    assert_eq!(slow, Ok("done"));
    assert_eq!(cb.state(), CircuitState::Open);
    assert_eq!(cb.stats().slow_call_rate, Some(0.5));
}

#[test]
fn at_most_half_open_max_calls_probes_in_flight() {
    let (cb, clock) = manual(CircuitBreakerConfig {
        half_open_max_calls: 3,
        half_open_success_needed: 5,
        ..threshold(1)
    });
    fail(&cb);
    clock.advance(Duration::from_secs(30));
    // Many threads race for the slots; exactly three win while the winners are in flight.
    let start = std::sync::Barrier::new(8);
    let won: Vec<_> = std::thread::scope(|s| {
        let tries: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    cb.try_acquire_owned().ok()
                })
            })
            .collect();
        tries.into_iter().filter_map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(won.len(), 3);
    assert_eq!(cb.stats().half_open_in_flight, 3);
    assert!(cb.try_acquire().is_err());
    won.into_iter().for_each(|p| p.success());
    assert_eq!(cb.stats().half_open_in_flight, 0);
    assert!(cb.try_acquire_owned().is_ok());
}

#[test]
fn concurrent_async_probes_are_limited() {
    let (cb, clock) = manual(CircuitBreakerConfig {
        half_open_max_calls: 2,
        half_open_success_needed: 10,
        ..threshold(1)
    });
    fail(&cb);
    clock.advance(Duration::from_secs(30));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Notify::new());
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let (cb, in_flight, peak, gate) = (cb.clone(), in_flight.clone(), peak.clone(), gate.clone());
            rt.spawn(async move {
                cb.call(async {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    gate.notified().await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    Ok::<_, ()>(())
                })
                .await
            })
        })
        .collect();
    rt.block_on(async {
        while in_flight.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        gate.notify_waiters();
    });
    let results: Vec<_> = calls.into_iter().map(|c| rt.block_on(c).unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(e) if e.is_rejected()))
            .count(),
        8
    );
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[test]
fn events_are_delivered_on_each_transition() {
    let (cb, clock) = manual(threshold(1));
    let transitions = Transitions::watch(&cb);
    let mut channel = cb.subscribe();
    fail(&cb);
    clock.advance(Duration::from_secs(30));
    fail(&cb);
    clock.advance(Duration::from_secs(30));
    succeed(&cb);
    succeed(&cb);
    cb.force_open();
    cb.force_closed();
    cb.reset();
    use CircuitState::{Closed, HalfOpen, Open};
    use TransitionReason::*;
    let expected = [
        (Closed, Open, ConsecutiveFailures),
        (Open, HalfOpen, ResetTimeoutElapsed),
        (HalfOpen, Open, ProbeFailed),
        (Open, HalfOpen, ResetTimeoutElapsed),
        (HalfOpen, Closed, ProbesSucceeded),
        (Closed, Open, ForcedOpen),
        (Open, Closed, ForcedClosed),
        (Closed, Closed, Reset),
    ];
    assert_eq!(transitions.take(), expected);
    let mut received = Vec::new();
    while let Ok(event) = channel.try_recv() {
        if let EventKind::StateChanged { from, to, reason } = event.kind {
            received.push((from, to, reason));
        }
    }
    assert_eq!(received, expected);
}

#[test]
fn rejections_reach_callbacks_every_time_and_the_channel_once_per_state() {
    let (cb, _) = manual(threshold(1));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    cb.on_event(move |e| {
        if matches!(e.kind, EventKind::Rejected { .. }) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut channel = cb.subscribe();
    fail(&cb);
    for _ in 0..5 {
        assert!(cb.try_acquire().is_err());
    }
    assert_eq!(seen.load(Ordering::Relaxed), 5);
    let kinds: Vec<_> = std::iter::from_fn(|| channel.try_recv().ok())
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(
        kinds[1],
        EventKind::Rejected {
            state: CircuitState::Open
        }
    );
}

#[test]
fn wait_until_ready_wakes_at_the_end_of_the_open_period() {
    let cb = CircuitBreaker::new(CircuitBreakerConfig {
        reset_timeout: Duration::from_millis(50),
        ..threshold(1)
    });
    fail(&cb);
    let rt = runtime();
    rt.block_on(async {
        let soon = tokio::time::Instant::now() + Duration::from_millis(5);
        assert!(cb.wait_until_ready(soon).await.is_err());
        let later = tokio::time::Instant::now() + Duration::from_secs(5);
        let started = Instant::now();
        cb.wait_until_ready(later)
            .await
            .expect("ready before the deadline");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(cb.state(), CircuitState::HalfOpen);
    });
}

#[test]
fn wait_until_ready_wakes_on_a_state_change() {
    let cb = CircuitBreaker::new(Default::default());
    cb.force_open();
    let rt = runtime();
    rt.block_on(async {
        let waiter = cb.clone();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let wait = tokio::spawn(async move { waiter.wait_until_ready(deadline).await });
        tokio::task::yield_now().await;
        cb.reset();
        assert!(wait.await.unwrap().is_ok());
    });
}

#[test]
fn call_with_fallback_runs_the_fallback_only_when_rejected() {
    let (cb, _) = manual(threshold(1));
    let rt = runtime();
    let failed = rt.block_on(cb.call_with_fallback(async { Err::<u32, _>("down") }, |_| async { Ok(0) }));
    assert_eq!(failed, Err("down"));
    let fallback = rt.block_on(
        cb.call_with_fallback(async { Ok::<u32, &str>(1) }, |rejected| async move {
            assert_eq!(rejected.state(), CircuitState::Open);
            Ok(0)
        }),
    );
    assert_eq!(fallback, Ok(0));
}

#[test]
fn a_custom_classifier_decides_what_fails() {
    let (cb, _) = manual(threshold(2));
    let rt = runtime();
    let status_is_failure = |r: &Result<u16, ()>| match r {
        Ok(404) => Outcome::Other,
        Ok(status) => Outcome::Status {
            code: *status,
            retry_after: None,
        },
        Err(()) => Outcome::Failed,
    };
    for status in [404, 404, 200, 503] {
        let _ = rt.block_on(cb.call_with(status_is_failure, async move { Ok(status) }));
    }
    assert_eq!(cb.stats().consecutive_failures, 1);
    let _ = rt.block_on(cb.call_with(status_is_failure, async { Ok(500) }));
    assert_eq!(cb.state(), CircuitState::Open);
}

#[test]
fn statuses_at_or_above_server_error_threshold_are_failures() {
    let (cb, _) = manual(CircuitBreakerConfig {
        server_error_threshold: 502,
        ..threshold(2)
    });
    cb.try_acquire().unwrap().record_status(500);
    cb.try_acquire().unwrap().record_status(502);
    assert_eq!(cb.state(), CircuitState::Closed);
    cb.try_acquire().unwrap().record_status(503);
    assert_eq!(cb.state(), CircuitState::Open);
}

#[test]
fn a_trip_predicate_replaces_the_built_in_rules() {
    let clock = connfx::resilience::circuit_breaker::ManualClock::new();
    let cb = CircuitBreaker::builder(threshold(1))
        .clock(clock)
        .trip_when(|c| c.window.failures >= 3)
        .build();
    fail(&cb);
    fail(&cb);
    assert_eq!(
        cb.state(),
        CircuitState::Closed,
        "failure_threshold = 1 no longer applies"
    );
    fail(&cb);
    assert_eq!(cb.state(), CircuitState::Open);
}

#[test]
fn a_cancelled_call_is_not_counted_and_frees_its_probe_slot() {
    let (cb, clock) = manual(threshold(1));
    fail(&cb);
    clock.advance(Duration::from_secs(30));
    let rt = runtime();
    rt.block_on(async {
        let pending = cb.call(std::future::pending::<Result<(), ()>>());
        let _ = tokio::time::timeout(Duration::from_millis(1), pending).await;
    });
    assert_eq!(cb.state(), CircuitState::HalfOpen);
    assert_eq!(cb.stats().half_open_in_flight, 0);
    assert!(cb.try_acquire().is_ok());
}

#[test]
fn try_new_reports_every_value_out_of_bounds() {
    let err = CircuitBreaker::try_new(CircuitBreakerConfig {
        failure_threshold: 0,
        slow_call_rate: Some(2.0),
        reset_timeout: Duration::from_secs(60),
        max_reset_timeout: Some(Duration::from_secs(10)),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(
        err.problems(),
        [
            "`failure_threshold` must be between 1 and 1000000, found 0",
            "`slow_call_rate` must be between 0 and 1, found 2",
            "`reset_timeout` (1m) must not be above `max_reset_timeout` (10s)",
        ]
    );
}

#[test]
fn config_reads_every_key_from_a_file_shape() {
    let json = serde_json::json!({
        "enabled": true,
        "failure_threshold": 3,
        "failure_rate": 0.25,
        "minimum_calls": 20,
        "window_size": 50,
        "window_duration": "1m",
        "slow_call_duration": "2s",
        "slow_call_rate": 0.8,
        "reset_timeout": "10s",
        "backoff_multiplier": 2.0,
        "max_reset_timeout": "5m",
        "half_open_max_calls": 2,
        "half_open_success_needed": 3,
        "server_error_threshold": 502,
        "scope": "local",
        "quorum": 3,
        "count_calls": true,
    });
    let config: CircuitBreakerConfig = serde_json::from_value(json.clone()).unwrap();
    assert!(config.count_calls);
    assert_eq!(config.window_duration, Some(Duration::from_secs(60)));
    assert_eq!(config.max_reset_timeout, Some(Duration::from_secs(300)));
    assert!(config.check().is_ok());
    assert_eq!(serde_json::to_value(&config).unwrap(), json);
    let typo = serde_json::json!({ "window_sise": 5 });
    assert!(serde_json::from_value::<CircuitBreakerConfig>(typo).is_err());
}

#[test]
fn a_plain_breaker_takes_at_most_128_bytes() {
    // Handle (8) + the Arc's counters (16) + state, window, policy and an empty extras slot
    // (104): see `CircuitBreaker::memory_footprint`.
    let cb = CircuitBreaker::new(CircuitBreakerConfig {
        failure_rate: Some(0.5),
        ..Default::default()
    });
    assert!(cb.memory_footprint() <= 128, "{}", cb.memory_footprint());
    assert_eq!(size_of::<CircuitBreaker>(), size_of::<usize>());
}
