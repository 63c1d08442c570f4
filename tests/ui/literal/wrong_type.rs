use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retry(max_attempts = "3"))]
    api: HttpConnection,
}

fn main() {}
