use crate::table::Kind::*;
use crate::table::{Group, Key, Rule};

/// `circuit_breaker(...)`: DESIGN §3. `window_duration`, when set, makes the failure-rate window
/// time-based (`window_size` is then unused); `max_reset_timeout` caps the growth of
/// `reset_timeout` by `backoff_multiplier`.
pub static CIRCUIT_BREAKER: Group = Group {
    name: "circuit_breaker",
    keys: &[
        Key::range("failure_threshold", Integer, 1.0, 1_000_000.0),
        Key::range("failure_rate", Number, 0.0, 1.0),
        Key::range("minimum_calls", Integer, 1.0, 1_000_000.0),
        Key::range("window_size", Integer, 2.0, 1_000_000.0),
        Key::new("window_duration", Duration),
        Key::new("slow_call_duration", Duration),
        Key::range("slow_call_rate", Number, 0.0, 1.0),
        Key::new("reset_timeout", Duration),
        Key::range("backoff_multiplier", Number, 1.0, 100.0),
        Key::new("max_reset_timeout", Duration),
        Key::range("half_open_max_calls", Integer, 1.0, 10_000.0),
        Key::range("half_open_success_needed", Integer, 1.0, 10_000.0),
        Key::range("server_error_threshold", Integer, 100.0, 599.0),
    ],
    rules: &[Rule::NotAbove {
        lower: "reset_timeout",
        upper: "max_reset_timeout",
    }],
    shorthand: None,
    is_map: false,
};
