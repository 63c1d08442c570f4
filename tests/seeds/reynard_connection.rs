//! Seed 002, reynard-connection (`docs/migrating-from-reynard-connection.md`): its Vite
//! environment, copied verbatim, read with `SeedEnv::reynard("VITE")`.

use std::time::Duration;

use connfx::registry::{RegistryConfig, SeedEnv};
use connfx::{HttpConfig, Sources, SseConfig, ValueSource, WebSocketConfig};

use crate::support::{env_block, guide, shows};

/// "Environment Variables", verbatim.
const VITE_ENV: &str = r#"# Connection defaults
VITE_CONNECTION_TIMEOUT=5000
VITE_CONNECTION_RETRY_COUNT=3
VITE_CONNECTION_RETRY_DELAY=1000
VITE_CONNECTION_BACKOFF_MULTIPLIER=2
VITE_CONNECTION_MAX_POOL_SIZE=10
VITE_CONNECTION_KEEP_ALIVE=30000
VITE_CONNECTION_COMPRESSION=true
VITE_CONNECTION_ENCRYPTION=true
VITE_CONNECTION_SECURITY_LEVEL=enhanced
VITE_CONNECTION_HEALTH_CHECK_INTERVAL=30000
VITE_CONNECTION_AUTO_RECONNECT=true
VITE_CONNECTION_CIRCUIT_BREAKER=true
VITE_CONNECTION_CIRCUIT_BREAKER_THRESHOLD=5
VITE_CONNECTION_CIRCUIT_BREAKER_TIMEOUT=60000

# Protocol-specific URLs
VITE_HTTP_URL=https://api.example.com
VITE_WEBSOCKET_URL=wss://api.example.com/ws
VITE_SSE_URL=https://api.example.com/events
"#;

const GUIDE: &str = "migrating-from-reynard-connection.md";

#[test]
fn the_env_block_loads_with_its_documented_meaning() {
    shows(&guide(GUIDE), VITE_ENV);
    let sources = Sources::new().env_map(env_block(VITE_ENV));
    let config =
        RegistryConfig::load_with(sources, &[SeedEnv::reynard("VITE")]).unwrap_or_else(|e| panic!("{e}"));
    let target = |name: &str| &config.targets[name];
    for name in ["http", "websocket", "sse"] {
        assert_eq!(target(name).tls, Some(true), "ENCRYPTION=true: {name}");
    }

    let http: HttpConfig = serde_json::from_value(target("http").to_protocol_json()).unwrap();
    assert_eq!(http.url.to_string(), "https://api.example.com/");
    assert_eq!(http.timeout.total, Duration::from_millis(5000), "milliseconds");
    let retry = http.retry.unwrap();
    assert_eq!(retry.max_attempts, 4, "RETRY_COUNT=3 retries after the first try");
    assert_eq!(retry.initial_interval, Duration::from_secs(1));
    assert_eq!(retry.multiplier, 2.0);
    assert_eq!(http.pool.max_size, Some(10));
    assert_eq!(http.pool.idle_timeout, Duration::from_secs(30), "KEEP_ALIVE");
    let breaker = http.circuit_breaker.unwrap();
    assert!(breaker.enabled);
    assert_eq!(breaker.failure_threshold, 5);
    assert_eq!(breaker.reset_timeout, Duration::from_secs(60));

    let ws: WebSocketConfig = serde_json::from_value(target("websocket").to_protocol_json()).unwrap();
    assert_eq!(ws.url.to_string(), "wss://api.example.com/ws");
    assert_eq!(ws.timeout.connect, Some(Duration::from_secs(5)));
    assert_eq!(ws.ping_interval, Duration::from_secs(30), "KEEP_ALIVE");
    let reconnect = ws.retry.unwrap();
    assert!(reconnect.enabled, "AUTO_RECONNECT=true");
    assert_eq!(reconnect.max_attempts, 4);

    let sse: SseConfig = serde_json::from_value(target("sse").to_protocol_json()).unwrap();
    assert_eq!(sse.url.to_string(), "https://api.example.com/events");
    assert_eq!(sse.retry.unwrap().initial_interval, Duration::from_secs(1));
}

#[test]
fn auto_reconnect_false_switches_reconnects_off() {
    let env = [
        ("VITE_WEBSOCKET_URL", "wss://api.example.com/ws"),
        ("VITE_CONNECTION_AUTO_RECONNECT", "false"),
    ];
    let config = RegistryConfig::load_with(Sources::new().env_map(env), &[SeedEnv::reynard("VITE")]).unwrap();
    let ws: WebSocketConfig = serde_json::from_value(config.targets["websocket"].to_protocol_json()).unwrap();
    assert!(!ws.retry.unwrap().enabled);
}

/// A reynard setting that is no setting is named as written; a duration that is not a number
/// of milliseconds too.
#[test]
fn bad_variables_are_named_as_written() {
    let env = [
        ("VITE_HTTP_URL", "https://api.example.com"),
        ("VITE_CONNECTION_RETRY_COUNTS", "3"),
        ("VITE_CONNECTION_TIMEOUT", "5s"),
        ("VITE_APP_TITLE", "not reynard's"),
    ];
    let err =
        RegistryConfig::load_with(Sources::new().env_map(env), &[SeedEnv::reynard("VITE")]).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.issues().len(), 2, "{text}");
    let source = |name: &str| {
        err.issues()
            .iter()
            .find(|i| i.source() == &ValueSource::Env(name.into()))
            .unwrap()
    };
    assert_eq!(
        source("VITE_CONNECTION_RETRY_COUNTS").message(),
        "`VITE_CONNECTION_RETRY_COUNTS` is not a setting; did you mean `VITE_CONNECTION_RETRY_COUNT`?"
    );
    assert!(
        source("VITE_CONNECTION_TIMEOUT")
            .message()
            .contains("milliseconds"),
        "{text}"
    );
}
