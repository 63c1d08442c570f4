use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::{AuthConfig, ConnUrl, Headers, HealthCheckConfig, RetryConfig, TimeoutConfig};

/// Settings of an [`SseConnection`](super::SseConnection): an `http://` or `https://` event
/// stream.
///
/// ```
/// let c: connfx::SseConfig = serde_json::from_str(r#"{"url": "http://127.0.0.1:8080/events"}"#).unwrap();
/// assert!(c.read_timeout.is_none());
/// assert!(c.retry.is_none()); // reconnects with `RetryConfig::default()`
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct SseConfig {
    /// The event stream's URL; user-info in it becomes basic auth unless `auth` sets a credential.
    pub url: ConnUrl,
    /// Headers sent with every request of the stream; values of credential-like names are never
    /// shown.
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub headers: Headers,
    /// Authentication sent with every request of the stream.
    #[serde(default)]
    #[validate(nested)]
    pub auth: AuthConfig,
    /// `connect`: opening a TCP/TLS connection. `per_attempt`: one request, until the response
    /// headers. `total`: one reconnect round, waits included (unset: `retry.max_attempts` alone
    /// ends it).
    #[serde(default)]
    #[validate(nested)]
    pub timeout: TimeoutConfig,
    /// Longest silence on an open stream (not even a `:` comment) before it is taken as dead and
    /// reopened; unset means no limit.
    #[serde(default, with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub read_timeout: Option<Duration>,
    /// Reconnects: the wait before reopening follows this backoff, started from the server's
    /// `retry:` when it sent one; `max_attempts` opens in a row may fail before the stream
    /// gives up; `retry_on` says which failures are worth another open. Unset: the defaults of
    /// `retry(...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub retry: Option<RetryConfig>,
    /// Health check: `timeout` bounds opening the stream.
    #[serde(default)]
    #[validate(nested)]
    pub health: HealthCheckConfig,
}
