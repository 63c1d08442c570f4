use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `pool(...)`: how many connections are kept, and for how long.
///
/// ```
/// let p = connfx::PoolConfig { max_size: 20, ..Default::default() };
/// assert_eq!(p.min_idle, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// Connections open at most (HTTP: idle connections kept per host).
    pub max_size: u32,
    /// Idle connections kept open at least.
    pub min_idle: u32,
    /// A connection is closed after this long, in use or not; unset means never.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub max_lifetime: Option<Duration>,
    /// An idle connection is closed after this long.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub idle_timeout: Duration,
    /// How long a caller waits for a free connection.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_size: 10,
            min_idle: 0,
            max_lifetime: None,
            idle_timeout: Duration::from_secs(90),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}
