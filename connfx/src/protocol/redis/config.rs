//! [`RedisConfig`]: declared once in `connfx-spec` (see `config::group`).

use super::client::check_redis;
use crate::{
    BulkheadConfig, CallTimeoutConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig,
    RateLimitConfig, RetryConfig, Secret, TlsConfig,
};

connfx_spec::redis_protocol!(crate::config::group::config_protocol);

impl RedisConfig {
    /// The policy groups, as the policy stack reads them.
    pub(crate) fn policies(&self) -> crate::resilience::stack::PolicyConfig<'_> {
        crate::resilience::stack::policy_config!(
            self,
            per_host: None,
            retry_on_default: Some(super::REDIS_RETRY_ON)
        )
    }
}
