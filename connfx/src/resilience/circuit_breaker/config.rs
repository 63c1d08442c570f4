//! `circuit_breaker(...)`: its config struct (declared once in `connfx-spec`, see
//! `config::group`), shared by the derive, the loader, the schema and the breaker.

use std::time::Duration;

use crate::resilience::InvalidConfig;

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
}
