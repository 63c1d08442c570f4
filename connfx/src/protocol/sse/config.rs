//! [`SseConfig`]: declared once in `connfx-spec` (see `config::group`).

use std::time::Duration;

use super::client::check_sse;
use crate::{AuthConfig, ConnUrl, Headers, HealthCheckConfig, RetryConfig, TimeoutConfig};

connfx_spec::sse_protocol!(crate::config::group::config_protocol);
