//! The dynamic registry: targets from `CONN_TARGETS_<NAME>_…` and files, adapters by protocol,
//! and the same live-connection view the derive gives.

#[path = "../derive/echo.rs"]
mod echo;
mod reload;

use axum::Router;
use axum::routing::get;
use connfx::registry::{RegistryConfig, TargetConfig};
use connfx::{HealthState, HttpConnection, Registry, Sources, SqlConnection, ValueSource};
use echo::EchoConnection;

async fn upstream() -> String {
    let app = Router::new()
        .route("/", get(|| async { "up" }))
        .route("/ping", get(|| async { "pong" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn targets_from_env_build_a_working_registry() {
    let url = upstream().await;
    let config = RegistryConfig::load(Sources::new().env_map([
        (
            "CONN_TARGETS_BILLING_API_PROPERTIES_RETRY_MAX_ATTEMPTS".to_string(),
            "2".to_string(),
        ),
        ("CONN_TARGETS_BILLING_API_PROTOCOL".into(), "http".into()),
        ("CONN_TARGETS_BILLING_API_URL".into(), url),
        ("CONN_TARGETS_BILLING_API_TIMEOUT".into(), "2s".into()),
        ("CONN_TARGETS_LEDGER_PROTOCOL".into(), "sql".into()),
        ("CONN_TARGETS_LEDGER_DSN".into(), "sqlite::memory:".into()),
    ]))
    .unwrap();
    assert_eq!(
        config.targets["billing_api"].properties["retry"]["max_attempts"],
        2
    );

    let registry = config.connect().await.unwrap();
    assert_eq!(registry.names().len(), 2);
    let api: HttpConnection = registry.get("billing_api").unwrap();
    assert_eq!(
        api.get("/ping").send().await.unwrap().text().await.unwrap(),
        "pong"
    );
    assert_eq!(api.config().retry.as_ref().unwrap().max_attempts, 2);
    assert_eq!(api.config().timeout.total, std::time::Duration::from_secs(2));
    let _ledger: SqlConnection = registry.get("ledger").unwrap();
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
    registry.close().await;
}

#[test]
fn bad_target_settings_are_config_issues_with_sources() {
    let err = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_API_PROTOCOL", "http"),
        ("CONN_TARGETS_API_URL", "http://127.0.0.1:1"),
        ("CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATEMPTS", "2"),
        ("CONN_TARGETS_API_TLS", "maybe"),
    ]))
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.issues().len(), 2, "{text}");
    assert!(
        text.contains("`CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATEMPTS` is not a setting; did you mean `CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATTEMPTS`?"),
        "{text}"
    );
    assert!(
        err.issues()
            .iter()
            .all(|i| matches!(i.source(), ValueSource::Env(_))),
        "{text}"
    );
}

#[test]
fn targets_load_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    std::fs::write(&path, "[targets.api]\nprotocol = \"http\"\nurl = \"http://127.0.0.1:1\"\n[targets.api.properties.pool]\nmax_size = 0\n").unwrap();
    let err = RegistryConfig::load(Sources::new().file(&path)).unwrap_err();
    assert_eq!(err.issues()[0].path(), "targets.api.pool.max_size");
    assert_eq!(
        err.issues()[0].message(),
        "`max_size` must be between 1 and 100000, found 0"
    );
}

/// `api` and `API` would share every `CONN_TARGETS_API_…` variable: refused at boot, as the
/// derive refuses two fields that share a variable at compile time.
#[test]
fn two_targets_that_share_their_variables_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("targets.toml");
    let target = "protocol = \"http\"\nurl = \"http://127.0.0.1:1\"\n";
    std::fs::write(&path, format!("[targets.api]\n{target}[targets.API]\n{target}")).unwrap();
    let err = RegistryConfig::load(Sources::new().file(&path)).unwrap_err();
    let [issue] = err.issues() else {
        panic!("one issue expected: {err}")
    };
    assert_eq!(issue.path(), "targets.api");
    assert_eq!(issue.source(), &ValueSource::File(path));
    assert_eq!(
        issue.message(),
        "targets `API` and `api` would both be set by the variables `CONN_TARGETS_API_…`; rename one of them"
    );
}

#[tokio::test]
async fn adapters_are_found_by_protocol_name() {
    let registry = Registry::new();
    let target = |protocol: &str| TargetConfig {
        protocol: protocol.into(),
        url: None,
        dsn: None,
        timeout: None,
        ca_file: None,
        cert_file: None,
        key_file: None,
        tls: None,
        properties: serde_json::json!({ "greeting": "hi" })
            .as_object()
            .unwrap()
            .clone(),
    };
    let err = registry.add("e", target("echo")).await.unwrap_err();
    assert!(err.to_string().contains("unknown protocol `echo`"), "{err}");

    registry.register_connection_type::<EchoConnection>();
    registry.add("e", target("echo")).await.unwrap();
    assert_eq!(registry.get::<EchoConnection>("e").unwrap().greeting(), "hi");

    registry.register_adapter("shouting-echo", |name: String, target: TargetConfig| async move {
        let mut config: echo::EchoConfig = serde_json::from_value(target.to_protocol_json())
            .map_err(|e| connfx::ConnectError::new(&name, e.to_string()))?;
        config.greeting = config.greeting.to_uppercase();
        <EchoConnection as connfx::Connection>::connect(&name, config).await
    });
    registry.add("loud", target("shouting-echo")).await.unwrap();
    assert_eq!(registry.get::<EchoConnection>("loud").unwrap().greeting(), "HI");
    assert_eq!(registry.health().await.get("loud").unwrap().health.message, "HI");
}

#[tokio::test]
async fn tls_true_with_a_plain_url_is_refused() {
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_API_PROTOCOL", "http"),
        ("CONN_TARGETS_API_URL", "http://127.0.0.1:1"),
        ("CONN_TARGETS_API_TLS", "true"),
    ]))
    .unwrap();
    let err = config.connect().await.unwrap_err();
    assert!(err.to_string().contains("not encrypted"), "{err}");
}

#[tokio::test]
async fn a_lenient_connect_keeps_the_targets_that_connect_and_reports_the_others() {
    let url = upstream().await;
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_API_PROTOCOL", "http"),
        ("CONN_TARGETS_API_URL", url.as_str()),
        ("CONN_TARGETS_BROKEN_PROTOCOL", "http"),
        ("CONN_TARGETS_BROKEN_URL", "http://127.0.0.1:1"),
        ("CONN_TARGETS_BROKEN_TLS", "true"),
    ]))
    .unwrap();
    assert!(
        config.clone().connect().await.is_err(),
        "the strict connect fails as a whole"
    );
    let (registry, failed) = config.connect_lenient().await;
    let failed = failed.expect("the broken target is reported");
    assert_eq!(failed.failures().len(), 1);
    assert_eq!(failed.failures()[0].connection, "broken");
    assert!(failed.to_string().contains("not encrypted"), "{failed}");
    assert_eq!(registry.names(), ["api"]);
    let api: HttpConnection = registry.get("api").unwrap();
    assert_eq!(
        api.get("/ping").send().await.unwrap().text().await.unwrap(),
        "pong"
    );
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
    registry.close().await;
}

#[test]
fn registry_schema_describes_targets() {
    let schema = RegistryConfig::json_schema();
    assert_eq!(schema["title"], "RegistryConfig");
    assert!(schema.to_string().contains("protocol"));
}
