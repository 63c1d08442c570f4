//! [`SqlConfig`]: declared once in `connfx-spec` (see `config::group`).

use crate::{
    BulkheadConfig, CircuitBreakerConfig, ConnUrl, HealthCheckConfig, PoolConfig, RateLimitConfig,
    RetryConfig, CallTimeoutConfig,
};

// The pool sizes sqlx would panic on or ignore are refused at load as well as at connect.
use super::pool::check_sizes;

connfx_spec::sql_protocol!(crate::config::group::config_protocol);
