//! Rate limits reject or wait as configured; keyed limits are independent.

use std::time::{Duration, Instant};

use connfx::RateLimitConfig;
use connfx::resilience::rate_limit::{KeyedRateLimit, RateLimit, RateLimitEvent, RateLimitMode};
use connfx::resilience::timeout::{Deadline, Limit};

use super::ms;

/// 10 per second (one every 100 ms), bursts of 1.
fn ten_per_second(mode: RateLimitMode, max_wait: Duration) -> RateLimitConfig {
    RateLimitConfig {
        requests: 10,
        per: Duration::from_secs(1),
        burst: Some(1),
        mode,
        max_wait,
        ..RateLimitConfig::default()
    }
}

#[tokio::test]
async fn reject_mode_fails_at_once_and_says_when_to_come_back() {
    let limit = RateLimit::new(ten_per_second(RateLimitMode::Reject, Duration::from_secs(5)));
    assert!(limit.acquire().await.is_ok());
    let started = Instant::now();
    let err = limit.acquire().await.unwrap_err();
    assert!(
        started.elapsed() < ms(50),
        "no wait in reject mode (the permit is 100 ms away)"
    );
    assert!(err.retry_in > ms(50) && err.retry_in <= ms(100), "{err}");
    assert_eq!(err.max_wait, Duration::ZERO);
    let stats = limit.stats();
    assert_eq!((stats.permitted, stats.waited, stats.rejected), (1, 0, 1));
}

#[tokio::test]
async fn wait_mode_waits_for_the_next_permit() {
    let limit = RateLimit::new(ten_per_second(RateLimitMode::Wait, Duration::from_secs(1)));
    let mut events = limit.subscribe();
    let started = Instant::now();
    for _ in 0..3 {
        limit.acquire().await.unwrap();
    }
    let took = started.elapsed();
    assert!(took >= ms(180) && took < ms(600), "3 calls at 10/s took {took:?}");
    let stats = limit.stats();
    assert_eq!((stats.permitted, stats.waited, stats.rejected), (3, 2, 0));
    assert!(matches!(events.try_recv(), Ok(RateLimitEvent::Waited { .. })));
}

#[tokio::test]
async fn a_wait_longer_than_max_wait_is_rejected_at_once() {
    let limit = RateLimit::new(ten_per_second(RateLimitMode::Wait, ms(20)));
    limit.acquire().await.unwrap();
    let started = Instant::now();
    let err = limit.acquire().await.unwrap_err();
    assert!(
        started.elapsed() < ms(50),
        "did not sleep towards the permit 100 ms away"
    );
    assert_eq!(err.max_wait, ms(20));
    assert!(
        err.to_string().contains("longer than the 20ms a call may wait"),
        "{err}"
    );
}

#[tokio::test]
async fn the_callers_deadline_bounds_the_wait() {
    let limit = RateLimit::new(ten_per_second(RateLimitMode::Wait, Duration::from_secs(5)));
    limit.acquire().await.unwrap();
    let deadline = Deadline::after(ms(30), Limit::Caller);
    let err = deadline.scope(limit.acquire()).await.unwrap_err();
    assert!(err.max_wait <= ms(30));
}

#[tokio::test]
async fn call_does_not_poll_a_rejected_future() {
    let limit = RateLimit::new(ten_per_second(RateLimitMode::Reject, Duration::ZERO));
    let mut ran = 0;
    for _ in 0..3 {
        let _ = limit.call(async { ran += 1 }).await;
    }
    assert_eq!(ran, 1);
}

#[tokio::test]
async fn keyed_limits_are_independent_with_stats_per_key() {
    let per_host = KeyedRateLimit::new(ten_per_second(RateLimitMode::Reject, Duration::ZERO));
    let mut events = per_host.subscribe();
    for host in ["a.example", "b.example", "c.example"] {
        assert!(
            per_host.acquire(&host).await.is_ok(),
            "{host} has a permit of its own"
        );
    }
    assert!(per_host.acquire(&"a.example").await.is_err());
    assert!(per_host.acquire(&"a.example").await.is_err());
    let a = per_host.stats_for(&"a.example").unwrap_or_default();
    let b = per_host.stats_for(&"b.example").unwrap_or_default();
    assert_eq!((a.permitted, a.rejected), (1, 2));
    assert_eq!((b.permitted, b.rejected), (1, 0));
    assert_eq!(per_host.stats_for(&"unused.example"), None);
    let all = per_host.stats();
    assert_eq!((all.permitted, all.rejected), (3, 2));
    assert_eq!(per_host.stats_by_key().len(), 3);
    let event = events.try_recv().ok();
    assert!(
        matches!(event, Some(e) if e.key == "a.example" && matches!(e.event, RateLimitEvent::Rejected(_)))
    );
}

#[tokio::test]
async fn keyed_wait_mode_waits_per_key() {
    let per_host = KeyedRateLimit::new(ten_per_second(RateLimitMode::Wait, Duration::from_secs(1)));
    let started = Instant::now();
    per_host.acquire(&1).await.unwrap();
    per_host.acquire(&2).await.unwrap();
    assert!(started.elapsed() < ms(80), "two keys, no wait");
    per_host.acquire(&1).await.unwrap();
    assert!(started.elapsed() >= ms(80), "key 1's second call waited its turn");
}

#[test]
fn try_new_refuses_a_zero_period() {
    let config = RateLimitConfig {
        per: Duration::ZERO,
        ..Default::default()
    };
    let err = RateLimit::try_new(config).unwrap_err().to_string();
    assert!(err.contains("`per` must be longer than 0s"), "{err}");
}

/// A reload keeps the tokens (rescaled), the stats and the mode; the paused tokio clock drives
/// the limit, so refills are exact.
#[tokio::test(start_paused = true)]
async fn reconfigure_keeps_the_tokens_rescaled_and_refills_at_the_new_rate() {
    let config = |requests: u32| RateLimitConfig {
        requests,
        per: Duration::from_secs(1),
        mode: RateLimitMode::Reject,
        ..RateLimitConfig::default()
    };
    let limit = RateLimit::new(config(10));
    let handle = limit.clone();
    assert_eq!(
        (0..20).filter(|_| limit.try_acquire().is_ok()).count(),
        10,
        "the burst"
    );

    limit.reconfigure(&config(100)).unwrap();
    assert!(
        handle.try_acquire().is_err(),
        "a spent burst stays spent at the new rate"
    );
    tokio::time::advance(ms(100)).await;
    let refilled = (0..100).filter(|_| handle.try_acquire().is_ok()).count();
    assert_eq!(refilled, 10, "100 ms at 100 per second");
    assert_eq!(limit.stats().permitted, 20, "the stats are kept");

    let err = limit
        .reconfigure(&RateLimitConfig {
            per: Duration::ZERO,
            ..config(1)
        })
        .unwrap_err();
    assert!(err.to_string().contains("per"), "{err}");
    tokio::time::advance(ms(10)).await;
    assert!(
        limit.try_acquire().is_ok(),
        "still 100 per second after a refused reload"
    );
}
