//! Timeouts: the shorter deadline wins and the error says which limit fired.

use std::time::{Duration, Instant};

use connfx::TimeoutConfig;
use connfx::resilience::timeout::{Deadline, Limit, Timeout, TimeoutError, TimeoutEvent};

use super::ms;

fn limits(connect: u64, per_attempt: u64, total: u64) -> Timeout {
    Timeout::new(TimeoutConfig {
        connect: Some(ms(connect)),
        per_attempt: Some(ms(per_attempt)),
        total: Some(ms(total)),
    })
}

fn hang() -> std::future::Pending<()> {
    std::future::pending()
}

#[tokio::test]
async fn each_limit_says_it_fired() {
    let timeout = limits(20, 30, 40);
    assert_eq!(
        timeout.run_connect(hang()).await.unwrap_err().limit,
        Limit::Connect
    );
    assert_eq!(
        timeout.run_attempt(hang()).await.unwrap_err().limit,
        Limit::PerAttempt
    );
    let err = timeout.run(hang()).await.unwrap_err();
    assert_eq!(
        err,
        TimeoutError {
            limit: Limit::Total,
            after: ms(40)
        }
    );
    assert_eq!(
        err.to_string(),
        "timed out: the total timeout of 40ms was reached"
    );
    let stats = timeout.stats();
    assert_eq!(
        (stats.runs, stats.connect, stats.per_attempt, stats.total),
        (3, 1, 1, 1)
    );
}

#[tokio::test]
async fn the_callers_shorter_deadline_wins() {
    let timeout = limits(1_000, 1_000, 5_000);
    let caller = Deadline::after(ms(20), Limit::Caller);
    let started = Instant::now();
    let err = timeout.run_within(Some(caller), hang()).await.unwrap_err();
    assert!(started.elapsed() < ms(1_000));
    assert_eq!(err.limit, Limit::Caller);
    assert_eq!(timeout.stats().caller, 1);
}

#[tokio::test]
async fn the_configured_limit_wins_over_a_longer_caller_deadline() {
    let timeout = limits(1_000, 1_000, 20);
    let caller = Deadline::after(Duration::from_secs(5), Limit::Caller);
    let err = timeout.run_within(Some(caller), hang()).await.unwrap_err();
    assert_eq!(err.limit, Limit::Total);
}

/// An outer scope's deadline bounds every timeout inside it, even one that has no limit of
/// its own; a nested scope can only shorten it.
#[tokio::test]
async fn a_scoped_deadline_reaches_inner_timeouts() {
    let unlimited = Timeout::new(TimeoutConfig::default());
    let outer = Deadline::after(ms(20), Limit::Caller);
    let err = outer.scope(unlimited.run_attempt(hang())).await.unwrap_err();
    assert_eq!(err.limit, Limit::Caller);

    let later = Deadline::after(Duration::from_secs(60), Limit::Total);
    let seen = outer.scope(later.scope(async { Deadline::current() })).await;
    assert_eq!(
        seen,
        Some(outer),
        "a nested, later deadline does not extend the outer one"
    );
}

#[tokio::test]
async fn per_attempt_inside_total() {
    let timeout = limits(1_000, 30, 1_000);
    let attempts = timeout.run(async {
        let mut fired = 0;
        for _ in 0..3 {
            if timeout.run_attempt(hang()).await.is_err() {
                fired += 1;
            }
        }
        fired
    });
    assert_eq!(attempts.await, Ok(3), "three tries timed out, the total did not");
}

#[tokio::test]
async fn a_finished_future_is_not_timed_out_and_unset_limits_bound_nothing() {
    let timeout = limits(10, 10, 10);
    assert_eq!(timeout.run(async { 1 }).await, Ok(1));
    let unlimited = Timeout::new(TimeoutConfig::default());
    let slow = async {
        tokio::time::sleep(ms(30)).await;
        2
    };
    assert_eq!(unlimited.run(slow).await, Ok(2));
    assert_eq!(unlimited.stats().runs, 0);
}

#[tokio::test]
async fn events_name_the_limit() {
    let timeout = limits(1_000, 10, 1_000);
    let mut events = timeout.subscribe();
    let _ = timeout.run_attempt(hang()).await;
    let event = events.try_recv().ok();
    assert!(matches!(event, Some(TimeoutEvent::TimedOut(e)) if e.limit == Limit::PerAttempt));
}

#[test]
fn deadlines_compose_by_the_earliest() {
    let a = Deadline::after(ms(100), Limit::Total);
    let b = Deadline::after(ms(50), Limit::Caller);
    assert_eq!(a.min(b), b);
    assert_eq!(b.min(a), b);
    assert_eq!(Deadline::earliest(Some(a), None), Some(a));
    assert_eq!(Deadline::earliest(None, None), None);
    assert!(b.remaining() <= ms(50) && !b.is_expired());
    assert_eq!(
        b.error(),
        TimeoutError {
            limit: Limit::Caller,
            after: ms(50)
        }
    );
}

#[test]
fn try_new_refuses_a_per_attempt_above_the_total() {
    let config = TimeoutConfig {
        per_attempt: Some(ms(500)),
        total: Some(ms(100)),
        ..Default::default()
    };
    let err = Timeout::try_new(config).unwrap_err().to_string();
    assert!(
        err.contains("`per_attempt` (500ms) must not be above `total` (100ms)"),
        "{err}"
    );
}
