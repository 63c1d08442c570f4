use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::{
    BulkheadConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig, RateLimitConfig,
    RetryConfig, TimeoutConfig,
};

/// Settings of a [`SqlConnection`](super::SqlConnection): `sqlite:`, `postgres://`, `mysql://`.
///
/// ```
/// let c: connfx::SqlConfig = serde_json::from_str(r#"{"url": "sqlite::memory:"}"#).unwrap();
/// assert_eq!(c.pool.max_size, 10);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct SqlConfig {
    /// Database URL; a password in it is never shown.
    pub url: ConnUrl,
    /// Connect timeout (`connect`) and query bounds.
    #[serde(default)]
    #[validate(nested)]
    pub timeout: TimeoutConfig,
    /// Retry policy.
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
    /// Connection pool.
    #[serde(default)]
    #[validate(nested)]
    pub pool: PoolConfig,
    /// Health check.
    #[serde(default)]
    #[validate(nested)]
    pub health: HealthCheckConfig,
}
