use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::{
    BulkheadConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig, RateLimitConfig,
    RetryConfig, Secret, TimeoutConfig, TlsConfig,
};

/// Settings of a [`RedisConnection`](super::RedisConnection): `redis://` or `rediss://` (TLS).
/// Policies left unset are off.
///
/// ```
/// let c: connfx::RedisConfig = serde_json::from_str(r#"{"url": "redis://127.0.0.1:6379/2"}"#).unwrap();
/// assert!(c.pool.is_none() && c.retry.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// Server URL: `redis://[user[:password]@]host[:port][/database]`, `rediss://` for TLS. A
    /// password in it is never shown.
    pub url: ConnUrl,
    /// Password (Redis `AUTH`), when it is not in the URL; it wins over the URL's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// Database number selected on every connection; wins over the URL's `/database`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<u32>,
    /// Connect timeout (default 1 s), per-attempt timeout (each try of a command, connecting
    /// included) and total time of a command, retries included.
    #[serde(default)]
    #[validate(nested)]
    pub timeout: TimeoutConfig,
    /// Retry policy; `retry_on` reads `connect`, `timeout`, `transport` (connection lost) and
    /// `503` (server busy: `BUSY`, `LOADING`, `TRYAGAIN`, `MASTERDOWN`, `CLUSTERDOWN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub retry: Option<RetryConfig>,
    /// Circuit breaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub circuit_breaker: Option<CircuitBreakerConfig>,
    /// Rate limit on calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Concurrency limit on calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub bulkhead: Option<BulkheadConfig>,
    /// Unset: one multiplexed connection, shared by every call. Set: `max_size` multiplexed
    /// connections, used in turn; the other pool keys do not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub pool: Option<PoolConfig>,
    /// TLS trust roots and client certificate (`rediss://` only).
    #[serde(default)]
    #[validate(nested)]
    pub tls: TlsConfig,
    /// Health check (`PING`) and how long it may take.
    #[serde(default)]
    #[validate(nested)]
    pub health: HealthCheckConfig,
}

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
