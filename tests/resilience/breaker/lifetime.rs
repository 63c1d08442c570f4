//! `count_calls`: lifetime counts in `stats()` whatever the trip rule (issue 16 item 6; seed
//! 003's `Counts.Requests`, `Counts.TotalFailures`, `RunningCalls`; seed 001's registry stats).

use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{
    CircuitBreaker, CircuitBreakerGroup, CircuitState, LifetimeCounts,
};

use super::manual;

fn counting(config: CircuitBreakerConfig) -> CircuitBreakerConfig {
    CircuitBreakerConfig {
        count_calls: true,
        reset_timeout: Duration::from_secs(10),
        ..config
    }
}

fn lifetime(cb: &CircuitBreaker) -> LifetimeCounts {
    cb.stats().lifetime.expect("count_calls is on")
}

/// 4 successes, 3 failures (the third opens), 2 rejected, 1 still running, 1 cancelled.
fn exercise(cb: &CircuitBreaker) -> connfx::resilience::circuit_breaker::OwnedPermit {
    let running = cb.try_acquire_owned().expect("closed");
    for _ in 0..4 {
        cb.try_acquire().unwrap().success();
    }
    drop(cb.try_acquire().unwrap()); // cancelled: ignored
    for _ in 0..3 {
        cb.try_acquire().unwrap().failure();
    }
    assert_eq!(cb.state(), CircuitState::Open);
    for _ in 0..2 {
        assert!(cb.try_acquire().is_err());
    }
    running
}

#[test]
fn every_trip_rule_keeps_the_same_counts() {
    let rules = [
        (
            "consecutive failures",
            CircuitBreakerConfig {
                failure_threshold: 3,
                ..Default::default()
            },
        ),
        (
            "failure rate",
            CircuitBreakerConfig {
                failure_threshold: 1_000,
                failure_rate: Some(0.3),
                minimum_calls: 7,
                ..Default::default()
            },
        ),
        (
            "slow-call rate and failures",
            CircuitBreakerConfig {
                failure_threshold: 3,
                slow_call_rate: Some(0.9),
                slow_call_duration: Duration::from_secs(5),
                ..Default::default()
            },
        ),
    ];
    for (rule, config) in rules {
        let (cb, _clock) = manual(counting(config));
        let running = exercise(&cb);
        let counts = lifetime(&cb);
        assert_eq!(
            (
                counts.requests,
                counts.rejected,
                counts.successes,
                counts.failures
            ),
            (11, 2, 4, 3),
            "{rule}: {counts:?}"
        );
        assert_eq!((counts.ignored, counts.running), (1, 1), "{rule}: {counts:?}");
        running.success();
        assert_eq!(lifetime(&cb).running, 0, "{rule}");
        assert_eq!(lifetime(&cb).successes, 5, "{rule}");
    }
}

#[test]
fn a_trip_predicate_keeps_the_counts_too() {
    let config = counting(CircuitBreakerConfig::default());
    let cb = CircuitBreaker::builder(config)
        .trip_when(|counts| counts.consecutive_failures >= 3)
        .build();
    let running = exercise(&cb);
    assert_eq!(lifetime(&cb).requests, 11);
    assert_eq!(lifetime(&cb).failures, 3);
    running.ignore();
}

#[test]
fn off_by_default_and_reloading_it_on_starts_counting() {
    let cb = CircuitBreaker::new(CircuitBreakerConfig::default());
    cb.try_acquire().unwrap().success();
    assert_eq!(cb.stats().lifetime, None, "off by default");
    cb.reconfigure(&counting(CircuitBreakerConfig::default()))
        .unwrap();
    cb.try_acquire().unwrap().failure();
    let counts = lifetime(&cb);
    assert_eq!((counts.requests, counts.failures, counts.successes), (1, 1, 0));
}

#[test]
fn threads_sharing_a_breaker_lose_no_count() {
    let cb = CircuitBreaker::new(counting(CircuitBreakerConfig {
        failure_threshold: 1_000_000,
        ..Default::default()
    }));
    std::thread::scope(|s| {
        for thread in 0..4 {
            let cb = &cb;
            s.spawn(move || {
                for i in 0..10_000 {
                    let permit = cb.try_acquire().unwrap();
                    if (i + thread) % 10 == 0 {
                        permit.failure();
                    } else {
                        permit.success();
                    }
                }
            });
        }
    });
    let counts = lifetime(&cb);
    assert_eq!(
        (counts.requests, counts.failures, counts.successes, counts.running),
        (40_000, 4_000, 36_000, 0)
    );
}

#[test]
fn a_group_member_registered_with_counts_shows_them_in_the_group_stats() {
    let group = CircuitBreakerGroup::new(CircuitBreakerConfig::default());
    group
        .register("payments", counting(CircuitBreakerConfig::aggressive()))
        .unwrap();
    group.get("payments").try_acquire().unwrap().failure();
    group.get("search").try_acquire().unwrap().success();
    let stats = group.stats();
    let lifetime_of = |name: &str| stats.iter().find(|(n, _)| n == name).map(|(_, s)| s.lifetime);
    assert_eq!(lifetime_of("payments").flatten().map(|c| c.failures), Some(1));
    assert_eq!(
        lifetime_of("search"),
        Some(None),
        "the group's own config does not count"
    );
}

/// The key as a deployment sets it: in the attribute, and overridden by the environment.
#[derive(connfx::Connections)]
#[connections(env_prefix = "LIFE")]
pub struct Conns {
    /// The payments API.
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9/",
        circuit_breaker(failure_threshold = 3, count_calls = true)
    )]
    payments: connfx::HttpConnection,
    /// The search API.
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9/",
        circuit_breaker(failure_threshold = 3)
    )]
    search: connfx::HttpConnection,
}

#[tokio::test]
async fn a_connection_s_breaker_counts_when_its_config_says_so() {
    use connfx::Sources;
    let names: Vec<String> = Conns::env_vars().into_iter().map(|v| v.name).collect();
    assert!(
        names
            .iter()
            .any(|n| n == "LIFE_SEARCH_CIRCUIT_BREAKER_COUNT_CALLS"),
        "{names:?}"
    );
    let sources = Sources::new().env_map([("LIFE_SEARCH_CIRCUIT_BREAKER_COUNT_CALLS", "true")]);
    let conns = Conns::load_config_from(sources).unwrap().connect().await.unwrap();
    for api in [conns.payments(), conns.search()] {
        let breaker = api.breaker().expect("a breaker");
        // Nothing listens on port 9: a transport failure, counted.
        assert!(api.get("/").send().await.is_err());
        let counts = breaker.stats().lifetime.expect("count_calls is on");
        assert_eq!(
            (counts.requests, counts.failures, counts.running),
            (1, 1, 0),
            "{counts:?}"
        );
    }
    let bad = Conns::load_config_from(
        Sources::new().env_map([("LIFE_SEARCH_CIRCUIT_BREAKER_COUNT_CALLS", "yes please")]),
    );
    let err = bad.unwrap_err().to_string();
    assert!(err.contains("LIFE_SEARCH_CIRCUIT_BREAKER_COUNT_CALLS"), "{err}");
    conns.close().await;
}
