use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = "https://api.example", per_host = true, hosts("api.example" = "x"))]
    api: HttpConnection,
}

fn main() {}
