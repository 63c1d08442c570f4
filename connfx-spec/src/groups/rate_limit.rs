use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `rate_limit(...)`: `requests` per `per` with a `burst`; `mode` is `wait` (up to `max_wait`) or
/// `reject` (checked by the runtime config type: the spec has no enumerated kind).
pub static RATE_LIMIT: Group = Group {
    name: "rate_limit",
    keys: &[
        Key::range("requests", Integer, 1.0, 1_000_000_000.0),
        Key::new("per", Duration),
        Key::range("burst", Integer, 1.0, 1_000_000_000.0),
        Key::one_of("mode", &["wait", "reject"]),
        Key::new("max_wait", Duration),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
