//! [`SqlConfig`]: declared once in `connfx-spec` (see `config::group`).

use crate::{
    BulkheadConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig, RateLimitConfig,
    RetryConfig, TimeoutConfig,
};

connfx_spec::sql_protocol!(crate::config::group::config_protocol);
