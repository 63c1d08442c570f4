//! The generated code names everything by absolute path.
#![no_implicit_prelude]

use ::connfx::{Connections, HttpConnection};

/// Connections of a service.
#[derive(Connections)]
#[connections(env_prefix = "HYGIENE")]
pub struct Conns {
    /// An API.
    #[connection(url = "https://api.example", timeout = "1s", retry(max_attempts = 2), headers("X-A" = "b"))]
    api: HttpConnection,
    /// An optional one.
    other: ::core::option::Option<HttpConnection>,
}

/// One field: no `join!`.
#[derive(Connections)]
pub struct One {
    /// An API.
    errors: HttpConnection,
}

fn main() {}
