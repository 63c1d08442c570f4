use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `health(...)`: how the connection is checked.
///
/// ```
/// let h = connfx::HealthCheckConfig::default();
/// assert_eq!(h.timeout, std::time::Duration::from_secs(5));
/// assert!(h.critical);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct HealthCheckConfig {
    /// Path checked instead of the base URL (HTTP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Longest a check may take before it is reported as an error.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub timeout: Duration,
    /// Whether the service needs this connection to serve: a critical connection that is
    /// neither `ready` nor `live` makes the service not ready (`/health/ready` answers 503); a
    /// non-critical one is reported but never blocks.
    pub critical: bool,
}

impl Default for HealthCheckConfig {
    fn default() -> Self {
        HealthCheckConfig {
            path: None,
            timeout: Duration::from_secs(5),
            critical: true,
        }
    }
}
