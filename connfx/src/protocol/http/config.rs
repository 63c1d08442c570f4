//! [`HttpConfig`]: declared once in `connfx-spec` (see `config::group`).

use crate::{
    AuthConfig, BulkheadConfig, CallTimeoutConfig, CircuitBreakerConfig, ConnUrl, Headers, HealthCheckConfig,
    RateLimitConfig, RetryConfig, TlsConfig,
};

use std::time::Duration;

use super::HttpPoolConfig;
use super::client::check_http;
use super::hosts::HostTable;

connfx_spec::http_protocol!(crate::config::group::config_protocol);

impl HttpConfig {
    /// The policy groups, as the policy stack reads them.
    pub(crate) fn policies(&self) -> crate::resilience::stack::PolicyConfig<'_> {
        crate::resilience::stack::policy_config!(
            self,
            per_host: self.host_bounds(),
            retry_on_default: None
        )
    }

    /// How much per-host state a `per_host` connection keeps (`max_hosts`, `host_idle`);
    /// `None` for a connection of one host.
    pub(crate) fn host_bounds(&self) -> Option<crate::resilience::recent::Bounds> {
        let bounds = crate::resilience::recent::Bounds {
            max: usize::try_from(self.max_hosts).unwrap_or(usize::MAX),
            idle: self.host_idle,
        };
        self.per_host.then_some(bounds)
    }
}

/// `max_hosts`: enough for a webhook sender's customers or a crawler's working set, while
/// 10,000 hosts' breakers and limits stay within a few MB.
fn default_max_hosts() -> u32 {
    10_000
}

/// `host_idle`: a host not called for 10 minutes is dropped (its breaker would have closed and
/// its limit refilled long before at any usual setting).
fn default_host_idle() -> Duration {
    Duration::from_secs(600)
}
