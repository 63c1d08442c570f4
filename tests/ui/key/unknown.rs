use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(max_atempts = 3))]
    api: HttpConnection,
}

fn main() {}
