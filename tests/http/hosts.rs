//! `hosts`: single hosts of a `per_host` connection with their own headers, rate limit,
//! circuit breaker and timeout, against real servers on loopback.

use std::time::Duration;

use connfx::{CallError, Connection};
use serde_json::{Value, json};

use crate::server::{self, Server};
use crate::{config, connect};

/// `127.0.0.1:PORT`: the `hosts` key of one server, its port only.
fn host_key(server: &Server) -> String {
    server.origin.trim_start_matches("http://").to_owned()
}

/// The port of a server.
fn port(server: &Server) -> String {
    host_key(server).rsplit_once(':').expect("a port").1.to_owned()
}

/// The headers a request to `url` arrived with, as the echo server saw them.
async fn headers_at(api: &connfx::HttpConnection, url: &str) -> Value {
    let answer: Value = api
        .get(url)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    answer["headers"].clone()
}

#[tokio::test]
async fn a_hosts_own_breaker_opens_while_another_hosts_stays_closed() {
    let strict = server::status(500).await;
    let lenient = server::status(500).await;
    let api = connect(json!({
        "url": lenient.origin,
        "per_host": true,
        "circuit_breaker": { "failure_threshold": 5, "reset_timeout": "60s" },
        "hosts": { host_key(&strict): { "circuit_breaker": { "failure_threshold": 1, "reset_timeout": "60s" } } },
    }))
    .await;
    let err = api.get(&strict.url("/")).send().await.expect_err("500");
    assert!(matches!(err, CallError::Status { code: 500, .. }), "{err}");
    let err = api.get(&strict.url("/")).send().await.expect_err("open");
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    assert_eq!(
        strict.seen().len(),
        1,
        "its own breaker kept the second call away"
    );
    for _ in 0..3 {
        let err = api.get(&lenient.url("/")).send().await.expect_err("500");
        assert!(matches!(err, CallError::Status { code: 500, .. }), "{err}");
    }
    assert_eq!(
        lenient.seen().len(),
        3,
        "the connection's breaker is still closed"
    );
}

#[tokio::test]
async fn a_host_switches_the_connections_breaker_off_for_itself() {
    let down = server::status(500).await;
    let api = connect(json!({
        "url": down.origin,
        "per_host": true,
        "circuit_breaker": { "failure_threshold": 1, "reset_timeout": "60s" },
        "hosts": { format!("localhost:{}", port(&down)): { "circuit_breaker": { "enabled": false } } },
    }))
    .await;
    let localhost = format!("http://localhost:{}/", port(&down));
    for _ in 0..3 {
        let err = api.get(&localhost).send().await.expect_err("500");
        assert!(matches!(err, CallError::Status { code: 500, .. }), "{err}");
    }
    api.get(&down.url("/")).send().await.expect_err("500");
    let err = api.get(&down.url("/")).send().await.expect_err("open");
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
}

#[tokio::test]
async fn a_hosts_rate_limit_applies_only_to_it() {
    let limited = server::status(200).await;
    let free = server::status(200).await;
    let api = connect(json!({
        "url": free.origin,
        "per_host": true,
        "hosts": { host_key(&limited): { "rate_limit": { "requests": 1, "per": "60s", "mode": "reject" } } },
    }))
    .await;
    api.get(&limited.url("/")).send().await.expect("the first call");
    let err = api.get(&limited.url("/")).send().await.expect_err("limited");
    assert!(matches!(err, CallError::RateLimited { .. }), "{err}");
    for _ in 0..3 {
        api.get(&free.url("/"))
            .send()
            .await
            .expect("no limit on the other host");
    }
}

#[tokio::test]
async fn a_hosts_timeout_replaces_the_connections_longer_or_shorter() {
    let patient = server::slow(Duration::from_millis(400)).await;
    let hasty = server::slow(Duration::from_millis(400)).await;
    let api = connect(json!({
        "url": hasty.origin,
        "per_host": true,
        // `per_attempt` is also the client's own limit: a host's longer one must lift it.
        "timeout": { "per_attempt": "150ms", "total": "150ms" },
        "hosts": { host_key(&patient): { "timeout": "5s" } },
    }))
    .await;
    api.get(&patient.url("/")).send().await.expect("the host's 5 s");
    let err = api
        .get(&hasty.url("/"))
        .send()
        .await
        .expect_err("the connection's 150 ms");
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");

    let api = connect(json!({
        "url": hasty.origin,
        "per_host": true,
        "timeout": { "total": "5s" },
        "hosts": { host_key(&hasty): { "timeout": { "total": "100ms" } } },
    }))
    .await;
    let err = api
        .get(&hasty.url("/"))
        .send()
        .await
        .expect_err("the host's 100 ms");
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");
    api.get(&patient.url("/"))
        .send()
        .await
        .expect("the connection's 5 s");
}

