//! Every policy as a tower layer around `tower::service_fn`, alone and stacked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use connfx::resilience::bulkhead::{Bulkhead, BulkheadFull};
use connfx::resilience::rate_limit::{RateLimit, RateLimitMode, RateLimited};
use connfx::resilience::retry::{Outcome, Retry, StopReason};
use connfx::resilience::timeout::{Limit, Timeout, TimeoutError};
use connfx::{BulkheadConfig, RateLimitConfig, RetryConfig, TimeoutConfig};
use tower::{BoxError, Layer, Service, ServiceBuilder, ServiceExt, service_fn};

use super::ms;

/// A service that fails its first `failures` calls, then answers `req + 1`; and its call count.
fn flaky(
    failures: u32,
) -> (
    Arc<AtomicU32>,
    impl tower::Service<u32, Response = u32, Error = BoxError, Future: Send> + Clone + Send + 'static,
) {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let service = service_fn(move |req: u32| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < failures {
                Err::<u32, BoxError>("busy".into())
            } else {
                Ok(req + 1)
            }
        }
    });
    (calls, service)
}

fn quick_retry() -> Retry {
    Retry::new(RetryConfig {
        initial_interval: ms(1),
        ..Default::default()
    })
}

fn total(limit: Duration) -> Timeout {
    Timeout::new(TimeoutConfig {
        total: Some(limit),
        ..Default::default()
    })
}

#[tokio::test]
async fn retry_layer() {
    let (calls, service) = flaky(2);
    let service = quick_retry().layer().layer(service);
    assert_eq!(service.oneshot(1).await.unwrap(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    let (calls, service) = flaky(5);
    let err = quick_retry().layer().layer(service).oneshot(1).await.unwrap_err();
    assert_eq!(err.to_string(), "busy", "the last error, as the service gave it");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retry_layer_with_a_classifier() {
    let (calls, service) = flaky(5);
    let never = |_: &Result<u32, BoxError>| Outcome::Other;
    let err = quick_retry()
        .layer()
        .classify(never)
        .layer(service)
        .oneshot(1)
        .await;
    assert!(err.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn timeout_layer() {
    let slow = service_fn(|_: ()| async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        Ok::<_, BoxError>(())
    });
    let err = total(ms(20)).layer().layer(slow).oneshot(()).await.unwrap_err();
    let err = err.downcast_ref::<TimeoutError>().copied();
    assert_eq!(
        err,
        Some(TimeoutError {
            limit: Limit::Total,
            after: ms(20)
        })
    );
}

#[tokio::test]
async fn rate_limit_layer() {
    let limit = RateLimit::new(RateLimitConfig {
        requests: 1,
        per: Duration::from_secs(60),
        mode: RateLimitMode::Reject,
        ..Default::default()
    });
    let (calls, service) = flaky(0);
    let mut service = limit.layer().layer(service);
    assert_eq!(service.ready().await.unwrap().call(1).await.unwrap(), 2);
    let err = service.ready().await.unwrap().call(1).await.unwrap_err();
    assert!(err.is::<RateLimited>());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the rejected call never reached the service"
    );
}

#[tokio::test]
async fn bulkhead_layer() {
    let bulkhead = Bulkhead::new(BulkheadConfig {
        max_concurrent: 1,
        ..Default::default()
    });
    let slow = service_fn(|_: ()| async {
        tokio::time::sleep(ms(30)).await;
        Ok::<_, BoxError>(())
    });
    let service = bulkhead.layer().layer(slow);
    let (a, b) = tokio::join!(service.clone().oneshot(()), service.clone().oneshot(()));
    let errors: Vec<_> = [a, b].into_iter().filter_map(Result::err).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].is::<BulkheadFull>());
    assert_eq!(bulkhead.stats().rejected, 1);
}

/// The total timeout's deadline reaches the retry inside it: with 100 ms left and a 1 s
/// backoff, the retry gives up at once with the service's error instead of sleeping until the
/// timeout cuts it off.
#[tokio::test]
async fn a_retry_inside_a_total_timeout_sees_its_deadline() {
    let retry = Retry::new(RetryConfig {
        initial_interval: Duration::from_secs(1),
        jitter: 0.0,
        ..Default::default()
    });
    let (calls, service) = flaky(10);
    let stack = ServiceBuilder::new()
        .layer(total(ms(100)).layer())
        .layer(retry.layer())
        .service(service);
    let started = Instant::now();
    let err = stack.oneshot(1).await.unwrap_err();
    assert!(
        started.elapsed() < ms(80),
        "gave up at once: {:?}",
        started.elapsed()
    );
    assert_eq!(err.to_string(), "busy");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(retry.stats().deadline_too_short, 1);
}

/// The order the HTTP pipeline will use: rate limit → bulkhead → total timeout → retry →
/// per-attempt timeout → the service. A try that hangs is cut by the per-attempt timeout and
/// retried within the total.
#[tokio::test]
async fn the_whole_stack_composes() {
    let timeouts = Timeout::new(TimeoutConfig {
        per_attempt: Some(ms(30)),
        total: Some(Duration::from_secs(2)),
        ..Default::default()
    });
    let retry = quick_retry();
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let hangs_once = service_fn(move |req: u32| {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                std::future::pending::<()>().await;
            }
            Ok::<_, BoxError>(req * 10)
        }
    });
    let stack = ServiceBuilder::new()
        .layer(RateLimit::new(RateLimitConfig::default()).layer())
        .layer(Bulkhead::new(BulkheadConfig::default()).layer())
        .layer(timeouts.layer())
        .layer(retry.layer())
        .layer(timeouts.attempt_layer())
        .service(hangs_once);
    assert_eq!(stack.oneshot(4).await.unwrap(), 40);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(timeouts.stats().per_attempt, 1);
    assert_eq!(retry.stats().retries, 1);
}

#[tokio::test]
async fn retry_call_reports_why_it_stopped_where_the_layer_cannot() {
    let (_, service) = flaky(10);
    let retry = quick_retry();
    let err = retry.call(|_| service.clone().oneshot(1)).await.unwrap_err();
    assert_eq!((err.attempts, err.reason), (3, StopReason::Exhausted));
}
