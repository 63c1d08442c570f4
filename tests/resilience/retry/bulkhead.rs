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

/// A reload to fewer slots lets the calls in flight finish and retires their slots as they
/// end; a reload to more frees slots at once, to waiting calls too.
#[tokio::test]
async fn reconfigure_resizes_without_disturbing_calls_in_flight() {
    let bulkhead = bulkhead(4, Duration::ZERO);
    let (release, gate) = tokio::sync::watch::channel(false);
    let mut running = Vec::new();
    for _ in 0..4 {
        let (bulkhead, mut gate) = (bulkhead.clone(), gate.clone());
        running.push(tokio::spawn(async move {
            bulkhead
                .call(async move { gate.wait_for(|open| *open).await.map(drop) })
                .await
        }));
    }
    while bulkhead.stats().in_flight < 4 {
        tokio::task::yield_now().await;
    }

    bulkhead
        .reconfigure(&BulkheadConfig {
            max_concurrent: 2,
            ..BulkheadConfig::default()
        })
        .unwrap();
    assert_eq!(bulkhead.stats().in_flight, 4, "every call in flight goes on");
    assert!(bulkhead.try_acquire().is_err());
    release.send(true).unwrap();
    for call in running {
        assert!(
            matches!(call.await.unwrap(), Ok(Ok(()))),
            "a call in flight finished"
        );
    }
    assert_eq!(bulkhead.stats().in_flight, 0);
    let held: Vec<_> = (0..4).filter_map(|_| bulkhead.try_acquire().ok()).collect();
    assert_eq!(held.len(), 2, "two slots now");

    // More slots: a call waiting for one gets it at once.
    let patient = Bulkhead::clone(&bulkhead);
    bulkhead
        .reconfigure(&BulkheadConfig {
            max_concurrent: 2,
            max_wait: Duration::from_secs(5),
            ..BulkheadConfig::default()
        })
        .unwrap();
    let waiting = tokio::spawn(async move { patient.acquire().await.map(drop) });
    tokio::time::sleep(ms(20)).await;
    assert!(!waiting.is_finished(), "full: it waits");
    let started = Instant::now();
    bulkhead
        .reconfigure(&BulkheadConfig {
            max_concurrent: 3,
            ..BulkheadConfig::default()
        })
        .unwrap();
    waiting.await.unwrap().unwrap();
    assert!(started.elapsed() < ms(500), "admitted when the slot appeared");
    assert!(
        bulkhead
            .reconfigure(&BulkheadConfig {
                max_concurrent: 0,
                ..BulkheadConfig::default()
            })
            .is_err()
    );
    assert_eq!(
        bulkhead.stats().max_concurrent,
        3,
        "a refused reload changes nothing"
    );
}
