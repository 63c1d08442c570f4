//! `health(critical = …)` from the attribute, a file and the environment, down to the report.

use connfx::Sources;
use connfx::prelude::*;

/// Connections of a service with one optional dependency.
#[derive(Connections)]
#[connections(env_prefix = "MON")]
pub struct Conns {
    /// Needed to serve.
    #[connection(protocol = "http", url = "http://127.0.0.1:1")]
    payments: HttpConnection,
    /// Nice to have.
    #[connection(protocol = "http", url = "http://127.0.0.1:1", health(critical = false))]
    avatars: HttpConnection,
}

#[tokio::test]
async fn the_attribute_sets_critical_and_the_report_carries_it() {
    let config = Conns::load_config_from(Sources::new()).unwrap();
    assert!(config.payments.health.critical, "critical by default");
    assert!(!config.avatars.health.critical);

    let conns = config.connect().await.unwrap();
    let report = conns.health().await;
    assert!(report.get("payments").unwrap().critical);
    assert!(!report.get("avatars").unwrap().critical);
    assert!(!report.ready(), "payments is down and critical: {report}");
    assert!(report.to_string().contains("CRITICAL"), "{report}");

    // The derived struct's registry monitors the same connections.
    let monitor = conns.registry().monitor(std::time::Duration::from_millis(50));
    let mut reports = monitor.reports();
    let watched = tokio::time::timeout(crate::PATIENCE, reports.wait_for(Option::is_some))
        .await
        .expect("a first report in time")
        .expect("the monitor is running")
        .clone()
        .unwrap();
    assert!(!watched.get("avatars").unwrap().critical);
    assert!(!watched.ready(), "{watched}");
    conns.close().await;
}

#[test]
fn the_environment_and_files_override_critical() {
    let config = Conns::load_config_from(Sources::new().env_map([
        ("MON_PAYMENTS_HEALTH_CRITICAL", "false"),
        ("MON_AVATARS_HEALTH_CRITICAL", "1"),
    ]))
    .unwrap();
    assert!(!config.payments.health.critical);
    assert!(config.avatars.health.critical);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("connections.toml");
    std::fs::write(&path, "[payments.health]\ncritical = false\n").unwrap();
    let config = Conns::load_config_from(Sources::new().file(&path)).unwrap();
    assert!(!config.payments.health.critical);

    let err = Conns::load_config_from(Sources::new().env_map([("MON_AVATARS_HEALTH_CRITICAL", "maybe")]))
        .unwrap_err();
    assert_eq!(err.issues()[0].path(), "avatars.health.critical", "{err}");
}

#[test]
fn the_env_var_is_listed() {
    let vars = Conns::env_vars();
    let var = vars
        .iter()
        .find(|v| v.name == "MON_AVATARS_HEALTH_CRITICAL")
        .expect("listed");
    assert_eq!(var.path, "avatars.health.critical");
}
