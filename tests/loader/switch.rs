//! `enabled = true|false` on each policy group, from the attribute, a file and the environment,
//! as the crate docs state the rule ("Switching a policy"): observed on the calls a loopback
//! server receives and on the policies a connection runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use connfx::prelude::*;
use connfx::registry::RegistryConfig;

use crate::sandbox::Sandbox;

/// A service whose API retries (three tries, no wait to speak of) and declares a breaker that is
/// switched off in the attribute.
#[derive(Connections)]
#[connections(env_prefix = "SWITCH")]
pub struct Switch {
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9",
        retry(max_attempts = 3, initial_interval = "1ms", max_interval = "1ms"),
        circuit_breaker(enabled = false, failure_threshold = 2)
    )]
    api: HttpConnection,
}

/// A loopback server that answers every request with 503, and the number of requests it got.
async fn failing_upstream() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

/// Connects `Switch` from `sources` (its URL pointed at `url`), makes one call and gives back
/// the connection and how many requests reached the server.
async fn one_call(sources: Sources) -> (HttpConnection, usize) {
    let (url, hits) = failing_upstream().await;
    let config = Switch::load_config_from(sources.env_map([("SWITCH_API_URL", url)])).unwrap();
    let conns = config.connect().await.unwrap();
    let api = conns.api().clone();
    assert!(api.get("/").send().await.is_err(), "the server answers 503");
    let hits = hits.load(Ordering::SeqCst);
    conns.close().await;
    (api, hits)
}

#[tokio::test]
async fn the_attribute_switches_on_retry_and_off_the_breaker() {
    let (api, hits) = one_call(Sources::new()).await;
    assert_eq!(hits, 3, "three tries");
    assert!(api.retry().is_some());
    assert!(api.breaker().is_none(), "`enabled = false` in the attribute");
    let config = api.config();
    let breaker = config.circuit_breaker.as_ref().unwrap();
    assert_eq!((breaker.enabled, breaker.failure_threshold), (false, 2));
}

#[tokio::test]
async fn enabled_false_from_the_environment_turns_retry_off() {
    let (api, hits) = one_call(Sources::new().env_map([("SWITCH_API_RETRY_ENABLED", "false")])).await;
    assert_eq!(hits, 1, "no retry");
    assert!(api.retry().is_none());
}

#[tokio::test]
async fn enabled_false_from_a_file_turns_retry_off() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("switch.toml", "[api.retry]\nenabled = false\n");
    let (api, hits) = one_call(Sources::new().file(&file)).await;
    assert_eq!(hits, 1, "no retry");
    assert!(api.retry().is_none());
}

#[tokio::test]
async fn another_key_from_a_later_source_does_not_undo_enabled_false() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("switch.yaml", "api:\n  retry:\n    enabled: false\n");
    let env = [("SWITCH_API_RETRY_MAX_ATTEMPTS", "5")];
    let (api, hits) = one_call(Sources::new().file(&file).env_map(env)).await;
    assert_eq!(hits, 1, "still off");
    assert_eq!(api.config().retry.as_ref().unwrap().max_attempts, 5);
}

#[tokio::test]
async fn enabled_true_turns_a_policy_on_with_its_defaults() {
    let sandbox = Sandbox::new();
    let file = sandbox.file("switch.json", r#"{"api": {"retry": {"enabled": false}}}"#);
    let env = [
        ("SWITCH_API_CIRCUIT_BREAKER_ENABLED", "true"),
        ("SWITCH_API_RETRY_ENABLED", "1"),
        ("SWITCH_API_BULKHEAD_ENABLED", "true"),
    ];
    let (api, hits) = one_call(Sources::new().file(&file).env_map(env)).await;
    // Retry is back on (three tries), but the breaker, switched on with the attribute's
    // `failure_threshold = 2`, opens after two failures and refuses the third try.
    assert_eq!(hits, 2, "retry and breaker both on");
    assert!(api.retry().is_some(), "switched back on from the environment");
    assert!(api.breaker().is_some(), "switched on from the environment");
    let config = api.config();
    let breaker = config.circuit_breaker.as_ref().unwrap();
    assert_eq!(
        breaker.failure_threshold, 2,
        "the attribute's key, kept while it was off"
    );
    let bulkhead = config.bulkhead.as_ref().unwrap();
    assert_eq!(
        bulkhead,
        &connfx::BulkheadConfig::default(),
        "every key at its default"
    );
}

#[test]
fn a_bad_switch_is_a_config_issue_with_its_source() {
    let err =
        Switch::load_config_from(Sources::new().env_map([("SWITCH_API_RETRY_ENABLED", "off")])).unwrap_err();
    let [issue] = err.issues() else { panic!("{err}") };
    assert_eq!(issue.path(), "api.retry.enabled");
    assert_eq!(issue.source().to_string(), "env SWITCH_API_RETRY_ENABLED");
    assert_eq!(issue.message(), "expected `true` or `false`, found `\"off\"`");
}

#[tokio::test]
async fn registry_targets_switch_policies_from_env_and_files() {
    let (url, hits) = failing_upstream().await;
    let sandbox = Sandbox::new();
    let file = sandbox.file(
        "targets.toml",
        &format!(
            "[targets.api]\nprotocol = \"http\"\nurl = \"{url}\"\n\
             [targets.api.properties.retry]\nmax_attempts = 3\ninitial_interval = \"1ms\"\n\
             [targets.api.properties.circuit_breaker]\nenabled = false\n"
        ),
    );
    let registry = RegistryConfig::load(Sources::new().file(&file))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let api: HttpConnection = registry.get("api").unwrap();
    assert!(api.breaker().is_none(), "`enabled = false` in the file");
    assert!(api.get("/").send().await.is_err());
    assert_eq!(hits.swap(0, Ordering::SeqCst), 3);
    registry.close().await;

    let env = [("CONN_TARGETS_API_PROPERTIES_RETRY_ENABLED", "false")];
    let registry = RegistryConfig::load(Sources::new().file(&file).env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let api: HttpConnection = registry.get("api").unwrap();
    assert!(api.get("/").send().await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 1, "no retry");
    assert!(api.retry().is_none());
    registry.close().await;
}
