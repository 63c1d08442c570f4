//! The retry pieces over a real HTTP exchange on 127.0.0.1: a scripted server, reqwest, and the
//! classification a protocol layer does (response or error → `Outcome` → decision). The HTTP
//! connection's own pipeline is tested with the connection; this shows the pieces fit it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header::RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use connfx::RetryConfig;
use connfx::reqwest;
use connfx::resilience::retry::{BodyKind, Outcome, RequestInfo, Retry, RetryAfter};

use super::ms;

/// A server answering `(status, Retry-After)` from a script (the last entry repeats), counting
/// requests.
struct Scripted {
    url: String,
    seen: Arc<Mutex<u32>>,
}

async fn scripted(script: &[(u16, Option<&'static str>)]) -> Scripted {
    let script: Arc<Mutex<VecDeque<_>>> = Arc::new(Mutex::new(script.iter().copied().collect()));
    let seen = Arc::new(Mutex::new(0));
    let log = seen.clone();
    let router = Router::new().fallback(move || {
        let (script, log) = (script.clone(), log.clone());
        async move {
            *log.lock().unwrap() += 1;
            let mut script = script.lock().unwrap();
            let (code, retry_after) = if script.len() > 1 {
                script.pop_front()
            } else {
                script.front().copied()
            }
            .unwrap_or((200, None));
            answer(code, retry_after)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Scripted { url, seen }
}

fn answer(code: u16, retry_after: Option<&'static str>) -> Response {
    let mut response = StatusCode::from_u16(code).unwrap().into_response();
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static(value));
    }
    response
}

/// What the HTTP layer does with an attempt: a failure status or a transport error becomes an
/// `Outcome`; a success is done.
fn outcome(result: &Result<reqwest::Response, reqwest::Error>) -> Outcome {
    match result {
        Ok(response) if response.status().as_u16() < 400 => Outcome::Success,
        Ok(response) => Outcome::Status {
            code: response.status().as_u16(),
            retry_after: response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(RetryAfter::parse),
        },
        Err(e) if e.is_connect() => Outcome::Connect,
        Err(e) if e.is_timeout() => Outcome::Timeout { sent: true },
        Err(_) => Outcome::Transport,
    }
}

async fn send(retry: &Retry, method: &'static str, url: &str) -> reqwest::Response {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let request = RequestInfo::new(method).body(BodyKind::Replayable);
    let rules = retry.clone();
    retry
        .call(|_| {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            client.request(method, url).body("{}").send()
        })
        // The request is known here: what its idempotency rules refuse is not retried.
        .classify(move |result: &_| match outcome(result) {
            failed if !rules.decide(&request, &failed).is_retry() => Outcome::Other,
            retried => retried,
        })
        .await
        .unwrap()
}

fn retry(initial: Duration) -> Retry {
    Retry::new(RetryConfig {
        initial_interval: initial,
        ..Default::default()
    })
}

#[tokio::test]
async fn three_attempts_on_503_503_200() {
    let server = scripted(&[(503, None), (503, None), (200, None)]).await;
    let response = send(&retry(ms(1)), "GET", &server.url).await;
    assert_eq!(response.status(), 200);
    assert_eq!(*server.seen.lock().unwrap(), 3);
}

#[tokio::test]
async fn a_retry_after_of_one_second_is_waited() {
    let server = scripted(&[(503, Some("1")), (200, None)]).await;
    let started = Instant::now();
    let response = send(&retry(ms(1)), "GET", &server.url).await;
    let waited = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(waited >= ms(990) && waited < ms(2_000), "waited {waited:?}");
}

#[tokio::test]
async fn a_post_answered_503_is_sent_exactly_once() {
    let server = scripted(&[(503, None), (200, None)]).await;
    let response = send(&retry(ms(1)), "POST", &server.url).await;
    assert_eq!(
        response.status(),
        503,
        "the 503 is the answer: a POST is not sent again"
    );
    assert_eq!(*server.seen.lock().unwrap(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_post() {
    // Bind, note the port, close: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let retry = retry(ms(1));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let request = RequestInfo::new("POST").body(BodyKind::Replayable);
    let rules = retry.clone();
    let url = format!("http://127.0.0.1:{port}/");
    let err = retry
        .call(|_| client.post(&url).body("{}").send())
        // The request is known here: what its idempotency rules refuse is not retried.
        .classify(move |result: &_| match outcome(result) {
            failed if !rules.decide(&request, &failed).is_retry() => Outcome::Other,
            retried => retried,
        })
        .await
        .unwrap_err();
    assert_eq!(err.attempts, 3, "nothing was sent, so the POST was tried again");
    assert!(err.last.is_connect());
}
