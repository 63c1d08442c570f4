use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `pool(...)`.
pub static POOL: Group = Group {
    name: "pool",
    keys: &[
        Key::range("max_size", Integer, 1.0, 100_000.0),
        Key::range("min_idle", Integer, 0.0, 100_000.0),
        Key::new("max_lifetime", Duration),
        Key::new("idle_timeout", Duration),
        Key::new("acquire_timeout", Duration),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
