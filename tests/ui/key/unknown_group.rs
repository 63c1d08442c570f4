use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(retries(max_attempts = 3))]
    api: HttpConnection,
}

fn main() {}
