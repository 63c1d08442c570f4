use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry = 3)]
    api: HttpConnection,
}

fn main() {}
