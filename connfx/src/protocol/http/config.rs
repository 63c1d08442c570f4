//! [`HttpConfig`]: declared once in `connfx-spec` (see `config::group`).

use crate::{
    AuthConfig, BulkheadConfig, CallTimeoutConfig, CircuitBreakerConfig, ConnUrl, Headers, HealthCheckConfig,
    RateLimitConfig, RetryConfig, TlsConfig,
};

use super::HttpPoolConfig;
use super::client::check_http;

connfx_spec::http_protocol!(crate::config::group::config_protocol);

impl HttpConfig {
    /// The policy groups, as the policy stack reads them.
    pub(crate) fn policies(&self) -> crate::resilience::stack::PolicyConfig<'_> {
        crate::resilience::stack::policy_config!(self, per_host: self.per_host, retry_on_default: None)
    }
}
