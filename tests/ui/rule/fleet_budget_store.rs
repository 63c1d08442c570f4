use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(budget_scope = "fleet", budget_store = "audit"))]
    api: HttpConnection,
    #[connection(url = "https://audit.example")]
    audit: HttpConnection,
}

fn main() {}
