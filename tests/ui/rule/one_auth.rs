use connfx::prelude::*;

#[derive(Connections)]
struct Conns {
    #[connection(auth(bearer = "token", api_key = "key"))]
    api: HttpConnection,
}

fn main() {}
