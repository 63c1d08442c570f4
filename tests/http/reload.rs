//! `HttpConnection::reload`: new settings on a live connection, with no call lost and nothing
//! the connection learnt forgotten.

use std::time::Duration;

use axum::http::StatusCode;
use connfx::resilience::circuit_breaker::CircuitState;
use connfx::{Applied, CallError};
use serde_json::json;

use super::server::{answering, slow, status};
use super::{config, connect};

async fn text(api: &connfx::HttpConnection, path: &str) -> Result<String, CallError> {
    api.get(path).send().await?.text().await
}

#[tokio::test]
async fn a_url_change_moves_later_calls_and_calls_in_flight_finish_on_the_old_upstream() {
    let old = slow(Duration::from_millis(300)).await;
    let new = answering(|_, _| (StatusCode::OK, "new".to_owned())).await;
    let api = connect(json!({ "url": old.url("/v1") })).await;
    let in_flight: Vec<_> = (0..5)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { text(&api, "/items").await })
        })
        .collect();
    while old.seen().len() < 5 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let applied = api
        .reload(config(json!({ "url": new.url("/v1") })))
        .await
        .unwrap();
    assert_eq!(applied, Applied::Reconnected);
    assert_eq!(text(&api, "/items").await.unwrap(), "new", "a later call");
    assert_eq!(new.seen(), ["GET /v1/items"]);
    for call in in_flight {
        assert_eq!(
            call.await.unwrap().unwrap(),
            "late",
            "finished on the old upstream"
        );
    }
    assert_eq!(old.seen().len(), 5, "nothing else went to the old upstream");
    assert_eq!(api.base_url().expose().as_str(), new.url("/v1"));
}

#[tokio::test]
async fn an_open_breaker_stays_open_across_a_reload_that_raises_its_threshold() {
    let down = status(503).await;
    let breaker = |threshold: u32| {
        json!({
            "url": down.url(""),
            "circuit_breaker": { "failure_threshold": threshold, "reset_timeout": "60s" },
        })
    };
    let api = connect(breaker(2)).await;
    let watched = api.breaker().expect("configured");
    for _ in 0..2 {
        assert!(matches!(
            text(&api, "/").await,
            Err(CallError::Status { code: 503, .. })
        ));
    }
    assert_eq!(watched.state(), CircuitState::Open);

    let applied = api.reload(config(breaker(10))).await.unwrap();
    assert_eq!(
        applied,
        Applied::Live,
        "only a policy changed: the client is kept"
    );
    assert_eq!(
        api.config().circuit_breaker.as_ref().unwrap().failure_threshold,
        10
    );
    assert_eq!(
        watched.state(),
        CircuitState::Open,
        "the handle given out sees the same breaker"
    );
    let err = text(&api, "/").await.unwrap_err();
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    assert_eq!(down.seen().len(), 2, "no call reached the upstream while open");
}

#[tokio::test]
async fn a_refused_reload_changes_nothing() {
    let up = answering(|_, _| (StatusCode::OK, "up".to_owned())).await;
    let api = connect(json!({ "url": up.url(""), "timeout": { "total": "7s" } })).await;
    let broken = config(json!({
        "url": up.url("/other"),
        "tls": { "ca_file": "/nonexistent/ca.pem" },
    }));
    let err = api.reload(broken).await.unwrap_err();
    assert!(err.to_string().contains("ca_file"), "{err}");
    assert_eq!(api.config().timeout.total, Duration::from_secs(7));
    assert_eq!(text(&api, "/ping").await.unwrap(), "up");
    assert_eq!(up.seen(), ["GET /ping"]);
}

/// 300 calls in flight while the settings change 10 times — timeouts, retries, a breaker on
/// and off, and the URL back and forth between two upstreams: none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_calls_in_flight_through_ten_reloads_none_fails() {
    let a = slow(Duration::from_millis(40)).await;
    let b = slow(Duration::from_millis(40)).await;
    let settings = |i: usize| {
        let upstream = if i.is_multiple_of(2) { &a } else { &b };
        let mut value = json!({ "url": upstream.url(""), "timeout": { "total": format!("{}s", 5 + i) } });
        if i.is_multiple_of(3) {
            value["circuit_breaker"] = json!({ "failure_threshold": 3 + i });
        }
        if i % 4 != 1 {
            value["retry"] = json!({ "max_attempts": 2 + i % 3 });
        }
        config(value)
    };
    let api = connect(serde_json::to_value(settings(0)).unwrap()).await;
    let calls: Vec<_> = (0..300)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i % 100)).await;
                text(&api, "/work").await
            })
        })
        .collect();
    let mut applied = Vec::new();
    for i in 1..=10 {
        tokio::time::sleep(Duration::from_millis(12)).await;
        applied.push(api.reload(settings(i)).await.unwrap());
    }
    for call in calls {
        let answer = tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(answer.unwrap(), "late");
    }
    assert!(applied.contains(&Applied::Reconnected), "{applied:?}");
    assert_eq!(a.seen().len() + b.seen().len(), 300, "each call answered once");
    assert!(
        !a.seen().is_empty() && !b.seen().is_empty(),
        "both upstreams served"
    );
}
