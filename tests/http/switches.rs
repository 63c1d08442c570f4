//! Per-request switches: `.no_retry()`, `.no_circuit_breaker()` and `.total_timeout()` change one
//! call's policies and leave every other policy, and every other call, as configured.

use std::time::Duration;

use connfx::CallError;
use connfx::resilience::circuit_breaker::CircuitState;
use serde_json::json;

use super::connect;
use super::server::{slow, status};

#[tokio::test]
async fn no_retry_sends_once_where_the_connection_would_retry() {
    let down = status(503).await;
    let api =
        connect(json!({ "url": down.url(""), "retry": { "max_attempts": 3, "initial_interval": "1ms" } }))
            .await;
    let err = api.get("/a").send().await.unwrap_err();
    assert!(
        matches!(err, CallError::RetriesExhausted { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(down.seen().len(), 3);

    let err = api.get("/b").no_retry().send().await.unwrap_err();
    assert!(matches!(err, CallError::Status { code: 503, .. }), "{err}");
    assert_eq!(down.seen().len(), 4, "one try");
}

#[tokio::test]
async fn no_circuit_breaker_passes_an_open_breaker_and_is_not_counted() {
    let down = status(503).await;
    let api = connect(json!({
        "url": down.url(""),
        "circuit_breaker": { "failure_threshold": 2, "reset_timeout": "60s" },
    }))
    .await;
    for _ in 0..2 {
        let _ = api.get("/").send().await;
    }
    let breaker = api.breaker().unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    let err = api.get("/").send().await.unwrap_err();
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    let before = breaker.stats();

    let err = api.get("/probe").no_circuit_breaker().send().await.unwrap_err();
    assert!(
        matches!(err, CallError::Status { code: 503, .. }),
        "reached the server: {err}"
    );
    assert_eq!(down.seen().last().map(String::as_str), Some("GET /probe"));
    let after = breaker.stats();
    // Everything but the time left in the open period, which runs on.
    assert_eq!(
        (
            after.window,
            after.consecutive_failures,
            after.rejected,
            after.opens
        ),
        (
            before.window,
            before.consecutive_failures,
            before.rejected,
            before.opens
        ),
        "not counted"
    );
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[tokio::test]
async fn total_timeout_may_outlast_the_connections_total_and_timeout_may_not() {
    let late = slow(Duration::from_millis(300)).await;
    let api = connect(json!({ "url": late.url(""), "timeout": { "total": "100ms" } })).await;
    let err = api.get("/").send().await.unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");
    let err = api
        .get("/")
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Timeout { .. }),
        "`.timeout` only shortens: {err}"
    );

    let answer = api
        .get("/")
        .total_timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.text().await.unwrap(), "late");
    let err = api
        .get("/")
        .total_timeout(Duration::from_secs(2))
        .timeout(Duration::from_millis(50))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Timeout { .. }),
        "a shorter `.timeout` still wins: {err}"
    );
}
