//! `rate_limit(...)`: the keys, their defaults and their boot-time checks.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// `rate_limit(...)`: at most `requests` per `per`, with bursts of up to `burst` after a quiet
/// spell. Calls beyond it wait up to `max_wait` (`mode = "wait"`) or fail at once
/// (`mode = "reject"`).
///
/// ```
/// let r = connfx::RateLimitConfig { requests: 100, ..Default::default() };
/// assert_eq!(r.per, std::time::Duration::from_secs(1));
/// assert_eq!(r.mode, connfx::resilience::rate_limit::RateLimitMode::Wait);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_rate_limit"))]
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
    /// What a call beyond the limit does: `wait` (up to `max_wait`) or `reject` at once.
    pub mode: RateLimitMode,
    /// How long a call may wait for its turn in `wait` mode; one that would wait longer fails
    /// at once.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub max_wait: Duration,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests: 100,
            per: Duration::from_secs(1),
            burst: None,
            mode: RateLimitMode::Wait,
            max_wait: Duration::from_secs(1),
        }
    }
}

impl RateLimitConfig {
    /// The governor quota: one call every `per / requests`, bursts of `burst` (or `requests`).
    ///
    /// ```
    /// let quota = connfx::RateLimitConfig { requests: 10, burst: Some(3), ..Default::default() }.quota();
    /// assert_eq!(quota.replenish_interval(), std::time::Duration::from_millis(100));
    /// assert_eq!(quota.burst_size().get(), 3);
    /// ```
    pub fn quota(&self) -> Quota {
        let interval = (self.per / self.requests.max(1)).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(self.burst.unwrap_or(self.requests)).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// `mode = "wait" | "reject"`: what a call beyond the rate limit does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitMode {
    /// Wait for its turn, up to `max_wait`.
    #[default]
    Wait,
    /// Fail at once.
    Reject,
}

// Written by hand: the derive would describe documented variants as `oneOf`, and the loader
// checks choices from a plain `enum`.
impl JsonSchema for RateLimitMode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RateLimitMode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": ["wait", "reject"] })
    }

    fn inline_schema() -> bool {
        true
    }
}

fn check_rate_limit(c: &RateLimitConfig) -> Result<(), ValidationError> {
    let group = &connfx_spec::groups::RATE_LIMIT;
    let numbers = [
        ("requests", f64::from(c.requests)),
        ("burst", f64::from(c.burst.unwrap_or(1))),
    ];
    crate::resilience::check_bounds(group, &numbers)?;
    if c.per.is_zero() {
        let message = "`per` must be longer than 0s".to_owned();
        return Err(ValidationError::new("range").with_message(message.into()));
    }
    Ok(())
}
