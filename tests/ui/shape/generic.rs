use connfx::prelude::*;

#[derive(Connections)]
struct Conns<C: Connection> {
    api: C,
}

fn main() {}
