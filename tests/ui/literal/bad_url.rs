use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url = "api.example/v1")]
    api: HttpConnection,
}

fn main() {}
