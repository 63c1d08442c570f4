//! Retries (queries yes, mutations no), the circuit breaker's view of GraphQL errors, and health.

use connfx::protocol::graphql::OperationType;
use connfx::{CallError, CircuitState, Connection, HealthState};
use serde_json::{Value, json};

use super::connect;
use super::server::{Server, refused_url};

/// A retry policy with waits short enough for a test.
fn retry(extra: Value) -> Value {
    let mut retry = json!({ "max_attempts": 3, "initial_interval": "1ms", "max_interval": "5ms" });
    if let (Some(retry), Value::Object(extra)) = (retry.as_object_mut(), extra) {
        retry.extend(extra);
    }
    json!({ "retry": retry })
}

/// 503, 503, then `data`.
async fn flaky() -> Server {
    Server::start(|n, _| match n {
        1 | 2 => (503, json!({ "message": "overloaded" })),
        _ => (200, json!({ "data": { "ok": true } })),
    })
    .await
}

#[tokio::test]
async fn a_query_answered_503_503_200_is_tried_three_times() {
    let server = flaky().await;
    let api = connect(&server.url, retry(json!({}))).await;
    let data: Value = api.query("{ ok }", ()).await.unwrap();
    assert_eq!(data["ok"], true);
    assert_eq!(server.count(), 3);
    assert!(
        server.seen().iter().all(|s| s.body["query"] == "{ ok }"),
        "the same body every time"
    );
}

#[tokio::test]
async fn a_mutation_answered_503_is_sent_exactly_once() {
    let server = flaky().await;
    let api = connect(&server.url, retry(json!({}))).await;
    let err = api
        .mutate::<Value>("mutation { charge { id } }", ())
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Status { code: 503, .. }), "{err}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_mutation_that_could_not_connect_is_retried() {
    let api = connect(&refused_url(), retry(json!({}))).await;
    let err = api
        .mutate::<Value>("mutation { charge { id } }", ())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::RetriesExhausted { attempts: 3, last, .. } if matches!(**last, CallError::Transport { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn a_mutation_can_opt_in_to_retries() {
    // For one request…
    let server = flaky().await;
    let api = connect(&server.url, retry(json!({}))).await;
    let data: Value = api
        .request(OperationType::Mutation, "mutation { charge(key: \"k1\") { ok } }")
        .idempotent(true)
        .send()
        .await
        .unwrap();
    assert_eq!(data["ok"], true);
    assert_eq!(server.count(), 3);

    // …or for every mutation of the connection.
    let server = flaky().await;
    let api = connect(&server.url, retry(json!({ "non_idempotent": true }))).await;
    let _: Value = api.mutate("mutation { charge { ok } }", ()).await.unwrap();
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn graphql_errors_are_neither_retried_nor_counted_by_the_breaker() {
    let server = Server::always(200, json!({ "errors": [{ "message": "bad field" }] })).await;
    let mut settings = retry(json!({}));
    settings["circuit_breaker"] = json!({ "failure_threshold": 1, "reset_timeout": "1m" });
    let api = connect(&server.url, settings).await;
    for _ in 0..3 {
        let err = api.query::<Value>("{ nope }", ()).await.unwrap_err();
        assert!(matches!(err, CallError::Graphql { .. }), "{err}");
    }
    assert_eq!(server.count(), 3, "one try per call");
    let breaker = api.http().breaker().expect("a breaker");
    assert_eq!(breaker.state(), CircuitState::Closed);
}

#[tokio::test]
async fn server_errors_open_the_breaker() {
    let server = Server::always(500, json!({ "message": "down" })).await;
    let settings = json!({ "circuit_breaker": { "failure_threshold": 2, "reset_timeout": "1m" } });
    let api = connect(&server.url, settings).await;
    for _ in 0..2 {
        let err = api.query::<Value>("{ a }", ()).await.unwrap_err();
        assert!(matches!(err, CallError::Status { code: 500, .. }), "{err}");
    }
    let err = api.query::<Value>("{ a }", ()).await.unwrap_err();
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn health_is_ready_when_typename_is_answered() {
    let server = Server::start(|_, body| {
        assert_eq!(body, &json!({ "query": "{__typename}" }));
        (200, json!({ "data": { "__typename": "Query" } }))
    })
    .await;
    let api = connect(&server.url, json!({})).await;
    let health = api.health().await;
    assert_eq!(health.state, HealthState::Ready, "{}", health.message);
    assert_eq!(health.message, "POST /graphql 200 OK");
}

#[tokio::test]
async fn health_is_connected_when_the_server_answers_errors() {
    let server = Server::always(200, json!({ "errors": [{ "message": "not authorized" }] })).await;
    let api = connect(&server.url, json!({})).await;
    let health = api.health().await;
    assert_eq!(health.state, HealthState::Connected);
    assert_eq!(health.message, "POST /graphql 200 OK: not authorized");

    let server = Server::always(503, json!({})).await;
    let health = connect(&server.url, json!({})).await.health().await;
    assert_eq!(health.state, HealthState::Connected);
    assert_eq!(health.message, "POST /graphql 503 Service Unavailable");
}

#[tokio::test]
async fn health_is_an_error_against_a_closed_port() {
    let api = connect(&refused_url(), json!({ "health": { "timeout": "2s" } })).await;
    let health = api.health().await;
    assert_eq!(health.state, HealthState::Error);
    assert!(
        health.message.starts_with("POST /graphql: cannot connect"),
        "{}",
        health.message
    );
    api.close().await;
    assert_eq!(api.health().await.state, HealthState::Unknown);
}
