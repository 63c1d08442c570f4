//! `Retry::call` on any async operation: attempts, retry with result, hooks, events, and the
//! server's `Retry-After` against `max_interval` and the deadline.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use connfx::RetryConfig;
use connfx::resilience::retry::{Outcome, Retry, RetryAfter, RetryEvent, StopReason};
use connfx::resilience::timeout::{Deadline, Limit};

use super::ms;

fn quick(max_attempts: u32) -> Retry {
    Retry::new(RetryConfig {
        max_attempts,
        initial_interval: ms(1),
        max_interval: ms(5),
        ..Default::default()
    })
}

/// An operation answering `script[attempt - 1]` (the last entry once the script runs out),
/// counting its calls.
fn scripted<T: Clone>(
    script: Vec<Result<T, &'static str>>,
) -> (
    Arc<AtomicU32>,
    impl FnMut(u32) -> std::future::Ready<Result<T, &'static str>>,
) {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let op = move |attempt: u32| {
        counter.fetch_add(1, Ordering::SeqCst);
        let i = (attempt as usize - 1).min(script.len() - 1);
        std::future::ready(script[i].clone())
    };
    (calls, op)
}

#[tokio::test]
async fn max_attempts_counts_the_first_try() {
    for max_attempts in [1, 2, 3, 5] {
        let (calls, op) = scripted::<()>(vec![Err("down")]);
        let err = quick(max_attempts).call(op).await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), max_attempts);
        assert_eq!(
            (err.attempts, err.reason, err.last),
            (max_attempts, StopReason::Exhausted, "down")
        );
    }
}

#[tokio::test]
async fn three_attempts_on_503_503_200() {
    let retry = quick(3);
    let (calls, op) = scripted(vec![Err("503"), Err("503"), Ok(200)]);
    assert_eq!(retry.call(op).await, Ok(200));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let stats = retry.stats();
    assert_eq!(
        (stats.calls, stats.attempts, stats.retries, stats.exhausted),
        (1, 3, 2, 0)
    );
}

#[tokio::test]
async fn retry_with_result_retries_flagged_successes() {
    let retry = quick(4);
    let (calls, op) = scripted(vec![Ok(503), Ok(503), Ok(200)]);
    assert_eq!(retry.call(op).retry_if_ok(|s| *s == 503).await, Ok(200));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let (calls, op) = scripted(vec![Ok(503)]);
    let last = retry.call(op).retry_if_ok(|s| *s == 503).await;
    assert_eq!(last, Ok(503), "when tries run out, the last success is returned");
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn retry_if_narrows_the_errors_retried() {
    let (calls, op) = scripted::<()>(vec![Err("timeout"), Err("bad request")]);
    let err = quick(5).call(op).retry_if(|e| *e == "timeout").await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        (err.attempts, err.reason, err.last),
        (2, StopReason::NotRetryable, "bad request")
    );
}

#[tokio::test]
async fn hooks_events_and_subscribers_see_every_retry() {
    let retry = quick(3);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    retry.on_retry(move |attempt, delay| log.lock().unwrap().push((attempt, delay)));
    let mut events = retry.subscribe();
    let mut hook_calls = Vec::new();
    let (_, op) = scripted::<()>(vec![Err("a"), Err("b"), Err("c")]);
    let err = retry
        .call(op)
        .on_retry(|attempt, result, _delay| hook_calls.push((attempt, *result)))
        .await
        .unwrap_err();
    assert_eq!(err.last, "c");
    assert_eq!(hook_calls, [(1, Err("a")), (2, Err("b"))]);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 2]);
    assert!(
        seen.iter().all(|s| s.1 <= ms(5)),
        "delays within max_interval: {seen:?}"
    );
    let mut received = Vec::new();
    while let Ok(event) = events.try_recv() {
        received.push(event);
    }
    assert!(matches!(
        received[0],
        RetryEvent::Retrying {
            attempt: 1,
            server_asked: false,
            ..
        }
    ));
    assert!(matches!(received[1], RetryEvent::Retrying { attempt: 2, .. }));
    let gave_up = RetryEvent::GaveUp {
        attempts: 3,
        reason: StopReason::Exhausted,
    };
    assert_eq!(received[2], gave_up);
}

/// A call whose failures are classified by the HTTP-style rules: `outcome` for every try but
/// the last, which succeeds.
async fn classified(retry: &Retry, outcome: Outcome, deadline: Option<Deadline>) -> Result<u32, u32> {
    let mut call = retry
        .call(|attempt| async move { if attempt == 1 { Err(attempt) } else { Ok(attempt) } })
        .classify(move |result: &Result<u32, u32>| match result {
            Ok(_) => Outcome::Success,
            Err(_) => outcome,
        });
    if let Some(deadline) = deadline {
        call = call.deadline(deadline);
    }
    call.await.map_err(|e| e.attempts)
}

