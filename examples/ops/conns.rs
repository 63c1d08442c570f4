//! The ops example's connections; also compiled by `tests/schemas` to keep
//! `schemas/ops.schema.json` current.

use connfx::prelude::*;

/// Connections of the ops example service.
#[derive(Connections)]
#[connections(env_prefix = "OPS", file = "examples/config/ops.toml")]
pub struct Conns {
    /// The catalog API; its bearer token comes from the deployment.
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9/api",
        timeout = "5s",
        retry(max_attempts = 3, initial_interval = "50ms")
    )]
    catalog: HttpConnection,

    /// The database; no default URL: the deployment must provide one.
    #[connection(protocol = "sql", pool(max_size = 2))]
    db: SqlConnection,

    /// An audit sink; left unconfigured, it stays absent.
    #[connection(protocol = "http")]
    audit: Option<HttpConnection>,
}
