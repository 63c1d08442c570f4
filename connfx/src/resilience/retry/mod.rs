//! Retry with exponential backoff and jitter.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// `retry(...)`: how failed calls are tried again. `max_attempts` counts the first try; the delay
/// before try `n + 1` is `initial_interval · multiplier^(n-1)`, capped at `max_interval`, varied by
/// ± `jitter`.
///
/// ```
/// let retry = connfx::RetryConfig { max_attempts: 5, ..Default::default() };
/// assert_eq!(retry.initial_interval, std::time::Duration::from_millis(100));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_retry"))]
pub struct RetryConfig {
    /// Tries in all, the first one included (1 = no retry).
    pub max_attempts: u32,
    /// Delay before the second try.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub initial_interval: Duration,
    /// Longest delay between two tries; also caps a server's `Retry-After`.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub max_interval: Duration,
    /// Growth of the delay from one try to the next.
    pub multiplier: f64,
    /// Random variation of each delay, as a ± fraction (0.2 = ±20 %).
    pub jitter: f64,
    /// Share of recent requests that may be retries (0.2 = 20 %); unset means no budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 3,
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(10),
            multiplier: 2.0,
            jitter: 0.2,
            budget: None,
        }
    }
}

fn check_retry(c: &RetryConfig) -> Result<(), ValidationError> {
    let duration_of = |key: &str| match key {
        "initial_interval" => Some(c.initial_interval),
        "max_interval" => Some(c.max_interval),
        _ => None,
    };
    super::check_rules(&connfx_spec::groups::RETRY, duration_of, |_| true)
}
