//! The quickstart's connections; also compiled by `tests/schemas` to keep
//! `schemas/quickstart.schema.json` current.

use connfx::prelude::*;

/// Connections of the quickstart service.
#[derive(Connections)]
#[connections(env_prefix = "QUICKSTART", file = "examples/config/quickstart.toml")]
pub struct Conns {
    /// The catalog API (an upstream this example starts on 127.0.0.1).
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9/api",
        timeout = "5s",
        retry(max_attempts = 3, initial_interval = "50ms"),
        headers("X-Client" = "quickstart")
    )]
    catalog: HttpConnection,

    /// The local database.
    #[connection(protocol = "sql", url = "sqlite::memory:", pool(max_size = 2))]
    db: SqlConnection,

    /// An audit sink; left unconfigured, it stays absent.
    #[connection(protocol = "http")]
    audit: Option<HttpConnection>,

    /// The port the service listens on (a plain setting, loaded like the connections).
    #[setting(default = 8080)]
    #[validate(range(min = 1024))]
    port: u16,
}
