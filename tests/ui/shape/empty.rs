use connfx::prelude::*;

#[derive(Connections)]
struct Conns {}

fn main() {}
