use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::{ConnUrl, Headers, HealthCheckConfig, RetryConfig, TimeoutConfig};

/// Settings of a [`WebSocketConnection`](super::WebSocketConnection): `ws://` or `wss://`.
///
/// ```
/// let c: connfx::WebSocketConfig = serde_json::from_str(r#"{"url": "ws://127.0.0.1:9001/feed"}"#).unwrap();
/// assert_eq!(c.ping_interval, std::time::Duration::from_secs(30));
/// assert!(c.retry.is_none()); // reconnects with `RetryConfig::default()`
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct WebSocketConfig {
    /// Server URL, `ws://` or `wss://`. Credentials go in `headers`, not in the URL.
    pub url: ConnUrl,
    /// Headers sent with the opening handshake (`Authorization`, `Sec-WebSocket-Protocol` …);
    /// values of credential-like names are never shown.
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub headers: Headers,
    /// `connect`: one opening handshake (TCP, TLS and upgrade; 10s when unset). `per_attempt`:
    /// writing one frame (30s when unset; a slower write drops and reopens the connection).
    /// `total`: one `send_*` call, waiting for a reconnect included (unset: until the
    /// reconnect gives up).
    #[serde(default)]
    #[validate(nested)]
    pub timeout: TimeoutConfig,
    /// A ping is sent this often; when nothing at all comes back before the next one, the
    /// connection is taken as dead and reopened. `0s` sends no pings.
    #[serde(default = "default_ping_interval", with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub ping_interval: Duration,
    /// Largest message accepted from the server, in bytes (tungstenite's default, 64 MiB, when
    /// unset); a larger one drops the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_message_size: Option<u64>,
    /// Reconnects: the wait before each handshake attempt follows this backoff, and
    /// `max_attempts` handshakes in a row may fail before the connection gives up until its
    /// next call. Unset: the defaults of `retry(...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub retry: Option<RetryConfig>,
    /// Health check: `timeout` bounds the trial handshake made while the connection is not open.
    #[serde(default)]
    #[validate(nested)]
    pub health: HealthCheckConfig,
}

fn default_ping_interval() -> Duration {
    Duration::from_secs(30)
}