fn after(value: &str) -> Outcome {
    Outcome::Status {
        code: 503,
        retry_after: RetryAfter::parse(value),
    }
}

fn asked_retry(initial: Duration, max: Duration) -> Retry {
    Retry::new(RetryConfig {
        initial_interval: initial,
        max_interval: max,
        ..Default::default()
    })
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited() {
    let retry = asked_retry(ms(1), Duration::from_secs(10));
    let started = Instant::now();
    assert_eq!(classified(&retry, after("1"), None).await, Ok(2));
    let waited = started.elapsed();
    assert!(
        waited >= ms(990) && waited < ms(1_800),
        "waited {waited:?} for `Retry-After: 1`"
    );
}

#[tokio::test]
async fn retry_after_as_a_date_is_waited() {
    let retry = asked_retry(ms(1), Duration::from_secs(10));
    let busy = Outcome::Status {
        code: 503,
        retry_after: Some(RetryAfter::At(SystemTime::now() + ms(400))),
    };
    let started = Instant::now();
    assert_eq!(classified(&retry, busy, None).await, Ok(2));
    let waited = started.elapsed();
    assert!(waited >= ms(350) && waited < ms(1_000), "waited {waited:?}");
}

#[tokio::test]
async fn retry_after_is_capped_by_max_interval() {
    for value in [
        "30",
        &RetryAfter::At(SystemTime::now() + Duration::from_secs(30)).to_string(),
    ] {
        let retry = asked_retry(ms(1), ms(50));
        let mut events = retry.subscribe();
        let started = Instant::now();
        assert_eq!(classified(&retry, after(value), None).await, Ok(2));
        assert!(
            started.elapsed() < ms(1_000),
            "{value}: waited {:?}",
            started.elapsed()
        );
        let expected = RetryEvent::Retrying {
            attempt: 1,
            delay: ms(50),
            server_asked: true,
            error: None,
        };
        assert_eq!(events.try_recv().ok(), Some(expected), "{value}");
    }
}

/// The server asks for 30 s, the caller can wait 2 s: the call fails at once with an error
/// that says so, instead of sleeping into a timeout.
#[tokio::test]
async fn retry_after_beyond_the_deadline_fails_fast() {
    let retry = asked_retry(ms(1), Duration::from_secs(60));
    let deadline = Deadline::after(Duration::from_secs(2), Limit::Total);
    let started = Instant::now();
    let err = retry
        .call(|_| async { Err::<(), _>("503") })
        .classify(move |_: &Result<(), &str>| after("30"))
        .deadline(deadline)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        took < ms(250),
        "returned after {took:?}, far under the 30 s asked and the 2 s left"
    );
    assert_eq!(err.attempts, 1);
    let StopReason::Deadline {
        wait,
        remaining,
        server_asked,
    } = err.reason
    else {
        panic!("expected a deadline stop, got {:?}", err.reason);
    };
    assert_eq!((wait, server_asked), (Duration::from_secs(30), true));
    assert!(remaining <= Duration::from_secs(2));
    let text = err.to_string();
    assert!(text.contains("the server asked to wait 30s") && text.contains("remain before the deadline"));
    assert_eq!(retry.stats().deadline_too_short, 1);
}

#[tokio::test]
async fn a_scoped_deadline_bounds_the_backoff_too() {
    let retry = asked_retry(Duration::from_secs(5), Duration::from_secs(10));
    let deadline = Deadline::after(Duration::from_secs(1), Limit::Caller);
    let started = Instant::now();
    let result = deadline
        .scope(retry.call(|_| async { Err::<(), _>("down") }))
        .await;
    assert!(started.elapsed() < ms(250));
    let err = result.unwrap_err();
    assert!(
        matches!(
            err.reason,
            StopReason::Deadline {
                server_asked: false,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_retry_after_within_the_deadline_is_waited() {
    let retry = asked_retry(ms(1), Duration::from_secs(10));
    let deadline = Deadline::after(Duration::from_secs(3), Limit::Total);
    let started = Instant::now();
    assert_eq!(classified(&retry, after("1"), Some(deadline)).await, Ok(2));
    assert!(started.elapsed() >= ms(990));
}

#[test]
fn try_new_reports_what_new_corrects() {
    let bad = RetryConfig {
        max_attempts: 0,
        jitter: 1.5,
        ..Default::default()
    };
    let err = Retry::try_new(bad.clone()).unwrap_err().to_string();
    assert!(
        err.contains("`max_attempts` must be between 1 and 100, found 0"),
        "{err}"
    );
    assert_eq!(
        Retry::new(bad).max_attempts(),
        1,
        "`new` brings it to the nearest bound"
    );
    let junk = RetryConfig {
        retry_on: "502,teapot".into(),
        ..Default::default()
    };
    let err = Retry::try_new(junk).unwrap_err().to_string();
    assert!(err.contains("`retry_on` entry `\"teapot\"`"), "{err}");
}
