use connfx::prelude::*;

#[derive(Connections)]
enum Conns {
    Api(HttpConnection),
}

fn main() {}
