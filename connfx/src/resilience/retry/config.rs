//! `retry(...)`: the keys, their defaults and their boot-time checks.

use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use super::RetryOn;

/// `retry(...)`: how failed calls are tried again. `max_attempts` counts the first try; the delay
/// before try `n + 1` follows `backoff` from `initial_interval` (`initial_interval · multiplier^(n-1)`
/// by default), capped at `max_interval`, varied by ± `jitter`. What is retried is `retry_on`;
/// `budget` bounds retries to a share of requests.
///
/// ```
/// let retry = connfx::RetryConfig { max_attempts: 5, ..Default::default() };
/// assert_eq!(retry.initial_interval, std::time::Duration::from_millis(100));
/// assert_eq!(retry.retry_on, "connect,timeout,429,502,503,504");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_retry"))]
pub struct RetryConfig {
    /// Tries in all, the first one included (1 = no retry).
    pub max_attempts: u32,
    /// How the delay grows: `exponential` (`initial_interval · multiplier^(n-1)`), `linear`
    /// (`initial_interval · n`) or `constant` (`initial_interval`).
    pub backoff: BackoffKind,
    /// Delay before the second try.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub initial_interval: Duration,
    /// Longest delay between two tries; also caps a server's `Retry-After`.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub max_interval: Duration,
    /// Growth of the delay from one try to the next (exponential backoff only).
    pub multiplier: f64,
    /// Random variation of each delay, as a ± fraction (0.2 = ±20 %).
    pub jitter: f64,
    /// What is retried, comma-separated: `connect` (nothing was sent), `timeout`, `transport`
    /// (the connection broke after the request was sent), status codes (`503`) and classes (`5xx`).
    #[validate(custom(function = "check_retry_on"))]
    pub retry_on: String,
    /// Retry POST and PATCH even when the request may have reached the server.
    pub non_idempotent: bool,
    /// Share of requests that may be retries (0.2 = 20 %), spread over time: each request earns
    /// 0.2 of a retry and at most `max(min_retries_per_sec, 1)` are saved up, so an outage gets
    /// no burst of retries; unset means no budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    /// Retries allowed per second whatever the budget, so a quiet connection can still retry;
    /// also the most the budget saves up (at least 1).
    pub min_retries_per_sec: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            backoff: BackoffKind::Exponential,
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: 0.2,
            retry_on: RetryOn::DEFAULT_TEXT.to_owned(),
            non_idempotent: false,
            budget: None,
            min_retries_per_sec: 10,
        }
    }
}

/// `backoff = "exponential" | "linear" | "constant"`: how the delay between tries grows.
///
/// ```
/// let kind: connfx::resilience::retry::BackoffKind = serde_json::from_str("\"linear\"").unwrap();
/// assert_eq!(kind, connfx::resilience::retry::BackoffKind::Linear);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackoffKind {
    /// `initial_interval · multiplier^(n-1)`.
    #[default]
    Exponential,
    /// `initial_interval · n`.
    Linear,
    /// `initial_interval` every time.
    Constant,
}

// Written by hand: the derive would describe documented variants as `oneOf`, and the loader
// checks choices from a plain `enum`.
impl JsonSchema for BackoffKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BackoffKind".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": ["exponential", "linear", "constant"] })
    }

    fn inline_schema() -> bool {
        true
    }
}

fn check_retry(c: &RetryConfig) -> Result<(), ValidationError> {
    let group = &connfx_spec::groups::RETRY;
    let numbers = [
        ("max_attempts", f64::from(c.max_attempts)),
        ("multiplier", c.multiplier),
        ("jitter", c.jitter),
        ("budget", c.budget.unwrap_or(0.0)),
        ("min_retries_per_sec", f64::from(c.min_retries_per_sec)),
    ];
    crate::resilience::check_bounds(group, &numbers)?;
    let duration_of = |key: &str| match key {
        "initial_interval" => Some(c.initial_interval),
        "max_interval" => Some(c.max_interval),
        _ => None,
    };
    super::super::check_rules(group, duration_of, |_| true)
}

fn check_retry_on(text: &str) -> Result<(), ValidationError> {
    RetryOn::parse(text)
        .map(drop)
        .map_err(|message| ValidationError::new("retry_on").with_message(message.into()))
}
