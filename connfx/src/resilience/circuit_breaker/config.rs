//! `circuit_breaker(...)`: the keys shared by the derive, the loader, the schema and the breaker.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use super::error::InvalidConfig;

/// `circuit_breaker(...)`: Closed → Open after `failure_threshold` consecutive failures, or when
/// the failure rate (or the slow-call rate) over a window of at least `minimum_calls` reaches
/// `failure_rate` (`slow_call_rate`); Open for `reset_timeout` (growing by `backoff_multiplier`
/// on each reopening, up to `max_reset_timeout`); then Half-open with at most
/// `half_open_max_calls` probes in flight, closing after `half_open_success_needed` successes and
/// reopening on any failure.
///
/// The failure-rate window is count-based (`window_size` calls) unless `window_duration` is set.
/// It is kept as two halves: the rate is judged over the current half and the one before it, so
/// over the last `window_size / 2` to `window_size` calls (or `window_duration / 2` to
/// `window_duration` of time). See [`CircuitBreaker`](super::CircuitBreaker).
///
/// ```
/// let cb = connfx::CircuitBreakerConfig { failure_threshold: 3, ..Default::default() };
/// assert_eq!(cb.reset_timeout, std::time::Duration::from_secs(30));
/// assert!(cb.failure_rate.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
#[validate(schema(function = "check_circuit_breaker"))]
pub struct CircuitBreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// Failure share (0–1) over the window that opens the circuit when reached; unset means off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_rate: Option<f64>,
    /// Calls the window must hold before `failure_rate` or `slow_call_rate` is judged.
    pub minimum_calls: u32,
    /// Calls in the failure-rate window (a count-based window); unused when `window_duration` is set.
    pub window_size: u32,
    /// Makes the failure-rate window time-based, over this long; unset means count-based.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub window_duration: Option<Duration>,
    /// A call that takes at least this long is slow.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub slow_call_duration: Duration,
    /// Share (0–1) of slow calls over the window that opens the circuit when reached; unset means off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow_call_rate: Option<f64>,
    /// How long the circuit stays open before probing.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub reset_timeout: Duration,
    /// Growth of the open period each time a probe fails and the circuit reopens (1 = none).
    pub backoff_multiplier: f64,
    /// Longest open period once grown by `backoff_multiplier`; unset means no cap.
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub max_reset_timeout: Option<Duration>,
    /// Probes let through at once while half-open.
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
            window_size: 100,
            window_duration: None,
            slow_call_duration: Duration::from_secs(60),
            slow_call_rate: None,
            reset_timeout: Duration::from_secs(30),
            backoff_multiplier: 1.0,
            max_reset_timeout: None,
            half_open_max_calls: 1,
            half_open_success_needed: 1,
            server_error_threshold: 500,
        }
    }
}

impl CircuitBreakerConfig {
    /// Checks every value against the bounds of the key table (the same bounds and wording the
    /// derive and the loader use) and the rules across keys; all problems are reported.
    ///
    /// ```
    /// let bad = connfx::CircuitBreakerConfig { failure_rate: Some(1.5), ..Default::default() };
    /// let err = bad.check().unwrap_err();
    /// assert_eq!(err.problems(), ["`failure_rate` must be between 0 and 1, found 1.5"]);
    /// ```
    ///
    /// # Errors
    /// An [`InvalidConfig`] listing every value out of range and every broken rule.
    pub fn check(&self) -> Result<(), InvalidConfig> {
        let mut problems: Vec<String> = self
            .numbers()
            .into_iter()
            .filter_map(|(key, value)| in_range(key, value).err())
            .collect();
        if let Err(rule) = check_circuit_breaker(self) {
            problems.extend(rule.message.map(|m| m.into_owned()));
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(InvalidConfig::new(problems)),
        }
    }

    /// Every numeric key with its value, for the range checks.
    fn numbers(&self) -> Vec<(&'static str, f64)> {
        let mut numbers = vec![
            ("failure_threshold", f64::from(self.failure_threshold)),
            ("minimum_calls", f64::from(self.minimum_calls)),
            ("window_size", f64::from(self.window_size)),
            ("backoff_multiplier", self.backoff_multiplier),
            ("half_open_max_calls", f64::from(self.half_open_max_calls)),
            (
                "half_open_success_needed",
                f64::from(self.half_open_success_needed),
            ),
            ("server_error_threshold", f64::from(self.server_error_threshold)),
        ];
        numbers.extend(self.failure_rate.map(|r| ("failure_rate", r)));
        numbers.extend(self.slow_call_rate.map(|r| ("slow_call_rate", r)));
        numbers
    }
}

/// Checks one value against the spec's bounds for `key`.
fn in_range(key: &str, value: f64) -> Result<(), String> {
    match connfx_spec::groups::CIRCUIT_BREAKER.key(key) {
        Some(key) => connfx_spec::check::in_range(key, value),
        None => Ok(()),
    }
}

fn check_circuit_breaker(c: &CircuitBreakerConfig) -> Result<(), ValidationError> {
    let duration_of = |key: &str| match key {
        "reset_timeout" => Some(c.reset_timeout),
        "max_reset_timeout" => c.max_reset_timeout,
        "slow_call_duration" => Some(c.slow_call_duration),
        "window_duration" => c.window_duration,
        _ => None,
    };
    crate::resilience::check_rules(&connfx_spec::groups::CIRCUIT_BREAKER, duration_of, |_| true)
}
