use crate::table::Kind::*;
use crate::table::{Group, Key, Rule, Text};

/// `retry(...)`: DESIGN §3. `backoff` is one of `exponential`, `linear`, `constant`; `retry_on` is a
/// comma-separated list of `connect`, `timeout`, `transport`, status codes and classes (`5xx`).
pub static RETRY: Group = Group {
    name: "retry",
    keys: &[
        Key::range("max_attempts", Integer, 1.0, 100.0),
        Key::one_of("backoff", &["exponential", "linear", "constant"]),
        Key::new("initial_interval", Duration),
        Key::new("max_interval", Duration),
        Key::range("multiplier", Number, 1.0, 100.0),
        Key::range("jitter", Number, 0.0, 1.0),
        Key::text("retry_on", Text::RetryOn),
        Key::new("non_idempotent", Bool),
        Key::range("budget", Number, 0.0, 1.0),
        Key::range("min_retries_per_sec", Integer, 0.0, 1_000_000.0),
    ],
    rules: &[Rule::NotAbove {
        lower: "initial_interval",
        upper: "max_interval",
    }],
    shorthand: None,
    is_map: false,
};
