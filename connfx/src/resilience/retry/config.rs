//! `retry(...)`: its config struct (declared once in `connfx-spec`, see `config::group`) and the
//! `backoff` choice.

use std::time::Duration;

use super::RetryOn;

connfx_spec::retry_group!(crate::config::group::config_group);

crate::config::group::choice! {
    /// `backoff = "exponential" | "linear" | "constant"`: how the delay between tries grows.
    ///
    /// ```
    /// let kind: connfx::resilience::retry::BackoffKind = serde_json::from_str("\"linear\"").unwrap();
    /// assert_eq!(kind, connfx::resilience::retry::BackoffKind::Linear);
    /// ```
    pub enum BackoffKind {
        /// `initial_interval · multiplier^(n-1)`.
        #[default]
        Exponential = "exponential",
        /// `initial_interval · n`.
        Linear = "linear",
        /// `initial_interval` every time.
        Constant = "constant",
    }
}
