//! The service's one connection: its upstream, with every policy the outage exercises.

use connfx::prelude::*;

/// Connections of the outage example's service.
///
/// Why these values: a budget of 10 % plus 3 retries a second whatever the load keeps the upstream
/// at 1 + 0.1 + 3/rate of the offered load during an outage (1.11× at 300 req/s, 1.13× at 100),
/// and any one second at most 3 retries above that, the most the budget saves up (1.16× at 100
/// req/s); a budget of 20 % could not meet a 1.2× target at all. The breaker opens after 5
/// failures in a row and probes every 2 s, so a recovered upstream is used again within 2 s and
/// one probe.
#[derive(Connections)]
#[connections(env_prefix = "OUTAGE")]
pub struct Conns {
    /// The upstream API (an axum server this example starts on 127.0.0.1).
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9/api",
        timeout(connect = "250ms", per_attempt = "500ms", total = "2s"),
        retry(
            max_attempts = 3,
            initial_interval = "50ms",
            multiplier = 2.0,
            jitter = 0.2,
            budget = 0.1,
            min_retries_per_sec = 3
        ),
        circuit_breaker(
            failure_threshold = 5,
            reset_timeout = "2s",
            half_open_max_calls = 1,
            half_open_success_needed = 1
        )
    )]
    upstream: HttpConnection,
}
