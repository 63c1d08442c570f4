//! Seed 004, HelixAgent's `internal/http` (`docs/migrating-from-helixagent-http.md`): its
//! `DefaultPoolConfig()` and per-host example written as a connfx file.

use std::time::Duration;

use connfx::prelude::*;

use crate::support::{file, guide, shows};

/// The guide's file, key for key.
const FILE: &str = r#"# DefaultPoolConfig() and pool.ConfigureHost("api.anthropic.com", ...)
[anthropic]
url = "https://api.anthropic.com"
[anthropic.pool]
max_size = 10            # MaxIdleConnsPerHost
idle_timeout = "90s"     # IdleConnTimeout
[anthropic.timeout]
connect = "30s"          # DialTimeout (the TLS handshake included)
per_attempt = "60s"      # ResponseHeaderTimeout
total = "120s"           # RequestTimeout
[anthropic.bulkhead]
max_concurrent = 100     # MaxConnsPerHost
[anthropic.retry]
max_attempts = 4         # MaxRetries = 3 retries after the first try
initial_interval = "1s"  # InitialRetryDelay
max_interval = "30s"     # MaxRetryDelay
multiplier = 2.0         # RetryMultiplier
jitter = 0.1             # RetryJitter
[anthropic.rate_limit]
requests = 60            # HostConfig.RateLimit: requests per minute
per = "1m"
[anthropic.circuit_breaker]
failure_threshold = 5    # CircuitBreakerConfig.Threshold
reset_timeout = "30s"    # ResetPeriod
half_open_max_calls = 1  # HalfOpenMax
[anthropic.headers]
anthropic-version = "2024-01-01""#;

#[derive(Connections)]
#[connections(env_prefix = "HELIX")]
struct Providers {
    #[connection(protocol = "http")]
    anthropic: HttpConnection,
}

#[test]
fn the_default_pool_config_loads_as_a_connection() {
    shows(&guide("migrating-from-helixagent-http.md"), FILE);
    let dir = tempfile::tempdir().unwrap();
    let config = Providers::load_config_from(Sources::new().file(file(&dir, "helix.toml", FILE))).unwrap();
    let c = config.anthropic;
    let secs = Duration::from_secs;
    assert_eq!((c.pool.max_size, c.pool.idle_timeout), (Some(10), secs(90)));
    assert_eq!(
        (c.timeout.connect, c.timeout.per_attempt, c.timeout.total),
        (Some(secs(30)), Some(secs(60)), secs(120))
    );
    assert_eq!(c.bulkhead.unwrap().max_concurrent, 100);
    let retry = c.retry.unwrap();
    assert_eq!(retry.max_attempts, 4, "MaxRetries 3 after the first try");
    assert_eq!((retry.initial_interval, retry.max_interval), (secs(1), secs(30)));
    assert_eq!((retry.multiplier, retry.jitter), (2.0, 0.1));
    let limit = c.rate_limit.unwrap();
    assert_eq!((limit.requests, limit.per), (60, secs(60)));
    let breaker = c.circuit_breaker.unwrap();
    assert_eq!(
        (
            breaker.failure_threshold,
            breaker.reset_timeout,
            breaker.half_open_max_calls
        ),
        (5, secs(30), 1)
    );
    assert_eq!(c.headers.0["anthropic-version"], "2024-01-01");
}

const HOSTS: &str = r#"# pool.ConfigureHost("api.anthropic.com", HostConfig{...}) on a pool of many hosts
[llm]
url = "https://api.anthropic.com"
per_host = true
[llm.hosts."api.anthropic.com"]
headers = { "anthropic-version" = "2024-01-01" }           # DefaultHeaders
rate_limit = { requests = 60, per = "1m" }                 # RateLimit: requests per minute
circuit_breaker = { failure_threshold = 5, reset_timeout = "30s" }  # Threshold, ResetPeriod
[llm.hosts."api.deepseek.example"]
timeout = "60s""#;

#[derive(Connections)]
#[connections(env_prefix = "HELIX")]
struct Pool {
    #[connection(protocol = "http")]
    llm: HttpConnection,
}

#[test]
fn configure_host_loads_as_a_hosts_table() {
    shows(&guide("migrating-from-helixagent-http.md"), HOSTS);
    let dir = tempfile::tempdir().unwrap();
    let config = Pool::load_config_from(Sources::new().file(file(&dir, "pool.toml", HOSTS))).unwrap();
    let anthropic = &config.llm.hosts["api.anthropic.com"];
    assert_eq!(anthropic.headers.0["anthropic-version"], "2024-01-01");
    let limit = anthropic.rate_limit.as_ref().unwrap();
    assert_eq!((limit.requests, limit.per), (60, Duration::from_secs(60)));
    let breaker = anthropic.circuit_breaker.as_ref().unwrap();
    assert_eq!(
        (breaker.failure_threshold, breaker.reset_timeout),
        (5, Duration::from_secs(30))
    );
    let deepseek = &config.llm.hosts["api.deepseek.example"];
    assert_eq!(deepseek.timeout.as_ref().unwrap().total, Duration::from_secs(60));
}
