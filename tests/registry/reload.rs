//! `Registry::reload`: a dynamic registry takes new targets all or nothing, as a struct does.

use connfx::registry::RegistryConfig;
use connfx::{Applied, HttpConnection, Sources};

use crate::upstream;

fn targets(pairs: &[(&str, &str)]) -> RegistryConfig {
    let pairs = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    RegistryConfig::load(Sources::new().env_map(pairs)).expect("valid targets")
}

#[tokio::test]
async fn a_changed_target_is_applied_in_place_and_a_new_url_reconnects() {
    let (a, b) = (upstream().await, upstream().await);
    let api = |url: &str, threshold: &str| {
        targets(&[
            ("CONN_TARGETS_API_PROTOCOL", "http"),
            ("CONN_TARGETS_API_URL", url),
            (
                "CONN_TARGETS_API_PROPERTIES_CIRCUIT_BREAKER_FAILURE_THRESHOLD",
                threshold,
            ),
            ("CONN_TARGETS_DB_PROTOCOL", "sql"),
            ("CONN_TARGETS_DB_DSN", "sqlite::memory:"),
        ])
    };
    let registry = api(&a, "3").connect().await.unwrap();
    let held: HttpConnection = registry.get("api").unwrap();

    let report = registry.reload(api(&a, "8")).await.unwrap();
    let [change] = report.changes() else {
        panic!("one change: {report:?}");
    };
    assert_eq!(change.path(), "api.circuit_breaker.failure_threshold");
    assert_eq!(
        (change.old_value(), change.new_value(), change.applied()),
        (Some("3"), Some("8"), Applied::Live)
    );
    assert_eq!(
        held.config().circuit_breaker.as_ref().unwrap().failure_threshold,
        8,
        "the handle held sees it"
    );

    let report = registry.reload(api(&b, "8")).await.unwrap();
    assert_eq!(report.change("api.url").unwrap().applied(), Applied::Reconnected);
    assert_eq!(
        held.get("/ping").send().await.unwrap().text().await.unwrap(),
        "pong"
    );
    assert_eq!(held.base_url().expose().as_str(), format!("{b}/"));
}

#[tokio::test]
async fn an_added_target_or_a_changed_protocol_is_refused_and_nothing_changes() {
    let url = upstream().await;
    let registry = targets(&[
        ("CONN_TARGETS_API_PROTOCOL", "http"),
        ("CONN_TARGETS_API_URL", &url),
    ])
    .connect()
    .await
    .unwrap();
    let more = targets(&[
        ("CONN_TARGETS_API_PROTOCOL", "http"),
        ("CONN_TARGETS_API_URL", &url),
        ("CONN_TARGETS_API_TIMEOUT", "9s"),
        ("CONN_TARGETS_DB_PROTOCOL", "sql"),
        ("CONN_TARGETS_DB_DSN", "sqlite::memory:"),
    ]);
    let err = registry.reload(more).await.unwrap_err();
    let [issue] = err.issues() else {
        panic!("one problem: {err}");
    };
    assert_eq!(issue.path(), "targets.db");
    assert!(issue.message().contains("restart"), "{issue}");
    let api: HttpConnection = registry.get("api").unwrap();
    assert_eq!(
        api.config().timeout.total,
        std::time::Duration::from_secs(30),
        "nothing changed"
    );

    let other = targets(&[
        ("CONN_TARGETS_API_PROTOCOL", "graphql"),
        ("CONN_TARGETS_API_URL", &url),
    ]);
    let err = registry.reload(other).await.unwrap_err();
    assert!(
        err.issues()[0].message().contains("protocol cannot change"),
        "{err}"
    );
}

#[tokio::test]
async fn a_registry_not_built_from_targets_cannot_reload() {
    let registry = connfx::Registry::new();
    let err = registry.reload(RegistryConfig::default()).await.unwrap_err();
    assert!(err.to_string().contains("RegistryConfig"), "{err}");
}

/// A reload that keeps a limit in a fleet store that is not a Redis target is refused before
/// anything changes (without the check it applied, and the limit stayed on its fallback).
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_fleet_store_that_is_not_a_redis_target_refuses_the_reload() {
    let url = upstream().await;
    let base = [
        ("CONN_TARGETS_API_PROTOCOL", "http"),
        ("CONN_TARGETS_API_URL", url.as_str()),
        ("CONN_TARGETS_API_PROPERTIES_RATE_LIMIT_REQUESTS", "10"),
        ("CONN_TARGETS_DB_PROTOCOL", "sql"),
        ("CONN_TARGETS_DB_DSN", "sqlite::memory:"),
    ];
    let registry = targets(&base).connect().await.unwrap();
    let mut fleet = base.to_vec();
    fleet.push(("CONN_TARGETS_API_PROPERTIES_RATE_LIMIT_SCOPE", "fleet"));
    fleet.push(("CONN_TARGETS_API_PROPERTIES_RATE_LIMIT_STORE", "db"));
    let err = registry.reload(targets(&fleet)).await.unwrap_err();
    let [issue] = err.issues() else {
        panic!("one problem: {err}");
    };
    assert_eq!(issue.path(), "targets.api.rate_limit.store");
    assert!(issue.message().contains("Redis"), "{issue}");
    let api: HttpConnection = registry.get("api").unwrap();
    assert!(!api.rate_limit().unwrap().is_fleet(), "nothing changed");
}
