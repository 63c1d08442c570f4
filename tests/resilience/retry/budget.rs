//! The retry budget under a total outage: retries stay a fixed share of requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use connfx::RetryConfig;
use connfx::resilience::budget::RetryBudget;
use connfx::resilience::retry::{Retry, StopReason};

/// Sends `requests` calls through `retry` against a dependency that always fails; returns the
/// tries the dependency saw.
async fn outage(retry: &Retry, requests: u64) -> u64 {
    let seen = Arc::new(AtomicU64::new(0));
    for _ in 0..requests {
        let seen = seen.clone();
        let result = retry
            .call(move |_| {
                seen.fetch_add(1, Ordering::Relaxed);
                async { Err::<(), _>("503") }
            })
            .await;
        assert!(result.is_err());
    }
    seen.load(Ordering::Relaxed)
}

fn budgeted(budget: f64, min_retries_per_sec: u32) -> Retry {
    Retry::new(RetryConfig {
        max_attempts: 5,
        initial_interval: std::time::Duration::ZERO,
        budget: Some(budget),
        min_retries_per_sec,
        ..Default::default()
    })
}

/// With `budget = 0.2` and `min_retries_per_sec = 10`, 1,000 failing requests (each allowed 4
/// retries) make at most 0.2 · 1,000 + 10 · (1 s + the run's time) retries: the 200 their requests
/// earn and the 10 a second the reserve adds, starting from one second's worth. Not 4,000, and
/// not the 300 of the 10 s window the budget used to save up for the first instants of an outage.
#[tokio::test]
async fn under_a_total_outage_retries_stay_within_the_budget() {
    let requests = 1_000;
    let retry = budgeted(0.2, 10);
    let start = tokio::time::Instant::now();
    let tries = outage(&retry, requests).await;
    let elapsed = start.elapsed().as_secs_f64();
    let retries = tries - requests;
    let earned = 0.2 * requests as f64 + 10.0;
    let allowed = earned + 10.0 * elapsed;
    assert!(
        retries as f64 <= allowed,
        "{retries} retries for {requests} requests in {elapsed:.3} s"
    );
    assert!(
        retries as f64 >= earned - 1.0,
        "the budget, not the outage, set the count: {retries}"
    );
    let stats = retry.stats();
    assert_eq!(stats.retries, retries);
    assert!(stats.budget_exhausted > 0);
    let budget = retry.budget().map(|b| b.stats()).unwrap_or_default();
    assert_eq!((budget.deposits, budget.withdrawals), (requests, retries));
}

/// Without the per-second reserve the dependency sees at most 1.2× the offered requests.
#[tokio::test]
async fn a_twenty_percent_budget_caps_load_at_one_point_two_times() {
    let requests = 500;
    let retry = budgeted(0.2, 0);
    let tries = outage(&retry, requests).await;
    assert!(
        tries as f64 <= 1.2 * requests as f64,
        "{tries} tries for {requests} requests"
    );
    assert!(tries > requests, "some retries were allowed");
}

#[tokio::test]
async fn a_refused_retry_says_the_budget_is_spent() {
    let retry = budgeted(0.0, 0);
    let err = retry.call(|_| async { Err::<(), _>("503") }).await.unwrap_err();
    assert_eq!((err.attempts, err.reason), (1, StopReason::BudgetExhausted));
}

#[tokio::test]
async fn policies_can_share_one_budget() {
    let shared = Arc::new(RetryBudget::new(0.5, 0));
    let config = RetryConfig {
        initial_interval: std::time::Duration::ZERO,
        ..Default::default()
    };
    let a = Retry::new(config.clone()).with_budget(Some(shared.clone()));
    let b = Retry::new(config).with_budget(Some(shared.clone()));
    let fail = |_| async { Err::<(), _>("503") };
    let err = b.call(fail).await.unwrap_err();
    assert_eq!(
        (err.attempts, err.reason),
        (1, StopReason::BudgetExhausted),
        "b's own request earned half a retry"
    );
    for _ in 0..4 {
        let _ = a.call(|_| async { Ok::<_, ()>(()) }).await;
    }
    let err = b.call(fail).await.unwrap_err();
    assert_eq!(
        (err.attempts, err.reason),
        (2, StopReason::BudgetExhausted),
        "a's requests paid for a retry of b's (the budget holds one at a time)"
    );
    assert_eq!(shared.stats().withdrawals, 1);
}

/// A reload changes the retry rules and keeps the counters and the budget's balance: a budget
/// spent in an outage is not refilled by changing `max_attempts`.
#[tokio::test]
async fn a_reconfigured_retry_keeps_its_counters_and_its_spent_budget() {
    let config = |max_attempts| RetryConfig {
        max_attempts,
        initial_interval: std::time::Duration::from_millis(1),
        budget: Some(0.1),
        min_retries_per_sec: 0,
        ..RetryConfig::default()
    };
    let retry = Retry::new(config(3));
    let seen = outage(&retry, 20).await;
    assert!(seen < 25, "20 requests, about 2 retries: {seen}");
    let before = retry.stats();

    let reloaded = retry.reconfigured(config(5)).unwrap();
    assert_eq!(reloaded.max_attempts(), 5);
    assert_eq!(reloaded.budget().unwrap().stats().available, 0, "still spent");
    assert_eq!(reloaded.stats(), before, "the counters carry on");
    assert!(Arc::ptr_eq(reloaded.budget().unwrap(), retry.budget().unwrap()));
    let more = outage(&reloaded, 10).await;
    assert!(more <= 12, "10 more requests earn 1 retry: {more}");
    assert!(
        retry
            .reconfigured(RetryConfig {
                max_attempts: 0,
                ..config(1)
            })
            .is_err()
    );
}
