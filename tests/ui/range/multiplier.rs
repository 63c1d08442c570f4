use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(multiplier = 0.5))]
    api: HttpConnection,
}

fn main() {}
