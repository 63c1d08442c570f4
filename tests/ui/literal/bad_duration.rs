use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(timeout = "10 parsecs")]
    api: HttpConnection,
}

fn main() {}
