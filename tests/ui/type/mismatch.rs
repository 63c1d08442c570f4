use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(protocol = "sql")]
    api: HttpConnection,
}

fn main() {}
