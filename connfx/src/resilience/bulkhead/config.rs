//! `bulkhead(...)`: the keys, their defaults and their boot-time checks.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// `bulkhead(...)`: at most `max_concurrent` calls in flight; others wait up to `max_wait` for a
/// free slot (zero: rejected at once).
///
/// ```
/// let b = connfx::BulkheadConfig { max_concurrent: 8, ..Default::default() };
/// assert_eq!(b.max_wait, std::time::Duration::ZERO);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_bulkhead"))]
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

fn check_bulkhead(c: &BulkheadConfig) -> Result<(), ValidationError> {
    let numbers = [("max_concurrent", f64::from(c.max_concurrent))];
    crate::resilience::check_bounds(&connfx_spec::groups::BULKHEAD, &numbers)
}
