use connfx::prelude::*;

// Nested: `cache.auth.password` (HTTP's `auth` group) and `cache_auth.password` (Redis's own
// key) would both be read from `CONN_CACHE_AUTH_PASSWORD`.
#[derive(Connections)]
struct Conns {
    cache: HttpConnection,
    cache_auth: RedisConnection,
}

fn main() {}
