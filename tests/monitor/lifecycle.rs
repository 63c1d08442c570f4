//! When the monitor's task ends: the last handle dropped, `stop()`, the registry closed.

use std::time::Duration;

use connfx::probe::{ProbeSource, ReadinessStatus};
use connfx::{HealthState, Registry};

use crate::upstream::Upstream;
use crate::{PATIENCE, http, next_event};

/// Waits (at most [`PATIENCE`]) until `done` holds, checking every 10 ms.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "{what} did not happen within {PATIENCE:?}");
}

#[tokio::test]
async fn dropping_the_last_handle_ends_the_checks() {
    let upstream = Upstream::start().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    let monitor = registry.monitor(Duration::from_millis(20));
    let other_handle = monitor.clone();
    eventually("three checks", || upstream.hits() >= 3).await;

    drop(monitor);
    let before = upstream.hits();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(upstream.hits() > before, "a clone keeps the monitor running");
    assert!(other_handle.is_running());

    drop(other_handle);
    // A check already sent may still land; after that, nothing for 15 intervals.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let settled = upstream.hits();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        upstream.hits(),
        settled,
        "checks went on after the monitor was dropped"
    );
    // The registry itself is still usable.
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
}

#[tokio::test]
async fn stop_ends_the_task_and_keeps_the_last_report() {
    let upstream = Upstream::start().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    let monitor = registry.monitor(Duration::from_millis(20));
    let mut events = monitor.subscribe();
    next_event(&mut events).await;
    assert!(monitor.is_running());

    monitor.stop();
    eventually("the task ending", || !monitor.is_running()).await;
    let report = monitor.report().expect("the last report stays");
    assert_eq!(report.get("payments").unwrap().health.state, HealthState::Ready);
    let settled = upstream.hits();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(upstream.hits(), settled, "no check after stop");

    // A stopped monitor no longer vouches for readiness.
    let readiness = ProbeSource::from(&monitor).readiness().await;
    assert_eq!(readiness.status, ReadinessStatus::Stopped);
    assert_eq!(readiness.connections.len(), 1);
}

#[tokio::test]
async fn closing_the_registry_turns_every_connection_unknown_and_ends_the_monitor() {
    let upstream = Upstream::start().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    let monitor = registry.monitor(Duration::from_millis(20));
    let mut events = monitor.subscribe();
    assert_eq!(next_event(&mut events).await.to, HealthState::Ready);

    registry.close().await;
    let closed = next_event(&mut events).await;
    assert_eq!(
        (
            closed.connection.as_str(),
            closed.from,
            closed.to,
            closed.health.message.as_str()
        ),
        (
            "payments",
            HealthState::Ready,
            HealthState::Unknown,
            "registry closed"
        )
    );
    eventually("the task ending", || !monitor.is_running()).await;
    let report = monitor.report().expect("the closing report");
    assert!(!report.ready(), "{report}");
    let readiness = ProbeSource::from(&monitor).readiness().await;
    assert_eq!(readiness.status, ReadinessStatus::Stopped);
    assert_eq!(readiness.connections[0].health.state, HealthState::Unknown);
}

#[tokio::test]
async fn a_monitor_made_after_close_ends_at_once_without_a_report() {
    let registry = Registry::new();
    registry.close().await;
    let monitor = registry.monitor(Duration::from_millis(20));
    eventually("the task ending", || !monitor.is_running()).await;
    assert!(monitor.report().is_none());
}
