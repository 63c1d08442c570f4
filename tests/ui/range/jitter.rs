use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(jitter = 1.5))]
    api: HttpConnection,
}

fn main() {}
