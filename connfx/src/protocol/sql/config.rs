//! [`SqlConfig`]: declared once in `connfx-spec` (see `config::group`).

use super::pool::check_sql;
use crate::{
    BulkheadConfig, CallTimeoutConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig,
    RateLimitConfig, RetryConfig,
};

connfx_spec::sql_protocol!(crate::config::group::config_protocol);
