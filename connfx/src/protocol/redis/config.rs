//! [`RedisConfig`]: declared once in `connfx-spec` (see `config::group`).

use crate::{
    BulkheadConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig, RateLimitConfig,
    RetryConfig, Secret, TimeoutConfig, TlsConfig,
};

connfx_spec::redis_protocol!(crate::config::group::config_protocol);

impl RedisConfig {
    /// The policy groups, as the policy stack reads them.
    pub(crate) fn policies(&self) -> crate::resilience::stack::PolicyConfig<'_> {
        crate::resilience::stack::PolicyConfig {
            retry: self.retry.as_ref(),
            circuit_breaker: self.circuit_breaker.as_ref(),
            rate_limit: self.rate_limit.as_ref(),
            bulkhead: self.bulkhead.as_ref(),
            timeout: &self.timeout,
            per_host: false,
            retry_on_default: Some(super::REDIS_RETRY_ON),
        }
    }
}
