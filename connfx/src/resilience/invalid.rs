//! The one constructor error of the policies: what `try_new` returns for a config it refuses.

use crate::config::group::{Declared, problems};

/// A policy's config with values out of bounds or rules broken, refused by its `try_new` (and
/// by [`CircuitBreakerConfig::check`](crate::CircuitBreakerConfig::check)): every problem,
/// worded as the derive and the loader word it.
///
/// ```
/// let cfg = connfx::CircuitBreakerConfig { window_size: 1, ..Default::default() };
/// let err = connfx::resilience::CircuitBreaker::try_new(cfg).unwrap_err();
/// assert_eq!(err.to_string(), "invalid circuit_breaker config: `window_size` must be between 2 and 1000000, found 1");
///
/// let cfg = connfx::RetryConfig { max_attempts: 0, ..Default::default() };
/// let err = connfx::resilience::Retry::try_new(cfg).unwrap_err();
/// assert_eq!((err.group(), err.problems().len()), ("retry", 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {group} config: {}", problems.join("; "))]
pub struct InvalidConfig {
    group: &'static str,
    problems: Vec<String>,
}

impl InvalidConfig {
    /// Checks `config` against its declaration: every problem, or `Ok`.
    pub(crate) fn check<T: Declared>(config: &T) -> Result<(), InvalidConfig> {
        let problems = problems(config);
        match problems.is_empty() {
            true => Ok(()),
            false => Err(InvalidConfig {
                group: T::name(),
                problems,
            }),
        }
    }

    /// The group refused, as written in attributes and files (`retry`, `circuit_breaker` …).
    ///
    /// ```
    /// let bad = connfx::BulkheadConfig { max_concurrent: 0, ..Default::default() };
    /// assert_eq!(connfx::resilience::Bulkhead::try_new(bad).unwrap_err().group(), "bulkhead");
    /// ```
    pub fn group(&self) -> &str {
        self.group
    }

    /// Every problem, one message each.
    ///
    /// ```
    /// let bad = connfx::CircuitBreakerConfig { minimum_calls: 0, failure_threshold: 0, ..Default::default() };
    /// assert_eq!(bad.check().unwrap_err().problems().len(), 2);
    /// ```
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}
