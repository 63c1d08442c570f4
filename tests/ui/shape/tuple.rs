use connfx::prelude::*;

#[derive(Connections)]
struct Conns(HttpConnection);

fn main() {}
