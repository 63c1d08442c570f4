//! `timeout(...)`: its config structs, declared once in `connfx-spec` (see `config::group`):
//! [`CallTimeoutConfig`] for the connections that make calls, whose total is always set, and
//! [`TimeoutConfig`] for the standalone policy, the streams and OTLP.

use std::time::Duration;

connfx_spec::timeout_group!(crate::config::group::config_group);
connfx_spec::call_timeout_group!(crate::config::group::config_group);

impl From<CallTimeoutConfig> for TimeoutConfig {
    /// The same limits for the standalone [`Timeout`](super::Timeout) policy.
    ///
    /// ```
    /// let t = connfx::TimeoutConfig::from(connfx::CallTimeoutConfig::default());
    /// assert_eq!(t.total, Some(std::time::Duration::from_secs(30)));
    /// ```
    fn from(c: CallTimeoutConfig) -> Self {
        TimeoutConfig {
            connect: c.connect,
            per_attempt: c.per_attempt,
            total: Some(c.total),
        }
    }
}
