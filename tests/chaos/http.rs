//! The HTTP connection behind the proxy and in a 5xx storm: every scenario of
//! [`scenario::run`], then the writes: a POST that may have reached the upstream is sent once,
//! an idempotent GET as often as `max_attempts` says, and one that never left is never delivered.

use std::time::Duration;

use connfx::resilience::circuit_breaker::CircuitBreaker;
use connfx::{CallError, CircuitState, Connection, Health, HttpConfig, HttpConnection};
use serde_json::json;

use crate::proxy::{Fault, FaultProxy};
use crate::scenario::{self, Inject, Subject, is_circuit_open, say, timed};
use crate::upstream::Upstream;

const MAX_ATTEMPTS: u32 = 3;
/// One failed POST and one GET's tries open the breaker: counts at the upstream are exact.
const FAILURE_THRESHOLD: u32 = 1 + MAX_ATTEMPTS;
const RESET_TIMEOUT: Duration = Duration::from_millis(300);

struct Http(HttpConnection);

impl Http {
    async fn connect(proxy: &FaultProxy) -> Http {
        let config: HttpConfig = serde_json::from_value(json!({
            "url": format!("http://{}", proxy.addr()),
            "timeout": { "connect": "200ms", "per_attempt": "300ms", "total": "1s" },
            "retry": {
                "max_attempts": MAX_ATTEMPTS, "initial_interval": "20ms",
                "retry_on": "connect,timeout,transport,502,503,504",
            },
            "circuit_breaker": { "failure_threshold": FAILURE_THRESHOLD, "reset_timeout": "300ms" },
            "health": { "timeout": "300ms" },
        }))
        .expect("valid config");
        Http(
            HttpConnection::connect("chaos-http", config)
                .await
                .expect("connect"),
        )
    }

    fn config(&self) -> std::sync::Arc<HttpConfig> {
        self.0.config()
    }
}

impl Subject for Http {
    async fn call(&self) -> Result<(), CallError> {
        self.0.get("/items/probe").send().await.map(drop)
    }

    async fn health(&self) -> Health {
        self.0.health().await
    }

    fn breaker(&self) -> CircuitBreaker {
        self.0.breaker().expect("configured")
    }

    fn total(&self) -> Duration {
        self.config().timeout.total
    }

    fn health_timeout(&self) -> Duration {
        self.config().health.timeout
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_survives_network_faults_and_a_5xx_storm() {
    let upstream = Upstream::start().await;
    for (name, fault) in scenario::network_faults() {
        let proxy = FaultProxy::start(upstream.addr()).await;
        let http = Http::connect(&proxy).await;
        scenario::run(&format!("http {name}"), &http, Inject::Proxy(&proxy, fault)).await;
    }
    let proxy = FaultProxy::start(upstream.addr()).await;
    let http = Http::connect(&proxy).await;
    scenario::run("http 503 storm", &http, Inject::Storm(&upstream, 503)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_latency_under_the_per_attempt_limit_is_only_slower() {
    let upstream = Upstream::start().await;
    let proxy = FaultProxy::start(upstream.addr()).await;
    let http = Http::connect(&proxy).await;
    proxy.set(Fault::Latency(Duration::from_millis(50))).await;
    for _ in 0..10 {
        let (result, took) = timed(http.total(), http.call()).await;
        result.expect("a slow answer within per_attempt is an answer");
        assert!(took >= Duration::from_millis(50), "{took:?}");
    }
    assert_eq!(http.breaker().state(), CircuitState::Closed);
    assert_eq!(http.breaker().stats().consecutive_failures, 0);
    assert_eq!(http.retry().stats().retries, 0);
}

impl Http {
    fn retry(&self) -> connfx::Retry {
        self.0.retry().expect("configured")
    }

    async fn post(&self, key: &str) -> Result<(), CallError> {
        let body = json!({ "order": key });
        timed(
            self.total(),
            self.0.post(&format!("/orders/{key}")).json(&body).send(),
        )
        .await
        .0
        .map(drop)
    }

    async fn get(&self, key: &str) -> Result<(), CallError> {
        timed(self.total(), self.0.get(&format!("/items/{key}")).send())
            .await
            .0
            .map(drop)
    }
}

/// Under `inject`: a POST that reached the upstream is seen there once, a GET `MAX_ATTEMPTS`
/// times, and the two open the breaker; after the fault both go through once more.
async fn writes_under(label: &str, upstream: &Upstream, http: &Http, inject: Inject<'_>) {
    let (post, get) = (format!("post-{label}"), format!("get-{label}"));
    inject.start().await;
    let posted = http.post(&post).await.expect_err("POST under the fault");
    let got = http.get(&get).await.expect_err("GET under the fault");
    assert_eq!(
        upstream.seen("POST", &format!("/orders/{post}")),
        1,
        "{label}: {posted}"
    );
    assert_eq!(
        upstream.seen("GET", &format!("/items/{get}")),
        MAX_ATTEMPTS,
        "{label}: {got}"
    );
    assert_eq!(http.breaker().state(), CircuitState::Open, "{label}");
    inject.end().await;
    tokio::time::sleep(RESET_TIMEOUT).await;
    http.post(&post).await.expect("POST after the fault");
    assert_eq!(upstream.seen("POST", &format!("/orders/{post}")), 2, "{label}");
    assert_eq!(http.breaker().state(), CircuitState::Closed, "{label}");
    say(&format!(
        "CHAOS http writes, {label}: POST seen once ({posted}); GET seen {MAX_ATTEMPTS} times ({got})"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_posts_that_reached_the_upstream_are_sent_once() {
    let upstream = Upstream::start().await;
    let proxy = FaultProxy::start(upstream.addr()).await;
    let http = Http::connect(&proxy).await;
    writes_under("503", &upstream, &http, Inject::Storm(&upstream, 503)).await;
    let http = Http::connect(&proxy).await;
    writes_under(
        "close-after-send",
        &upstream,
        &http,
        Inject::Proxy(&proxy, Fault::CloseAfter(0)),
    )
    .await;
    let http = Http::connect(&proxy).await;
    writes_under(
        "reset-after-send",
        &upstream,
        &http,
        Inject::Proxy(&proxy, Fault::ResetAfter(0)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_posts_that_never_left_are_never_delivered_late() {
    let upstream = Upstream::start().await;
    let proxy = FaultProxy::start(upstream.addr()).await;
    let http = Http::connect(&proxy).await;
    http.get("warm").await.expect("healthy");
    for fault in [Fault::Blackhole, Fault::Reset] {
        proxy.set(fault).await;
        let key = format!("{fault:?}").to_lowercase();
        let err = http.post(&key).await.expect_err("POST under the fault");
        assert!(!is_circuit_open(&err), "{err}");
        proxy.set(Fault::Healthy).await;
        // Long enough for anything buffered on the way to arrive, were it ever going to.
        tokio::time::sleep(RESET_TIMEOUT).await;
        assert_eq!(
            upstream.seen("POST", &format!("/orders/{key}")),
            0,
            "{fault:?}: {err}"
        );
        http.breaker().reset();
    }
}
