use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(rate_limit(requests = 100, scope = "fleet", store = "audit"))]
    api: HttpConnection,
    #[connection(url = "https://audit.example")]
    audit: HttpConnection,
}

fn main() {}
