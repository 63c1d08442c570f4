use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `health(...)`.
pub static HEALTH: Group = Group {
    name: "health",
    keys: &[
        Key::new("path", Str),
        Key::new("timeout", Duration),
        Key::new("critical", Bool),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
