use crate::table::Kind::*;
use crate::table::{Group, Key, Rule};

/// `retry(...)`: DESIGN §3.
pub static RETRY: Group = Group {
    name: "retry",
    keys: &[
        Key::range("max_attempts", Integer, 1.0, 100.0),
        Key::new("initial_interval", Duration),
        Key::new("max_interval", Duration),
        Key::range("multiplier", Number, 1.0, 100.0),
        Key::range("jitter", Number, 0.0, 1.0),
        Key::range("budget", Number, 0.0, 1.0),
    ],
    rules: &[Rule::NotAbove {
        lower: "initial_interval",
        upper: "max_interval",
    }],
    shorthand: None,
    is_map: false,
};
