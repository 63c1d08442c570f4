use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `circuit_breaker(...)`: DESIGN §3.
pub static CIRCUIT_BREAKER: Group = Group {
    name: "circuit_breaker",
    keys: &[
        Key::range("failure_threshold", Integer, 1.0, 1_000_000.0),
        Key::range("failure_rate", Number, 0.0, 1.0),
        Key::range("minimum_calls", Integer, 1.0, 1_000_000.0),
        Key::new("reset_timeout", Duration),
        Key::range("half_open_max_calls", Integer, 1.0, 10_000.0),
        Key::range("half_open_success_needed", Integer, 1.0, 10_000.0),
        Key::range("server_error_threshold", Integer, 100.0, 599.0),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
