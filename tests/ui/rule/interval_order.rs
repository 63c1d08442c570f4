use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(initial_interval = "10s", max_interval = "1s"))]
    api: HttpConnection,
}

fn main() {}
