//! The key scenario: an upstream goes down and comes back; the monitor's events and the
//! readiness probe follow it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use connfx::{HealthState, Registry};

use crate::upstream::Upstream;
use crate::{assert_live, connection, get_json, http, next_event, serve_probes};

#[tokio::test]
async fn an_upstream_going_down_and_up_moves_events_and_readiness() {
    use HealthState::{Error, Ready, Unknown};
    let mut upstream = Upstream::start().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    let monitor = registry.monitor(Duration::from_millis(50));
    let mut events = monitor.subscribe();
    let called_back = Arc::new(Mutex::new(Vec::new()));
    let log = called_back.clone();
    monitor.on_change(move |e| log.lock().unwrap().push((e.connection.clone(), e.from, e.to)));
    let probes = serve_probes(&monitor).await;

    // Up: the first check is a change from Unknown, and readiness says 200.
    let first = next_event(&mut events).await;
    assert_eq!(
        (first.connection.as_str(), first.protocol, first.from, first.to),
        ("payments", "http", Unknown, Ready)
    );
    assert!(first.critical);
    assert_eq!(first.health.state, Ready);
    let (status, body) = get_json(&probes, "/health/ready").await;
    assert_eq!((status, &body["status"]), (200, &"ready".into()), "{body}");
    let payments = connection(&body, "payments");
    assert_eq!(payments["protocol"], "http");
    assert_eq!(payments["state"], "ready");
    assert_eq!(payments["critical"], true);
    assert!(payments["latency_ms"].as_f64().is_some(), "{body}");
    assert!(payments["message"].as_str().unwrap().contains("200"), "{body}");
    assert_live(&probes).await;

    // Down: Ready → Error, and readiness says 503 with the failure in the body.
    upstream.down().await;
    let down = next_event(&mut events).await;
    assert_eq!(
        (down.connection.as_str(), down.from, down.to),
        ("payments", Ready, Error)
    );
    assert!(!down.health.message.is_empty());
    let (status, body) = get_json(&probes, "/health/ready").await;
    assert_eq!((status, &body["status"]), (503, &"not_ready".into()), "{body}");
    assert_eq!(connection(&body, "payments")["state"], "error");
    assert_live(&probes).await;

    // Back on the same port: Error → Ready, readiness 200 again.
    upstream.up().await;
    let back = next_event(&mut events).await;
    assert_eq!(
        (back.connection.as_str(), back.from, back.to),
        ("payments", Error, Ready)
    );
    let (status, body) = get_json(&probes, "/health/ready").await;
    assert_eq!((status, &body["status"]), (200, &"ready".into()), "{body}");
    assert_live(&probes).await;

    // The callback saw the same changes, in the same order (on this single-threaded test
    // runtime the monitor's task cannot run before the callback is registered).
    let seen = called_back.lock().unwrap().clone();
    let payments = || "payments".to_owned();
    assert_eq!(
        seen,
        [
            (payments(), Unknown, Ready),
            (payments(), Ready, Error),
            (payments(), Error, Ready)
        ]
    );
    assert!(events.try_recv().is_err(), "no change beyond the three");
}

#[tokio::test]
async fn the_first_event_of_each_connection_is_a_change_from_unknown() {
    let upstream = Upstream::start().await;
    let dead = crate::dead_url().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    registry.insert("avatars", http("avatars", &dead, false).await);
    let monitor = registry.monitor(Duration::from_millis(50));
    let mut events = monitor.subscribe();
    let mut firsts = [next_event(&mut events).await, next_event(&mut events).await];
    firsts.sort_by(|a, b| a.connection.cmp(&b.connection));
    let moves: Vec<_> = firsts
        .iter()
        .map(|e| (e.connection.as_str(), e.from, e.to, e.critical))
        .collect();
    assert_eq!(
        moves,
        [
            ("avatars", HealthState::Unknown, HealthState::Error, false),
            ("payments", HealthState::Unknown, HealthState::Ready, true),
        ]
    );
    // A later subscriber sees changes only; the report holds the state so far.
    let report = monitor.report().expect("a report after the first events");
    assert_eq!(report.get("payments").unwrap().health.state, HealthState::Ready);
    assert!(report.ready(), "{report}");
    assert_eq!(report.worst(), HealthState::Error);
}
