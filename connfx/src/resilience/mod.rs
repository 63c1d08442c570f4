//! Resilience policies declared next to each connection: retry, circuit breaker, timeouts,
//! rate limit and bulkhead. This module holds their config types, shared by the derive, the
//! loader, the environment names and the JSON Schema.

pub mod admission;
pub mod budget;
pub mod bulkhead;
pub mod circuit_breaker;
mod events;
pub mod rate_limit;
pub mod retry;
#[cfg(any(feature = "http", feature = "sql", feature = "redis"))]
pub(crate) mod stack;
pub(crate) mod striped;
pub mod timeout;

pub use budget::RetryBudget;
pub use bulkhead::Bulkhead;
pub use bulkhead::BulkheadConfig;
pub use circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitBreakerGroup, CircuitState};
pub(crate) use events::Emitter;
pub use rate_limit::RateLimitConfig;
pub use rate_limit::{KeyedRateLimit, RateLimit};
pub use retry::Retry;
pub use retry::RetryConfig;
pub use timeout::TimeoutConfig;
pub use timeout::{Deadline, Timeout};

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

/// Checks numbers against the spec's bounds of `group`, in the spec's wording. The loader checks
/// each value it reads already; this catches configs built by hand (`Retry::try_new`).
pub(crate) fn check_bounds(
    group: &connfx_spec::Group,
    numbers: &[(&str, f64)],
) -> Result<(), ValidationError> {
    for (name, value) in numbers {
        if let Some(key) = group.key(name) {
            connfx_spec::check::in_range(key, *value)
                .map_err(|message| ValidationError::new("range").with_message(message.into()))?;
        }
    }
    Ok(())
}
