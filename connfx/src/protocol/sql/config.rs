//! [`SqlConfig`]: declared once in `connfx-spec` (see `config::group`).

use crate::{
    BulkheadConfig, CallTimeoutConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig,
    RateLimitConfig, RetryConfig,
};

connfx_spec::sql_protocol!(crate::config::group::config_protocol);
