use crate::table::Kind::*;
use crate::table::{Group, Key, Rule};

/// `timeout(...)` or `timeout = "10s"` (the total).
pub static TIMEOUT: Group = Group {
    name: "timeout",
    keys: &[
        Key::new("connect", Duration),
        Key::new("per_attempt", Duration),
        Key::new("total", Duration),
    ],
    rules: &[
        Rule::NotAbove {
            lower: "connect",
            upper: "total",
        },
        Rule::NotAbove {
            lower: "per_attempt",
            upper: "total",
        },
    ],
    shorthand: Some("total"),
    is_map: false,
};
