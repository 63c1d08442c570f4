//! `circuit_breaker(...)`: its config struct (declared once in `connfx-spec`, see
//! `config::group`), shared by the derive, the loader, the schema and the breaker.

use std::time::Duration;

use crate::config::group::Problem;
use crate::resilience::{InvalidConfig, Scope};

connfx_spec::circuit_breaker_group!(crate::config::group::config_group);

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
        InvalidConfig::check(self)
    }

    /// Seed 003's `DefaultConfig`: opens after 5 failures in a row, stays open 60 s, closes
    /// after 2 successful probes. (Its `MaxConcurrentCalls`, unlimited here, is a bulkhead in
    /// connfx: `bulkhead(max_concurrent = …)`.)
    ///
    /// ```
    /// let cb = connfx::CircuitBreakerConfig::standard();
    /// assert_eq!((cb.failure_threshold, cb.half_open_success_needed), (5, 2));
    /// ```
    pub fn standard() -> Self {
        CircuitBreakerConfig::preset(5, 60, 2)
    }

    /// Seed 003's `AggressiveConfig`, fast tripping: opens after 3 failures in a row, stays
    /// open 30 s, closes after 3 successful probes. Its `MaxConcurrentCalls: 100` is
    /// `bulkhead(max_concurrent = 100)` in connfx.
    ///
    /// ```
    /// let cb = connfx::CircuitBreakerConfig::aggressive();
    /// assert_eq!(cb.reset_timeout, std::time::Duration::from_secs(30));
    /// ```
    pub fn aggressive() -> Self {
        CircuitBreakerConfig::preset(3, 30, 3)
    }

    /// Seed 003's `ConservativeConfig`, slow tripping: opens after 10 failures in a row, stays
    /// open 120 s, closes after 5 successful probes.
    ///
    /// ```
    /// let cb = connfx::CircuitBreakerConfig::conservative();
    /// assert_eq!(cb.failure_threshold, 10);
    /// ```
    pub fn conservative() -> Self {
        CircuitBreakerConfig::preset(10, 120, 5)
    }

    fn preset(failures: u32, open_secs: u64, probes: u32) -> Self {
        CircuitBreakerConfig {
            failure_threshold: failures,
            reset_timeout: Duration::from_secs(open_secs),
            half_open_success_needed: probes,
            // Enough probes at once to reach the successes needed without waiting for each.
            half_open_max_calls: probes,
            ..CircuitBreakerConfig::default()
        }
    }
}

/// A fleet breaker names the store that keeps its votes (see [`Scope::check`]).
fn check_breaker(c: &CircuitBreakerConfig) -> Result<(), Problem> {
    Scope::check(c.scope, c.store.as_deref(), ("scope", "store"))?;
    if c.quorum_share.is_some() && c.scope != Scope::Fleet {
        return Err(Problem::at(
            "quorum_share",
            "`quorum_share` is read only with `scope = \"fleet\"`: a local breaker has no fleet to count",
        ));
    }
    Ok(())
}
