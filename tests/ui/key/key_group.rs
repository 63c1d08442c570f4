use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(url(path = "/v1"))]
    api: HttpConnection,
}

fn main() {}
