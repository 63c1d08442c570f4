use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `bulkhead(...)`.
pub static BULKHEAD: Group = Group {
    name: "bulkhead",
    keys: &[
        Key::range("max_concurrent", Integer, 1.0, 1_000_000.0),
        Key::new("max_wait", Duration),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