#[tokio::test]
async fn host_headers_reach_only_their_host_and_win_over_the_connections() {
    let home = server::echo().await;
    let named = server::echo().await;
    let other = server::echo().await;
    let api = connect(json!({
        "url": home.url("/api"),
        "per_host": true,
        "auth": { "bearer": "hunter2" },
        "headers": { "anthropic-version": "2023-06-01", "x-team": "payments", "x-api-token": "s3cret" },
        // Upper case, every port of `localhost`.
        "hosts": { "LOCALHOST": { "headers": { "anthropic-version": "2024-01-01", "x-host": "named" } } },
    }))
    .await;
    let at_named = headers_at(&api, &format!("http://localhost:{}/x", port(&named))).await;
    assert_eq!(at_named["anthropic-version"], "2024-01-01", "{at_named}");
    assert_eq!(at_named["x-host"], "named");
    assert_eq!(
        at_named["x-team"], "payments",
        "the connection's other headers stay"
    );
    assert!(at_named.get("authorization").is_none(), "{at_named}");
    assert!(at_named.get("x-api-token").is_none(), "{at_named}");

    let at_other = headers_at(&api, &other.url("/x")).await;
    assert_eq!(at_other["anthropic-version"], "2023-06-01", "{at_other}");
    assert!(at_other.get("x-host").is_none(), "{at_other}");

    let at_home = headers_at(&api, "/x").await;
    assert_eq!(at_home["authorization"], "Bearer hunter2");
    assert!(at_home.get("x-host").is_none(), "{at_home}");
}

#[tokio::test]
async fn a_hosts_own_port_wins_over_the_bare_host() {
    let one = server::echo().await;
    let two = server::echo().await;
    let api = connect(json!({
        "url": one.origin,
        "per_host": true,
        "hosts": {
            "127.0.0.1": { "headers": { "x-which": "host" } },
            host_key(&two): { "headers": { "x-which": "port" } },
        },
    }))
    .await;
    assert_eq!(headers_at(&api, &one.url("/")).await["x-which"], "host");
    assert_eq!(headers_at(&api, &two.url("/")).await["x-which"], "port");
}

#[tokio::test]
async fn a_reload_of_hosts_applies_live() {
    let echo = server::echo().await;
    let with = |version: &str| {
        config(json!({
            "url": echo.origin,
            "per_host": true,
            "hosts": { host_key(&echo): { "headers": { "x-version": version } } },
        }))
    };
    let api = connfx::HttpConnection::connect("api", with("1"))
        .await
        .expect("connects");
    assert_eq!(headers_at(&api, "/").await["x-version"], "1");
    assert_eq!(
        api.reload(with("2")).await.expect("reloads"),
        connfx::Applied::Live
    );
    assert_eq!(headers_at(&api, "/").await["x-version"], "2");
}

#[tokio::test]
async fn a_configured_hosts_breaker_is_bounded_and_comes_back_with_its_policy() {
    let config: connfx::HttpConfig = serde_json::from_value(json!({
        "url": "http://home.test",
        "per_host": true,
        "host_idle": "100ms",
        "hosts": { "down.test": { "circuit_breaker": { "failure_threshold": 1, "reset_timeout": "60s" } } },
    }))
    .unwrap();
    let crawler = connfx::HttpConnection::stub("crawler", config, |request| {
        let status = match request.url().host_str() {
            Some("down.test") => 503,
            _ => 200,
        };
        http::Response::builder().status(status).body("").unwrap()
    })
    .unwrap();
    let _ = crawler.get("http://down.test/").send().await;
    let err = crawler.get("http://down.test/").send().await.expect_err("open");
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    tokio::time::sleep(Duration::from_millis(150)).await;
    // A new host sweeps the idle ones: the open breaker goes, and the host starts afresh.
    crawler
        .get("http://down.test:8080/")
        .send()
        .await
        .expect_err("503");
    let err = crawler
        .get("http://down.test/")
        .send()
        .await
        .expect_err("503 again");
    assert!(matches!(err, CallError::Status { code: 503, .. }), "{err}");
    let err = crawler
        .get("http://down.test/")
        .send()
        .await
        .expect_err("open again");
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
}

#[tokio::test]
async fn hosts_problems_refuse_to_connect() {
    let refused = |value: Value| async move {
        let err = connfx::HttpConnection::connect("api", config(value))
            .await
            .expect_err("refused");
        err.to_string()
    };
    let message = refused(json!({ "url": "http://127.0.0.1:9", "hosts": { "a.example": {} } })).await;
    assert!(
        message.contains("`hosts`") && message.contains("per_host"),
        "{message}"
    );
    let message = refused(json!({
        "url": "http://127.0.0.1:9", "per_host": true,
        "hosts": { "https://a.example": {} },
    }))
    .await;
    assert!(message.contains("names a scheme"), "{message}");
}

#[tokio::test]
async fn a_reload_keeps_a_hosts_open_breaker_while_the_host_keeps_its_group() {
    let with = |threshold: u32| -> connfx::HttpConfig {
        serde_json::from_value(json!({
            "url": "http://home.test",
            "per_host": true,
            "hosts": { "down.test": { "circuit_breaker": { "failure_threshold": threshold, "reset_timeout": "60s" } } },
        }))
        .unwrap()
    };
    let crawler = connfx::HttpConnection::stub("crawler", with(1), |_| {
        http::Response::builder().status(503).body("").unwrap()
    })
    .unwrap();
    let _ = crawler.get("http://down.test/").send().await;
    let open = |err: CallError| matches!(err, CallError::CircuitOpen { .. });
    assert!(open(
        crawler.get("http://down.test/").send().await.expect_err("open")
    ));
    assert_eq!(crawler.reload(with(3)).await.unwrap(), connfx::Applied::Live);
    assert!(
        open(
            crawler
                .get("http://down.test/")
                .send()
                .await
                .expect_err("still open")
        ),
        "changed in place, its state kept"
    );
}
