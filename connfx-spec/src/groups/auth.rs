use crate::table::Kind::*;
use crate::table::{Group, Key, Rule};

/// `auth(...)`: one scheme at most.
pub static AUTH: Group = Group {
    name: "auth",
    keys: &[
        Key::new("bearer", Secret),
        Key::new("username", Str),
        Key::new("password", Secret),
        Key::new("api_key", Secret),
        Key::new("api_key_header", Str),
    ],
    rules: &[Rule::AtMostOne(&["bearer", "username", "api_key"])],
    shorthand: None,
    is_map: false,
};
