//! Seed 003, TDTP's `pkg/resilience` (`docs/migrating-from-tdtp-resilience.md`): its Go
//! configurations (the presets, a custom trip rule, `Enabled: false`) written as a connfx file.

use std::time::Duration;

use connfx::prelude::*;

use crate::support::{file, guide, shows};

/// The guide's file, key for key.
const FILE: &str = r#"# resilience.DefaultConfig("database"): MaxFailures 5, Timeout 60s, SuccessThreshold 2
[database.circuit_breaker]
failure_threshold = 5
reset_timeout = "60s"
half_open_success_needed = 2

# resilience.AggressiveConfig("api"): MaxFailures 3, Timeout 30s, MaxConcurrentCalls 100,
# SuccessThreshold 3
[api.circuit_breaker]
failure_threshold = 3
reset_timeout = "30s"
half_open_success_needed = 3
[api.bulkhead]
max_concurrent = 100

# resilience.ConservativeConfig("background-job"): MaxFailures 10, Timeout 120s, SuccessThreshold 5
[background_job.circuit_breaker]
failure_threshold = 10
reset_timeout = "120s"
half_open_success_needed = 5

# "Custom Trip Logic": trip when more than half of at least 10 requests failed
[reports.circuit_breaker]
failure_rate = 0.5
minimum_calls = 10

# Config{Enabled: false, ...}: declared, switched off
[legacy.circuit_breaker]
enabled = false
failure_threshold = 5"#;

#[derive(Connections)]
#[connections(env_prefix = "TDTP")]
struct Services {
    #[connection(url = "sqlite::memory:")]
    database: SqlConnection,
    #[connection(url = "https://api.example")]
    api: HttpConnection,
    #[connection(url = "https://jobs.example")]
    background_job: HttpConnection,
    #[connection(url = "https://reports.example")]
    reports: HttpConnection,
    #[connection(url = "https://legacy.example")]
    legacy: HttpConnection,
}

#[test]
fn the_presets_load_as_connfx_breakers() {
    shows(&guide("migrating-from-tdtp-resilience.md"), FILE);
    let dir = tempfile::tempdir().unwrap();
    let config = Services::load_config_from(Sources::new().file(file(&dir, "tdtp.toml", FILE))).unwrap();
    let breaker = |b: Option<connfx::CircuitBreakerConfig>| {
        let b = b.unwrap();
        (
            b.enabled,
            b.failure_threshold,
            b.reset_timeout,
            b.half_open_success_needed,
        )
    };
    let secs = Duration::from_secs;
    assert_eq!(breaker(config.database.circuit_breaker), (true, 5, secs(60), 2));
    assert_eq!(breaker(config.api.circuit_breaker), (true, 3, secs(30), 3));
    assert_eq!(config.api.bulkhead.unwrap().max_concurrent, 100);
    assert_eq!(
        breaker(config.background_job.circuit_breaker),
        (true, 10, secs(120), 5)
    );
    let reports = config.reports.circuit_breaker.unwrap();
    assert_eq!((reports.failure_rate, reports.minimum_calls), (Some(0.5), 10));
    assert!(!config.legacy.circuit_breaker.unwrap().enabled);
}
