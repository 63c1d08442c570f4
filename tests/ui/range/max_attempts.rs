use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(max_attempts = 0))]
    api: HttpConnection,
}

fn main() {}
