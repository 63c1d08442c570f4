//! Bulkhead: a bound on calls in flight.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `bulkhead(...)`: at most `max_concurrent` calls in flight; others wait up to `max_wait`.
///
/// ```
/// let b = connfx::BulkheadConfig { max_concurrent: 8, ..Default::default() };
/// assert_eq!(b.max_wait, std::time::Duration::ZERO);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct BulkheadConfig {
    /// Calls in flight at most.
    pub max_concurrent: u32,
    /// How long a call waits for a free slot before it is rejected.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub max_wait: Duration,
}

impl Default for BulkheadConfig {
    fn default() -> Self {
        BulkheadConfig {
            max_concurrent: 64,
            max_wait: Duration::ZERO,
        }
    }
}
