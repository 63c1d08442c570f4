//! The bulkhead rejects when full and waits up to `max_wait` for a slot.

use std::time::{Duration, Instant};

use connfx::BulkheadConfig;
use connfx::resilience::bulkhead::{Bulkhead, BulkheadEvent, BulkheadFull};

use super::ms;

fn bulkhead(max_concurrent: u32, max_wait: Duration) -> Bulkhead {
    Bulkhead::new(BulkheadConfig {
        max_concurrent,
        max_wait,
        ..BulkheadConfig::default()
    })
}

#[tokio::test]
async fn rejects_at_once_when_full_and_max_wait_is_zero() {
    let b = bulkhead(2, Duration::ZERO);
    let mut events = b.subscribe();
    let held = (b.acquire().await.unwrap(), b.acquire().await.unwrap());
    let started = Instant::now();
    let err = b.acquire().await.unwrap_err();
    assert!(started.elapsed() < ms(50));
    assert_eq!(
        err,
        BulkheadFull {
            max_concurrent: 2,
            waited: Duration::ZERO
        }
    );
    assert!(b.try_acquire().is_err());
    let stats = b.stats();
    assert_eq!((stats.in_flight, stats.admitted, stats.rejected), (2, 2, 2));
    assert!(matches!(events.try_recv(), Ok(BulkheadEvent::Rejected(_))));
    drop(held);
    assert_eq!(b.stats().in_flight, 0);
    assert!(b.try_acquire().is_ok());
}

#[tokio::test]
async fn waits_up_to_max_wait_then_rejects() {
    let b = bulkhead(1, ms(80));
    let _held = b.acquire().await.unwrap();
    let started = Instant::now();
    let err = b.acquire().await.unwrap_err();
    let waited = started.elapsed();
    assert!(waited >= ms(75) && waited < ms(500), "waited {waited:?}");
    assert_eq!(err.waited, ms(80));
    assert_eq!(b.stats().waiting, 0, "the waiter is gone");
}

#[tokio::test]
async fn a_slot_freed_within_max_wait_is_taken() {
    let b = bulkhead(1, Duration::from_secs(2));
    let held = b.acquire().await.unwrap();
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(ms(30)).await;
        drop(held);
    });
    let started = Instant::now();
    let got = b.call(async { "ran" }).await;
    assert_eq!(got, Ok("ran"));
    assert!(started.elapsed() < ms(1_000));
    releaser.await.unwrap();
}

#[tokio::test]
async fn concurrent_calls_beyond_the_limit_are_turned_away() {
    let b = bulkhead(3, Duration::ZERO);
    let slow = || async { tokio::time::sleep(ms(50)).await };
    let (r1, r2, r3, r4, r5) = tokio::join!(
        b.call(slow()),
        b.call(slow()),
        b.call(slow()),
        b.call(slow()),
        b.call(slow())
    );
    let rejected = [r1, r2, r3, r4, r5].iter().filter(|r| r.is_err()).count();
    assert_eq!(rejected, 2);
    assert_eq!(b.stats().in_flight, 0);
}
