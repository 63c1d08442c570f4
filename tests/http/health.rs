//! Health checks: HEAD (GET after a 405), statuses mapped to states, failures, closed.

use axum::http::{Method, StatusCode};
use connfx::{Connection, Health, HealthState};
use serde_json::json;

use crate::{connect, server};

/// The health of a connection to a server answering every request with `status`.
async fn health_of_server_answering(status: u16) -> (Health, Vec<String>) {
    let server = server::status(status).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    (api.health().await, server.seen())
}

#[tokio::test]
async fn a_200_is_ready() {
    let (health, seen) = health_of_server_answering(200).await;
    assert_eq!(health.state, HealthState::Ready);
    assert_eq!(health.message, "HEAD /api 200 OK");
    assert!(health.latency > std::time::Duration::ZERO);
    assert_eq!(seen, ["HEAD /api"]);
}

#[tokio::test]
async fn a_429_is_live() {
    let (health, _) = health_of_server_answering(429).await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Live, "HEAD /api 429 Too Many Requests")
    );
}

#[tokio::test]
async fn a_503_is_connected() {
    let (health, _) = health_of_server_answering(503).await;
    assert_eq!(health.state, HealthState::Connected);
}

#[tokio::test]
async fn a_404_is_connected() {
    let (health, _) = health_of_server_answering(404).await;
    assert_eq!(health.state, HealthState::Connected);
}

#[tokio::test]
async fn a_500_is_an_error() {
    let (health, _) = health_of_server_answering(500).await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Error, "HEAD /api 500 Internal Server Error")
    );
}

#[tokio::test]
async fn a_405_to_head_is_retried_as_get() {
    let server = server::answering(|method, _| match *method {
        Method::HEAD => (StatusCode::METHOD_NOT_ALLOWED, String::new()),
        _ => (StatusCode::OK, "up".to_owned()),
    })
    .await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let health = api.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Ready, "GET /api 200 OK")
    );
    assert_eq!(server.seen(), ["HEAD /api", "GET /api"]);
}

#[tokio::test]
async fn the_health_path_is_checked_below_the_base() {
    let server = server::answering(|_, path| match path {
        "/api/healthz" => (StatusCode::OK, String::new()),
        _ => (StatusCode::NOT_FOUND, String::new()),
    })
    .await;
    let api =
        connect(json!({ "url": server.url("/api"), "health": { "path": "/healthz", "timeout": "2s" } }))
            .await;
    let health = api.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Ready, "HEAD /api/healthz 200 OK")
    );
    assert_eq!(server.seen(), ["HEAD /api/healthz"]);
    assert_eq!(api.health_timeout(), std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn the_health_check_carries_auth() {
    let server = server::answering(|_, _| (StatusCode::OK, String::new())).await;
    let api = connect(json!({ "url": server.url("/api"), "auth": { "bearer": "t0ken" } })).await;
    assert_eq!(api.health().await.state, HealthState::Ready);
}

#[tokio::test]
async fn a_refused_connection_is_an_error_without_the_password() {
    let url = format!("http://app:hunter2@127.0.0.1:{}/api", server::refused_port());
    let api = connect(json!({ "url": url })).await;
    let health = api.health().await;
    assert_eq!(health.state, HealthState::Error);
    assert!(
        health.message.starts_with("HEAD /api: cannot connect"),
        "{}",
        health.message
    );
    assert!(!health.message.contains("hunter2"), "{}", health.message);
}

#[tokio::test]
async fn a_slow_server_is_an_error_after_the_health_timeout() {
    let server = server::slow(std::time::Duration::from_secs(30)).await;
    let api = connect(json!({ "url": server.url("/api"), "health": { "timeout": "100ms" } })).await;
    let health = api.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Error, "HEAD /api: timed out after 100ms")
    );
}

#[tokio::test]
async fn after_close_health_is_unknown() {
    let server = server::status(200).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    api.close().await;
    let health = api.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Unknown, "closed")
    );
    assert!(server.seen().is_empty());
}
