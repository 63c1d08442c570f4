//! `conn.metrics()` (issue 16 item 7): requests, errors, error rate, calls in flight and latency
//! percentiles of the calls made, read in process; per host for a `per_host` connection.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use connfx::Connection as _;
use serde_json::json;

use super::connect;

async fn server() -> std::net::SocketAddr {
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(60)).await;
                "slow"
            }),
        )
        .route("/fail", get(|| async { (StatusCode::BAD_REQUEST, "no") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn counts_calls_errors_in_flight_and_latency_percentiles() {
    let addr = server().await;
    let api = connect(json!({ "url": format!("http://{addr}") })).await;
    assert_eq!(api.metrics().requests, 0);
    for _ in 0..14 {
        api.get("/ok").send().await.unwrap();
    }
    for _ in 0..4 {
        assert!(api.get("/fail").send().await.is_err());
    }
    // Two slow calls: one measured while in flight.
    let slow = api.get("/slow").send();
    let during = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        api.metrics().in_flight
    };
    let (answer, in_flight) = tokio::join!(slow, during);
    answer.unwrap();
    assert_eq!(in_flight, 1);
    api.get("/slow").send().await.unwrap();

    let stats = api.metrics();
    assert_eq!((stats.requests, stats.errors, stats.in_flight), (20, 4, 0));
    assert!((stats.error_rate - 0.2).abs() < 1e-9, "{stats:?}");
    assert!(stats.p50 < Duration::from_millis(50), "{stats:?}");
    assert!(stats.p99 >= Duration::from_millis(60), "{stats:?}");
    assert!(stats.p50 <= stats.p95 && stats.p95 <= stats.p99, "{stats:?}");
    assert!(stats.hosts.is_empty(), "one host: no per-host table");
    api.close().await;
}

#[tokio::test]
async fn a_per_host_connection_counts_each_host() {
    let addr = server().await;
    let api = connect(json!({ "url": format!("http://{addr}"), "per_host": true })).await;
    api.get("/ok").send().await.unwrap();
    let other = format!("http://localhost:{}/fail", addr.port());
    assert!(api.get(&other).send().await.is_err());
    api.get(&other.replace("/fail", "/ok")).send().await.unwrap();
    let stats = api.metrics();
    assert_eq!(stats.requests, 3);
    let by_host: Vec<(&str, u64, u64)> = stats
        .hosts
        .iter()
        .map(|(host, s)| (host.as_str(), s.requests, s.errors))
        .collect();
    let (ip, name) = (
        format!("127.0.0.1:{}", addr.port()),
        format!("localhost:{}", addr.port()),
    );
    assert_eq!(by_host, [(ip.as_str(), 1, 0), (name.as_str(), 2, 1)]);
    api.close().await;
}
