//! Rate limit: at most `requests` per `per`, with a `burst`.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `rate_limit(...)`: calls beyond `requests` per `per` wait or are rejected.
///
/// ```
/// let r = connfx::RateLimitConfig { requests: 100, ..Default::default() };
/// assert_eq!(r.per, std::time::Duration::from_secs(1));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Calls allowed per `per`.
    pub requests: u32,
    /// The period `requests` is counted over.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub per: Duration,
    /// Calls allowed at once after a quiet spell; unset means `requests`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests: 100,
            per: Duration::from_secs(1),
            burst: None,
        }
    }
}
