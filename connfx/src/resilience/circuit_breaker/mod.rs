//! Circuit breaker: stop calling a dependency that keeps failing, probe it again later.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `circuit_breaker(...)`: Closed → Open after `failure_threshold` consecutive failures (or a
/// `failure_rate` over at least `minimum_calls`), Open for `reset_timeout`, then Half-open with
/// `half_open_max_calls` probes, closing after `half_open_success_needed` successes.
///
/// ```
/// let cb = connfx::CircuitBreakerConfig { failure_threshold: 3, ..Default::default() };
/// assert_eq!(cb.reset_timeout, std::time::Duration::from_secs(30));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// Failure share (0–1] over the window that opens the circuit; unset means off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<f64>,
    /// Calls the window must hold before `failure_rate` is judged.
    pub minimum_calls: u32,
    /// How long the circuit stays open before probing.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub reset_timeout: Duration,
    /// Probes let through while half-open.
    pub half_open_max_calls: u32,
    /// Successful probes needed to close again.
    pub half_open_success_needed: u32,
    /// HTTP statuses at or above this count as failures.
    pub server_error_threshold: u16,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        CircuitBreakerConfig {
            failure_threshold: 5,
            failure_rate: None,
            minimum_calls: 10,
            reset_timeout: Duration::from_secs(30),
            half_open_max_calls: 1,
            half_open_success_needed: 1,
            server_error_threshold: 500,
        }
    }
}
