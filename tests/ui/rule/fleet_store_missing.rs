use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(rate_limit(requests = 100, scope = "fleet", store = "cache"))]
    api: HttpConnection,
}

fn main() {}
