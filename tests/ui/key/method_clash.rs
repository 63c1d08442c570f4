use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    api: HttpConnection,
    health: HttpConnection,
}

fn main() {}
