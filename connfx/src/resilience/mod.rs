//! Resilience policies declared next to each connection: retry, circuit breaker, timeouts,
//! rate limit and bulkhead. This module holds their config types, shared by the derive, the
//! loader, the environment names and the JSON Schema.

pub mod bulkhead;
pub mod circuit_breaker;
pub mod rate_limit;
pub mod retry;
pub mod timeout;

pub use bulkhead::BulkheadConfig;
pub use circuit_breaker::CircuitBreakerConfig;
pub use rate_limit::RateLimitConfig;
pub use retry::RetryConfig;
pub use timeout::TimeoutConfig;

use std::time::Duration;

use validator::ValidationError;

/// Runs the spec's cross-key rules of `group` on typed values, in the spec's wording.
pub(crate) fn check_rules(
    group: &connfx_spec::Group,
    duration_of: impl Fn(&str) -> Option<Duration>,
    is_set: impl Fn(&str) -> bool,
) -> Result<(), ValidationError> {
    for rule in group.rules {
        if let Err(message) = connfx_spec::check::rule(rule, &duration_of, &is_set) {
            return Err(ValidationError::new("rule").with_message(message.into()));
        }
    }
    Ok(())
}
