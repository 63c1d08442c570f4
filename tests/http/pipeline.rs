//! The policy stack of every request, against scripted servers on loopback: retries and their
//! rules, `Retry-After`, the breaker, rate limit, bulkhead and retry budget.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use connfx::CallError;
use connfx::resilience::circuit_breaker::CircuitState;
use serde_json::json;

use crate::connect;

/// A server that answers with `script` in turn (then repeats its last answer), counting requests.
struct Scripted {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Scripted {
    async fn start(script: &[(u16, Option<&'static str>)]) -> Scripted {
        let script: Arc<Vec<(u16, Option<&'static str>)>> = Arc::new(script.to_vec());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = Router::new().fallback(move || {
            let (script, counter) = (script.clone(), counter.clone());
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst).min(script.len() - 1);
                let (status, retry_after) = script[n];
                let status = StatusCode::from_u16(status).expect("valid status");
                match retry_after {
                    Some(after) => (status, [("retry-after", after)], "scripted").into_response(),
                    None => (status, "scripted").into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Scripted { url, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn fast_retry() -> serde_json::Value {
    json!({ "max_attempts": 3, "initial_interval": "10ms", "jitter": 0.0 })
}

#[tokio::test]
async fn three_attempts_on_503_503_200() {
    let server = Scripted::start(&[(503, None), (503, None), (200, None)]).await;
    let api = connect(json!({ "url": server.url, "retry": fast_retry() })).await;
    let body = api
        .get("/x")
        .send()
        .await
        .expect("third try succeeds")
        .text()
        .await
        .expect("body");
    assert_eq!((body.as_str(), server.hits()), ("scripted", 3));
    assert_eq!(api.retry().expect("policy").stats().retries, 2);
}

#[tokio::test]
async fn giving_up_says_how_many_tries_and_why() {
    let server = Scripted::start(&[(503, None)]).await;
    let api = connect(json!({ "url": server.url, "retry": fast_retry() })).await;
    let err = api.get("/x").send().await.expect_err("always 503");
    let CallError::RetriesExhausted {
        attempts, ref last, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(attempts, 3);
    assert!(matches!(**last, CallError::Status { code: 503, .. }), "{err}");
    assert!(err.to_string().contains("no attempts left"), "{err}");
}

#[tokio::test]
async fn retry_after_of_one_second_is_waited() {
    let server = Scripted::start(&[(503, Some("1")), (200, None)]).await;
    let api = connect(json!({ "url": server.url, "retry": fast_retry() })).await;
    let started = Instant::now();
    api.get("/x").send().await.expect("second try succeeds");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test]
async fn retry_after_beyond_the_total_deadline_fails_at_once() {
    let server = Scripted::start(&[(503, Some("30")), (200, None)]).await;
    let api =
        connect(json!({ "url": server.url, "retry": fast_retry(), "timeout": { "total": "2s" } })).await;
    let started = Instant::now();
    let err = api.get("/x").send().await.expect_err("cannot wait 30 s");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.hits(), 1);
    // 30 s is first capped at `max_interval` (10 s): still longer than the 2 s left.
    let text = err.to_string();
    assert!(
        text.contains("the server asked to wait 10s") && text.contains("remain before the deadline"),
        "{text}"
    );
}

#[tokio::test]
async fn a_post_answered_503_is_sent_exactly_once() {
    let server = Scripted::start(&[(503, None), (503, None), (200, None)]).await;
    let api = connect(json!({ "url": server.url, "retry": fast_retry() })).await;
    let err = api
        .post("/charges")
        .json(&json!({ "amount": 1 }))
        .send()
        .await
        .expect_err("503");
    assert!(matches!(err, CallError::Status { code: 503, .. }), "{err:?}");
    assert_eq!(server.hits(), 1);

    // Declared idempotent, the same POST is retried.
    let ok = api
        .post("/charges")
        .json(&json!({ "amount": 1 }))
        .idempotent(true)
        .send()
        .await;
    assert!(ok.is_ok() && server.hits() == 3, "{ok:?}");
}

#[tokio::test]
async fn a_connection_refused_before_anything_was_written_is_retried_even_for_a_post() {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], crate::ports::closed_port()));
    // The server comes up on that port between the first try and the second.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let listener = tokio::net::TcpListener::bind(address).await.expect("rebind");
        axum::serve(listener, Router::new().fallback(|| async { "created" })).await
    });
    let retry = json!({ "max_attempts": 3, "initial_interval": "300ms", "jitter": 0.0 });
    let api = connect(json!({ "url": format!("http://{address}"), "retry": retry })).await;
    let body = api
        .post("/charges")
        .body("x")
        .send()
        .await
        .expect("second try reaches the server");
    assert_eq!(body.text().await.expect("body"), "created");
}

#[tokio::test]
async fn the_breaker_opens_rejects_at_once_and_recovers() {
    let server = Scripted::start(&[(500, None), (500, None), (500, None), (200, None)]).await;
    let breaker = json!({ "failure_threshold": 3, "reset_timeout": "200ms" });
    let api = connect(json!({ "url": server.url, "circuit_breaker": breaker })).await;
    for _ in 0..3 {
        assert!(matches!(
            api.get("/x").send().await,
            Err(CallError::Status { code: 500, .. })
        ));
    }
    assert_eq!(api.breaker().expect("breaker").state(), CircuitState::Open);

    let started = Instant::now();
    let err = api.get("/x").send().await.expect_err("open");
    let rejected_in = started.elapsed();
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err:?}");
    assert!(rejected_in < Duration::from_millis(1), "{rejected_in:?}");
    assert_eq!(server.hits(), 3, "the rejected call never reached the server");

