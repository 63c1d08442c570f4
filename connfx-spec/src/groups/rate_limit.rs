use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `rate_limit(...)`.
pub static RATE_LIMIT: Group = Group {
    name: "rate_limit",
    keys: &[
        Key::range("requests", Integer, 1.0, 1_000_000_000.0),
        Key::new("per", Duration),
        Key::range("burst", Integer, 1.0, 1_000_000_000.0),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
