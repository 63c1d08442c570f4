use connfx::prelude::*;

#[derive(Connections)]
#[connections(env_prefix = "checkout")]
struct Conns {
    api: HttpConnection,
}

fn main() {}
