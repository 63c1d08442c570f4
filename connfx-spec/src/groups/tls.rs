use crate::table::Kind::*;
use crate::table::{Group, Key};

/// `tls(...)`.
pub static TLS: Group = Group {
    name: "tls",
    keys: &[
        Key::new("ca_file", Str),
        Key::new("cert_file", Str),
        Key::new("key_file", Str),
        Key::new("accept_invalid_certs", Bool),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};
