//! `/health/live` and `/health/ready` over real HTTP: critical and non-critical connections,
//! a monitor before its first report, a registry checked per request, and no secret in a body.

use std::time::Duration;

use axum::Router;
use connfx::probe::{ProbeSource, ReadinessStatus};
use connfx::{HttpConfig, HttpConnection, Registry};
use serde_json::json;

use crate::upstream::Upstream;
use crate::{PATIENCE, assert_live, connection, dead_url, get_json, http, serve_probes};

#[tokio::test]
async fn a_non_critical_connection_that_is_down_keeps_readiness() {
    let upstream = Upstream::start().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    registry.insert("avatars", http("avatars", &dead_url().await, false).await);
    let monitor = registry.monitor(Duration::from_millis(50));
    let mut reports = monitor.reports();
    tokio::time::timeout(PATIENCE, reports.wait_for(Option::is_some))
        .await
        .expect("a first report in time")
        .expect("the monitor is running");
    let probes = serve_probes(monitor.clone()).await;

    let (status, body) = get_json(&probes, "/health/ready").await;
    assert_eq!((status, &body["status"]), (200, &"ready".into()), "{body}");
    let avatars = connection(&body, "avatars");
    assert_eq!(
        (&avatars["state"], &avatars["critical"]),
        (&"error".into(), &false.into()),
        "{body}"
    );
    assert_eq!(connection(&body, "payments")["state"], "ready");
    assert_live(&probes).await;

    // The same down connection, critical, makes the service not ready.
    let strict = Registry::new();
    strict.insert("avatars", http("avatars", &dead_url().await, true).await);
    let (status, body) = get_json(&serve_probes(&strict).await, "/health/ready").await;
    assert_eq!((status, &body["status"]), (503, &"not_ready".into()), "{body}");
}

#[tokio::test]
async fn a_monitor_before_its_first_report_is_starting() {
    // An upstream that takes 3 s to answer: the first check is still running.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let slow = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        "late"
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let registry = Registry::new();
    let config: HttpConfig =
        serde_json::from_value(json!({ "url": slow, "health": { "timeout": "5s" } })).unwrap();
    registry.insert(
        "slow",
        <HttpConnection as connfx::Connection>::connect("slow", config)
            .await
            .unwrap(),
    );
    let monitor = registry.monitor(Duration::from_millis(50));
    let probes = serve_probes(&monitor).await;

    let (status, body) = get_json(&probes, "/health/ready").await;
    assert_eq!(
        (status, body),
        (503, json!({ "status": "starting", "connections": [] }))
    );
    assert_live(&probes).await;
}

#[tokio::test]
async fn a_registry_source_checks_on_each_request() {
    let mut upstream = Upstream::start().await;
    let registry = Registry::new();
    registry.insert("payments", http("payments", &upstream.url(), true).await);
    let probes = serve_probes(&registry).await;

    for round in 1..=3 {
        let (status, _) = get_json(&probes, "/health/ready").await;
        assert_eq!(status, 200);
        assert_eq!(upstream.hits(), round, "one check per probe");
    }
    upstream.down().await;
    let (status, body) = get_json(&probes, "/health/ready").await;
    assert_eq!((status, &body["status"]), (503, &"not_ready".into()), "{body}");

    let readiness = ProbeSource::from(&registry).readiness().await;
    assert_eq!(readiness.status, ReadinessStatus::NotReady);
    assert!(!readiness.is_ready());
}

#[tokio::test]
async fn no_secret_reaches_a_probe_answer() {
    const PASSWORD: &str = "hunter2-url-password";
    const TOKEN: &str = "t0ken-bearer-s3cret";
    let upstream = Upstream::start().await;
    let dead = dead_url().await;
    let with_credentials = |url: &str| url.replacen("http://", &format!("http://alice:{PASSWORD}@"), 1);
    let connect = |name: &'static str, value: serde_json::Value| async move {
        let config: HttpConfig = serde_json::from_value(value).unwrap();
        <HttpConnection as connfx::Connection>::connect(name, config)
            .await
            .unwrap()
    };
    let registry = Registry::new();
    let up_with_password = connect("up_password", json!({ "url": with_credentials(&upstream.url()) }));
    registry.insert("up_password", up_with_password.await);
    let down_with_password = connect("down_password", json!({ "url": with_credentials(&dead) }));
    registry.insert("down_password", down_with_password.await);
    let token = json!({ "url": dead, "auth": { "bearer": TOKEN }, "health": { "critical": false } });
    registry.insert("down_token", connect("down_token", token).await);
    let monitor = registry.monitor(Duration::from_millis(50));
    let mut reports = monitor.reports();
    tokio::time::timeout(PATIENCE, reports.wait_for(Option::is_some))
        .await
        .expect("a first report in time")
        .expect("the monitor is running");

    for source in [ProbeSource::from(&monitor), ProbeSource::from(&registry)] {
        let probes = serve_probes(source).await;
        let (status, body) = get_json(&probes, "/health/ready").await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(connection(&body, "up_password")["state"], "ready", "{body}");
        assert_eq!(connection(&body, "down_password")["state"], "error", "{body}");
        let text = body.to_string();
        for secret in [PASSWORD, TOKEN, "alice"] {
            assert!(!text.contains(secret), "`{secret}` in {text}");
        }
    }
}
