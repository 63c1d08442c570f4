//! `timeout(...)`: the keys, their defaults and their boot-time checks.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// `timeout(...)`, or `timeout = "10s"` in the attribute for the total. Unset means no limit
/// beyond the protocol's own.
///
/// ```
/// let t = connfx::TimeoutConfig { total: Some(std::time::Duration::from_secs(10)), ..Default::default() };
/// assert!(t.connect.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_timeout"))]
pub struct TimeoutConfig {
    /// Time to open a connection.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub connect: Option<Duration>,
    /// Time for one try of a call.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub per_attempt: Option<Duration>,
    /// Time for the whole call, retries included.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub total: Option<Duration>,
}

fn check_timeout(c: &TimeoutConfig) -> Result<(), ValidationError> {
    let duration_of = |key: &str| match key {
        "connect" => c.connect,
        "per_attempt" => c.per_attempt,
        "total" => c.total,
        _ => None,
    };
    super::super::check_rules(&connfx_spec::groups::TIMEOUT, duration_of, |_| true)
}
