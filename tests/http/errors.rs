//! How calls fail: invalid requests, error statuses, timeouts, refused connections, close.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use connfx::{CallError, Connection};
use serde_json::json;

use crate::{connect, server};

fn invalid_request_message(result: Result<connfx::protocol::http::HttpResponse, CallError>) -> String {
    match result {
        Err(CallError::InvalidRequest { connection, message }) if connection == "api" => message,
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}

#[tokio::test]
async fn an_absolute_url_is_an_invalid_request() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let message = invalid_request_message(api.get("http://elsewhere.example/x").send().await);
    assert!(
        message.contains("absolute URL") && !message.contains("elsewhere"),
        "{message}"
    );
    invalid_request_message(api.get(&server.url("/api/x")).send().await);
}

#[tokio::test]
async fn a_path_that_leaves_the_base_is_an_invalid_request() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    for path in ["//elsewhere.example/x", "../admin", "/items/../../admin"] {
        invalid_request_message(api.get(path).send().await);
    }
}

#[tokio::test]
async fn a_bad_header_is_an_invalid_request_without_its_value() {
    let server = server::echo().await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let message = invalid_request_message(api.get("/x").header("x-token", "s3cr3t\n").send().await);
    assert!(
        message.contains("x-token") && !message.contains("s3cr3t"),
        "{message}"
    );
    invalid_request_message(api.get("/x").header("bad name", "v").send().await);
}

#[tokio::test]
async fn a_404_is_a_status_error_with_the_body() {
    let server = server::status(404).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    match api.get("/missing").send().await {
        Err(CallError::Status {
            connection,
            code: 404,
            body,
        }) => {
            assert_eq!((connection.as_str(), body.as_str()), ("api", "status 404"));
        }
        other => panic!("expected a 404 Status error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_500_is_a_status_error_with_the_body() {
    let server = server::status(500).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let err = api.post("/items").send().await.expect_err("a 500");
    assert!(
        matches!(&err, CallError::Status { code: 500, body, .. } if body == "status 500"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "`api`: server answered 500");
}

#[tokio::test]
async fn a_status_error_keeps_at_most_4_kib_of_body() {
    let server = server::answering(|_, _| (StatusCode::BAD_REQUEST, "é".repeat(10_000))).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    match api.get("/x").send().await {
        Err(CallError::Status { code: 400, body, .. }) => {
            assert!(body.len() <= 4096 && body.len() > 4000, "{}", body.len());
            assert!(
                body.chars().all(|c| c == 'é'),
                "a character cut at the limit is dropped"
            );
        }
        other => panic!("expected a 400 Status error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_request_timeout_gives_a_timeout_error_in_time() {
    let server = server::slow(Duration::from_secs(30)).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let started = Instant::now();
    let err = api
        .get("/hang")
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .expect_err("times out");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, CallError::Timeout { after, .. } if after == Duration::from_millis(100)),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_configured_total_timeout_applies_and_the_shorter_limit_wins() {
    let server = server::slow(Duration::from_secs(30)).await;
    let api = connect(json!({ "url": server.url("/api"), "timeout": { "total": "150ms" } })).await;
    let started = Instant::now();
    let err = api.get("/hang").send().await.expect_err("times out");
    assert!(
        matches!(err, CallError::Timeout { after, .. } if after == Duration::from_millis(150)),
        "{err:?}"
    );
    let longer = api
        .get("/hang")
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect_err("times out");
    assert!(matches!(longer, CallError::Timeout { after, .. } if after == Duration::from_millis(150)));
    let shorter = api
        .get("/hang")
        .timeout(Duration::from_millis(50))
        .send()
        .await
        .expect_err("times out");
    assert!(matches!(shorter, CallError::Timeout { after, .. } if after == Duration::from_millis(50)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_without_the_password() {
    let url = format!("http://app:hunter2@127.0.0.1:{}/api", server::refused_port());
    let api = connect(json!({ "url": url })).await;
    let err = api.get("/items?token=abc").send().await.expect_err("refused");
    let CallError::Transport { connection, message } = &err else {
        panic!("expected Transport, got {err:?}")
    };
    assert_eq!(connection, "api");
    assert!(message.to_lowercase().contains("refused"), "{message}");
    for shown in [message.clone(), err.to_string(), format!("{err:?}")] {
        assert!(
            !shown.contains("hunter2") && !shown.contains("token=abc"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn after_close_requests_fail_as_closed() {
    let server = server::status(200).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let other_handle = api.clone();
    api.close().await;
    assert!(other_handle.is_closed());
    let err = other_handle.get("/x").send().await.expect_err("closed");
    assert!(
        matches!(&err, CallError::Closed { connection } if connection == "api"),
        "{err:?}"
    );
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn close_waits_for_a_request_in_flight() {
    let server = server::slow(Duration::from_millis(300)).await;
    let api = connect(json!({ "url": server.url("/api") })).await;
    let in_flight = tokio::spawn({
        let api = api.clone();
        async move { api.get("/slow").send().await.map(|r| r.status()) }
    });
    server.wait_for_a_request().await;
    api.close().await;
    // One thread: the request's task ran to its end before `close` was woken.
    assert!(
        in_flight.is_finished(),
        "close returned before the request in flight ended"
    );
    assert!(
        matches!(in_flight.await, Ok(Ok(200))),
        "the request in flight completes"
    );
}

/// Each retry event names the error of the try that failed, and the error that ends the call
/// keeps the last one as its source, with its status found through the wrapping.
#[tokio::test]
async fn retry_events_and_the_final_error_carry_the_cause() {
    let down = super::server::status(503).await;
    let api = super::connect(serde_json::json!({
        "url": down.url(""),
        "retry": { "max_attempts": 2, "initial_interval": "1ms" },
    }))
    .await;
    let mut events = api.retry().unwrap().subscribe();
    let err = api.get("/").send().await.unwrap_err();
    let connfx::resilience::retry::RetryEvent::Retrying {
        attempt: 1, error, ..
    } = events.try_recv().unwrap()
    else {
        panic!("a retry first");
    };
    assert_eq!(error.as_deref(), Some("`api`: server answered 503"));
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    let source = std::error::Error::source(&err).expect("the last try");
    assert_eq!(source.to_string(), "`api`: server answered 503");
}
