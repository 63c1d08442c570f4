use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    api: HttpConnection,
    #[allow(non_snake_case)]
    API: HttpConnection,
}

fn main() {}
