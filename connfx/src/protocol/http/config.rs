use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::{
    AuthConfig, BulkheadConfig, CircuitBreakerConfig, ConnUrl, Headers, HealthCheckConfig, RateLimitConfig,
    RetryConfig, TimeoutConfig, TlsConfig,
};

/// Settings of an [`HttpConnection`](super::HttpConnection). Policies left unset are off.
///
/// ```
/// let c: connfx::HttpConfig = serde_json::from_str(r#"{"url": "http://127.0.0.1:8080/api"}"#).unwrap();
/// assert!(c.retry.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Base URL; request paths are joined onto it, keeping its path (`http://h/api` + `/x` → `/api/x`).
    pub url: ConnUrl,
    /// `User-Agent` header; defaults to `connfx/<version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Connect, per-attempt and total timeouts.
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
    /// Rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Concurrency limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(nested)]
    pub bulkhead: Option<BulkheadConfig>,
    /// Idle connections kept for reuse.
    #[serde(default)]
    #[validate(nested)]
    pub pool: super::HttpPoolConfig,
    /// TLS trust roots and client certificate.
    #[serde(default)]
    #[validate(nested)]
    pub tls: TlsConfig,
    /// Authentication sent with every request.
    #[serde(default)]
    #[validate(nested)]
    pub auth: AuthConfig,
    /// Headers sent with every request.
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub headers: Headers,
    /// Health check.
    #[serde(default)]
    #[validate(nested)]
    pub health: HealthCheckConfig,
    /// The connection calls several hosts (a webhook sender, a crawler): a request may name an
    /// absolute `http`/`https` URL on any host, and the circuit breaker and rate limit are kept
    /// per host (`host:port`), each with its own stats. Credentials (`auth`, URL user-info,
    /// credential-like `headers`) are still sent only to `url`'s own scheme, host and port.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_host: bool,
}

impl HttpConfig {
    /// The policy groups, as the policy stack reads them.
    pub(crate) fn policies(&self) -> crate::resilience::stack::PolicyConfig<'_> {
        crate::resilience::stack::PolicyConfig {
            retry: self.retry.as_ref(),
            circuit_breaker: self.circuit_breaker.as_ref(),
            rate_limit: self.rate_limit.as_ref(),
            bulkhead: self.bulkhead.as_ref(),
            timeout: &self.timeout,
            per_host: self.per_host,
            retry_on_default: None,
        }
    }
}
