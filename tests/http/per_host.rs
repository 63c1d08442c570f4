//! `per_host` connections: absolute URLs to several hosts, with a circuit breaker and a rate
//! limit per `host:port`, and credentials kept to the base URL's origin.

use connfx::CallError;
use connfx::resilience::circuit_breaker::CircuitState;
use serde_json::{Value, json};

use crate::connect;
use crate::server::{self, Server};

fn host_key(server: &Server) -> String {
    server.origin.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_failing_host_opens_only_its_own_breaker() {
    let down = server::status(500).await;
    let up = server::status(200).await;
    let hooks = connect(json!({
        "url": up.origin,
        "per_host": true,
        "circuit_breaker": { "failure_threshold": 2, "reset_timeout": "60s" },
    }))
    .await;
    for _ in 0..2 {
        let err = hooks.post(&down.url("/hook")).send().await.expect_err("500");
        assert!(matches!(err, CallError::Status { code: 500, .. }), "{err}");
    }
    let err = hooks.post(&down.url("/hook")).send().await.expect_err("open");
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    assert_eq!(
        down.seen().len(),
        2,
        "the open breaker kept the third call from the host"
    );
    hooks
        .post(&up.url("/hook"))
        .send()
        .await
        .expect("the other host is still called");
    hooks
        .get("/relative")
        .send()
        .await
        .expect("relative paths join onto `url`");

    assert!(
        hooks.breaker().is_none(),
        "no single breaker on a per-host connection"
    );
    let breakers = hooks.host_breakers().expect("per-host breakers");
    let states: std::collections::HashMap<String, CircuitState> = breakers
        .stats()
        .into_iter()
        .map(|(host, s)| (host, s.state))
        .collect();
    assert_eq!(
        states.get(&host_key(&down)),
        Some(&CircuitState::Open),
        "{states:?}"
    );
    assert_eq!(
        states.get(&host_key(&up)),
        Some(&CircuitState::Closed),
        "{states:?}"
    );
}

#[tokio::test]
async fn each_host_has_its_own_rate_limit_and_stats() {
    let a = server::status(200).await;
    let b = server::status(200).await;
    let hooks = connect(json!({
        "url": a.origin,
        "per_host": true,
        "rate_limit": { "requests": 1, "per": "60s", "mode": "reject" },
    }))
    .await;
    hooks.get(&a.url("/")).send().await.expect("first call to a");
    let err = hooks
        .get(&a.url("/"))
        .send()
        .await
        .expect_err("a is at its limit");
    assert!(matches!(err, CallError::RateLimited { .. }), "{err}");
    hooks.get(&b.url("/")).send().await.expect("b has its own limit");

    let limits = hooks.host_rate_limits().expect("per-host limits");
    let a_stats = limits.stats_for(&host_key(&a)).expect("a was called");
    let b_stats = limits.stats_for(&host_key(&b)).expect("b was called");
    assert_eq!((a_stats.permitted, a_stats.rejected), (1, 1));
    assert_eq!((b_stats.permitted, b_stats.rejected), (1, 0));
    assert!(hooks.rate_limit().is_none());
}

#[tokio::test]
async fn credentials_go_only_to_the_base_origin() {
    let home = server::echo().await;
    let other = server::echo().await;
    let hooks = connect(json!({
        "url": home.url("/api"),
        "per_host": true,
        "auth": { "bearer": "hunter2" },
        "headers": { "x-api-token": "s3cret", "x-team": "payments" },
    }))
    .await;
    let headers = |v: Value| v["headers"].clone();
    let at_home = headers(
        hooks
            .get("/x")
            .send()
            .await
            .expect("home")
            .json()
            .await
            .expect("json"),
    );
    assert_eq!(at_home["authorization"], "Bearer hunter2");
    assert_eq!(at_home["x-api-token"], "s3cret");
    assert_eq!(at_home["x-team"], "payments");

    let away = headers(
        hooks
            .get(&other.url("/hook"))
            .send()
            .await
            .expect("other")
            .json()
            .await
            .expect("json"),
    );
    assert!(away.get("authorization").is_none(), "{away}");
    assert!(away.get("x-api-token").is_none(), "{away}");
    assert_eq!(away["x-team"], "payments", "plain headers go to every host");

    let health = connfx::Connection::health(&hooks).await;
    assert_eq!(health.state, connfx::HealthState::Ready, "{health:?}");
}

#[tokio::test]
async fn absolute_urls_need_per_host() {
    let other = server::echo().await;
    let api = connect(json!({ "url": "http://127.0.0.1:9/api" })).await;
    let err = api.get(&other.url("/x")).send().await.expect_err("not per_host");
    assert!(matches!(err, CallError::InvalidRequest { .. }), "{err}");

    let hooks = connect(json!({ "url": "http://127.0.0.1:9/api", "per_host": true })).await;
    let err = hooks
        .get(&other.url("/x").replace("http://", "http://user:pw@"))
        .send()
        .await
        .expect_err("user-info");
    assert!(
        matches!(err, CallError::InvalidRequest { .. }) && !err.to_string().contains("pw"),
        "{err}"
    );
}

/// A crawler's life: 100,000 distinct hosts through one `per_host` connection (a stub answers
/// every one, so no DNS and no sockets are needed) never keep more than `max_hosts` breakers and
/// limits, and the hosts called lately are the ones kept.
#[tokio::test]
async fn a_hundred_thousand_hosts_stay_under_max_hosts() {
    let config: connfx::HttpConfig = serde_json::from_value(json!({
        "url": "http://home.test",
        "per_host": true,
        "max_hosts": 1000,
        "circuit_breaker": { "failure_threshold": 3 },
        "rate_limit": { "requests": 10, "per": "1s", "mode": "reject" },
    }))
    .unwrap();
    let crawler = connfx::HttpConnection::stub("crawler", config, |_| {
        http::Response::builder().status(200).body("ok").unwrap()
    })
    .unwrap();
    let (breakers, limits) = (
        crawler.host_breakers().unwrap(),
        crawler.host_rate_limits().unwrap(),
    );
    let mut most = 0;
    for i in 0..100_000 {
        crawler.get(&format!("http://h{i}.test/")).send().await.unwrap();
        most = most.max(breakers.len()).max(limits.len());
    }
    assert!(most <= 1000, "at most {most} hosts kept at once");
    assert!(
        breakers.len() >= 900 && limits.len() >= 900,
        "{breakers:?} {limits:?}"
    );
    assert!(
        breakers.find("h99999.test:80").is_some(),
        "the last host called is kept"
    );
    assert!(breakers.find("h0.test:80").is_none(), "the first is long gone");
}

/// A host not called for `host_idle` goes when the next new host comes; its breaker starts
/// afresh if it is called again.
#[tokio::test]
async fn a_host_idle_past_host_idle_is_dropped() {
    let config: connfx::HttpConfig = serde_json::from_value(json!({
        "url": "http://home.test",
        "per_host": true,
        "host_idle": "100ms",
        "circuit_breaker": { "failure_threshold": 1 },
    }))
    .unwrap();
    let crawler = connfx::HttpConnection::stub("crawler", config, |request| {
        let status = if request.url().host_str() == Some("down.test") {
            503
        } else {
            200
        };
        http::Response::builder().status(status).body("").unwrap()
    })
    .unwrap();
    let breakers = crawler.host_breakers().unwrap();
    let _ = crawler.get("http://down.test/").send().await;
    assert_eq!(breakers.get("down.test:80").state(), CircuitState::Open);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    crawler.get("http://up.test/").send().await.unwrap();
    assert!(breakers.find("down.test:80").is_none(), "{breakers:?}");
    assert_eq!(breakers.len(), 1);
}

/// `max_hosts` changes in place: the same breakers, bounded from the next new host on.
#[tokio::test]
async fn a_reload_of_max_hosts_applies_live() {
    let config = |max: u32| -> connfx::HttpConfig {
        serde_json::from_value(json!({
            "url": "http://home.test",
            "per_host": true,
            "max_hosts": max,
            "circuit_breaker": { "failure_threshold": 3 },
        }))
        .unwrap()
    };
    let crawler = connfx::HttpConnection::stub("crawler", config(1000), |_| {
        http::Response::builder().status(200).body("").unwrap()
    })
    .unwrap();
    let breakers = crawler.host_breakers().unwrap();
    for i in 0..50 {
        crawler.get(&format!("http://h{i}.test/")).send().await.unwrap();
    }
    assert_eq!(breakers.len(), 50);
    assert_eq!(crawler.reload(config(10)).await.unwrap(), connfx::Applied::Live);
    crawler.get("http://new.test/").send().await.unwrap();
    assert!(breakers.len() <= 10, "{breakers:?}");
    assert!(
        std::sync::Arc::ptr_eq(&breakers, &crawler.host_breakers().unwrap()),
        "the same group"
    );
}
