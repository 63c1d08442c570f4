//! [`WebSocketConfig`]: declared once in `connfx-spec` (see `config::group`).

use std::time::Duration;

use super::handshake::check_websocket;
use crate::{AuthConfig, ConnUrl, Headers, HealthCheckConfig, PoolConfig, RetryConfig, TimeoutConfig};

connfx_spec::websocket_protocol!(crate::config::group::config_protocol);

fn default_ping_interval() -> Duration {
    Duration::from_secs(30)
}
