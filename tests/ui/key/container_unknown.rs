use connfx::prelude::*;

#[derive(Connections)]
#[connections(env_prefx = "CHECKOUT")]
struct Conns {
    api: HttpConnection,
}

fn main() {}