    tokio::time::sleep(Duration::from_millis(250)).await;
    api.get("/x").send().await.expect("the probe succeeds");
    assert_eq!(api.breaker().expect("breaker").state(), CircuitState::Closed);
}

#[tokio::test]
async fn statuses_below_the_threshold_are_not_breaker_failures() {
    let server = Scripted::start(&[(404, None)]).await;
    let breaker = json!({ "failure_threshold": 1 });
    let api = connect(json!({ "url": server.url, "circuit_breaker": breaker })).await;
    for _ in 0..3 {
        assert!(matches!(
            api.get("/x").send().await,
            Err(CallError::Status { code: 404, .. })
        ));
    }
    assert_eq!(api.breaker().expect("breaker").state(), CircuitState::Closed);
}

#[tokio::test]
async fn the_rate_limit_rejects_beyond_its_rate() {
    let server = Scripted::start(&[(200, None)]).await;
    let limit = json!({ "requests": 2, "per": "10s", "mode": "reject" });
    let api = connect(json!({ "url": server.url, "rate_limit": limit })).await;
    api.get("/x").send().await.expect("first");
    api.get("/x").send().await.expect("second");
    let err = api.get("/x").send().await.expect_err("third is over the rate");
    assert!(matches!(err, CallError::RateLimited { .. }), "{err:?}");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn the_bulkhead_rejects_a_call_beyond_its_size() {
    let server = crate::server::slow(Duration::from_millis(300)).await;
    let bulkhead = json!({ "max_concurrent": 1, "max_wait": "0s" });
    let api = connect(json!({ "url": server.url("/"), "bulkhead": bulkhead })).await;
    let first = tokio::spawn({
        let api = api.clone();
        async move { api.get("/slow").send().await.map(drop) }
    });
    server.wait_for_a_request().await;
    let err = api.get("/slow").send().await.expect_err("the only slot is taken");
    assert!(matches!(err, CallError::BulkheadFull { .. }), "{err:?}");
    first.await.expect("joins").expect("the first call completes");
}

#[tokio::test]
async fn under_a_total_outage_the_budget_keeps_load_within_1_2_times_the_offered_requests() {
    let server = Scripted::start(&[(503, None)]).await;
    let retry = json!({ "max_attempts": 3, "initial_interval": "1ms", "jitter": 0.0,
                        "budget": 0.2, "min_retries_per_sec": 0 });
    let api = connect(json!({ "url": server.url, "retry": retry })).await;
    let offered = 200;
    for _ in 0..offered {
        let _ = api.get("/x").send().await;
    }
    let seen = server.hits();
    assert!(
        seen as f64 <= 1.2 * offered as f64,
        "server saw {seen} for {offered} offered"
    );
    assert!(seen > offered, "some retries were allowed: {seen}");
}

#[tokio::test]
async fn a_connection_may_opt_in_to_retrying_post() {
    let server = Scripted::start(&[(503, None), (200, None)]).await;
    let mut retry = fast_retry();
    retry["non_idempotent"] = json!(true);
    let api = connect(json!({ "url": server.url, "retry": retry })).await;
    api.post("/charges")
        .body("x")
        .send()
        .await
        .expect("retried into a 200");
    assert_eq!(server.hits(), 2, "the connection opted in to retrying POST");
    let refused = api.post("/charges").idempotent(false).body("x");
    assert!(!refused.is_idempotent(), "the request's own say wins");
}
